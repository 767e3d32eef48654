#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Collective
import Config
import Net

/// Where the launcher finds its executables and how it talks to the user.
public struct LaunchEnvironment: @unchecked Sendable {
  /// Directory holding `gust-server` and `gust-trainer`.
  public var binDir: String
  /// The `gust` executable for the PR_SET_PDEATHSIG shim (`gust __child …`), or nil.
  public var shim: String?
  public var print: (String) -> Void
  public var printError: (String) -> Void

  public init(binDir: String, shim: String?, print: @escaping (String) -> Void, printError: @escaping (String) -> Void) {
    self.binDir = binDir
    self.shim = shim
    self.print = print
    self.printError = printError
  }

  /// For the `gust` executable: its own directory (or `GUST_BIN_DIR`), itself as the shim,
  /// stdout and stderr.
  public static func forCurrentExecutable() -> LaunchEnvironment {
    let exe = executablePath()
    let dir = getenv("GUST_BIN_DIR").map { String(cString: $0) } ?? (exe.map { String($0[..<($0.lastIndex(of: "/") ?? $0.startIndex)]) } ?? ".")
    return LaunchEnvironment(binDir: dir, shim: exe,
                             print: { var l = $0 + "\n"; l.withUTF8 { writeAll(1, $0.baseAddress!, $0.count) } },
                             printError: { writeError($0 + "\n") })
  }
}

/// `/proc/self/exe`, resolved.
public func executablePath() -> String? {
  var buf = [CChar](repeating: 0, count: 4096)
  let n = readlink("/proc/self/exe", &buf, buf.count - 1)
  guard n > 0 else { return nil }
  return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// One job: validate, prepare the workspace, start the servers, wait for their ports, write the
/// servers file, start the trainers, supervise, tear down, report.
public final class LaunchJob {
  public let job: ValidatedJob
  let env: LaunchEnvironment
  public private(set) var supervisor: Supervisor
  var plan: JobPlan { job.plan }
  var cmd: String { "gust \(plan.options.mode.rawValue)" }
  var lockFD: Int32 = -1
  /// Bound endpoints, `[partition][server]`.
  public private(set) var endpoints: [[String]] = []

  public init(job: ValidatedJob, env: LaunchEnvironment) {
    self.job = job
    self.env = env
    self.supervisor = Supervisor(shim: env.shim, tailLines: job.plan.options.tailLines, console: env.print)
  }

  deinit { if lockFD >= 0 { close(lockFD) } }

  /// `gust train` / `gust infer` from the command line: the exit code.
  public static func main(_ args: [String], mode: LaunchOptions.Mode, env: LaunchEnvironment) -> Int32 {
    if LaunchOptions.isHelpRequest(args) {
      env.print(LaunchOptions.usage(mode))
      return 0
    }
    do {
      let o = try LaunchOptions.parse(args, mode: mode)
      let job = try Validation.validate(o, binDir: env.binDir)
      if o.dryRun { return DryRun.run(job, env: env) }
      return LaunchJob(job: job, env: env).run()
    } catch let e as LaunchError {
      let cmd = "gust \(mode.rawValue)"
      for line in e.message.split(separator: "\n", omittingEmptySubsequences: false) {
        let l = String(line)
        env.printError(l.hasPrefix(cmd + ": ") ? cmd + ": error: " + l.dropFirst(cmd.count + 2) : l.hasPrefix("usage:") || l.hasPrefix(" ") || l.isEmpty ? l : cmd + ": error: " + l)
      }
      return e.exitCode
    } catch {
      env.printError("gust \(mode.rawValue): error: \(error)")
      return 1
    }
  }

  /// Runs the job to the end; the exit code (0 done, 1 a process failed, 2 the workspace is in
  /// use, 128 + signal when interrupted).
  public func run() -> Int32 {
    let started = monotonicSeconds()
    do {
      try prepareWorkspace()
    } catch let e as LaunchError {
      env.printError(e.message.hasPrefix(cmd + ": ") ? cmd + ": error: " + e.message.dropFirst(cmd.count + 2) : "\(cmd): error: \(e)")
      return e.exitCode
    } catch {
      env.printError("\(cmd): error: \(error)")
      return 1
    }
    LauncherSignals.install()
    // After every outcome below every child has been reaped: nothing of the job is alive.
    defer {
      cleanRunFiles()
      removeSharedMemory(when: "the job left")
    }
    let outcome = supervise()
    switch outcome {
    case .finished:
      env.print("\(cmd): trainers finished in \(formatSeconds(monotonicSeconds() - started)); stopping the servers")
      let servers = supervisor.children.filter { $0.spec.role == .server }
      supervisor.stop(servers, grace: plan.options.gracePeriod)
      for s in servers where !s.status!.succeeded {
        env.printError("\(cmd): warning: \(s.spec.name) \(s.status!) when stopped (log \(s.spec.logPath))")
      }
      reportOutputs()
      return 0
    case .failed(let child, let reason):
      env.printError("\(cmd): error: \(child.spec.name) (pid \(child.pid) on \(child.spec.host)) \(reason); stopping every process")
      supervisor.stopAll(grace: plan.options.gracePeriod)
      printTail(of: child)
      env.printError("\(cmd): failed: \(child.spec.name) \(reason). Logs of every process: \(plan.logDir)/")
      return 1
    case .startFailed(let e):
      env.printError("\(cmd): error: \(e); stopping every process")
      supervisor.stopAll(grace: plan.options.gracePeriod)
      return 1
    case .interrupted(let sig):
      env.printError("\(cmd): \(signalName(sig)) received: stopping \(supervisor.running.count) process(es)")
      supervisor.stopAll(grace: plan.options.gracePeriod)
      env.printError("\(cmd): stopped. Logs: \(plan.logDir)/")
      return 128 + sig
    }
  }

  enum Outcome {
    case finished
    case failed(Child, String)
    case startFailed(LaunchError)
    case interrupted(Int32)
  }

  func supervise() -> Outcome {
    let o = plan.options
    // 1. Servers, then their ports.
    do {
      for s in plan.servers { try supervisor.start(s, echo: false) }
    } catch let e as LaunchError { return .startFailed(e) } catch { return .startFailed(LaunchError(.runtime, "\(error)")) }
    env.print("\(cmd): started \(plan.servers.count) server(s) for \(plan.numParts) partition(s); logs in \(plan.logDir)/")
    var ports = [Int?](repeating: nil, count: plan.servers.count)
    let deadline = monotonicSeconds() + o.serverStartTimeout
    while ports.contains(where: { $0 == nil }) {
      if let sig = supervisor.step(timeout: 0.05) { return .interrupted(sig) }
      if let f = firstFailure() { return f }
      // The deadline is checked against what was read before it passed.
      if monotonicSeconds() > deadline, let i = ports.firstIndex(where: { $0 == nil }) {
        let c = supervisor.children[i]
        return .failed(c, "did not report its port within \(formatSeconds(o.serverStartTimeout)) (--server-start-timeout)")
      }
      for (i, s) in plan.servers.enumerated() where ports[i] == nil {
        if let text = readTextFile(s.portFile!), text.hasSuffix("\n"), let p = Int(text.trimmingWhitespace()), p > 0 {
          ports[i] = p
        }
      }
    }
    endpoints = (0..<plan.numParts).map { p in
      plan.servers.enumerated().filter { $0.element.partition == p }.map { endpoint($0.element.host, ports[$0.offset]!) }
    }
    do {
      try writeAtomically(JobPlan.serversJSON(endpoints), to: plan.serversFile, mode: 0o600)
    } catch let e as LaunchError { return .startFailed(e) } catch { return .startFailed(LaunchError(.runtime, "\(error)")) }
    env.print("\(cmd): servers up: " + endpoints.enumerated().map { "partition \($0.offset) at \($0.element.joined(separator: ", "))" }.joined(separator: "; "))

    // 2. Trainers (rank 0's output on the console).
    do {
      for t in plan.trainers { try supervisor.start(t, echo: t.rank == 0) }
    } catch let e as LaunchError { return .startFailed(e) } catch { return .startFailed(LaunchError(.runtime, "\(error)")) }
    env.print("\(cmd): started \(plan.trainers.count) trainer(s)\(plan.trainers.count > 1 ? " (rank 0's output below; the others' in their logs)" : "")")
    while true {
      if let sig = supervisor.step(timeout: 0.1) { return .interrupted(sig) }
      if let f = firstFailure() { return f }
      let trainers = supervisor.children.filter { $0.spec.role == .trainer }
      if trainers.allSatisfy({ $0.status?.succeeded == true }) { return .finished }
    }
  }

  /// A child that ended when it should not have: a non-zero exit, or a server that stopped
  /// while the job runs. Servers are checked first (a trainer usually fails because of one).
  func firstFailure() -> Outcome? {
    for c in supervisor.children where c.spec.role == .server {
      if let s = c.status { return .failed(c, s.succeeded ? "stopped while the job was running" : "\(s)") }
    }
    // The first trainer to fail is the cause: when one rank dies the others fail at their next
    // collective step, often within the same poll round, so order by when each was reaped.
    let failed = supervisor.children.filter { $0.spec.role == .trainer && $0.status.map { !$0.succeeded } == true }
    if let c = failed.min(by: { $0.endOrder < $1.endOrder }) { return .failed(c, "\(c.status!)") }
    return nil
  }

  func printTail(of c: Child) {
    let lines = c.tail.suffix(plan.options.tailLines)
    env.printError("---- last \(lines.count) line(s) of \(c.spec.logPath) ----")
    for l in lines { env.printError("[\(c.spec.name)] \(l)") }
    env.printError("----")
  }

  func reportOutputs() {
    let t = job.config.training
    let o = plan.options
    var lines: [String] = []
    let metrics = o.metricsFile ?? o.workspace + "/metrics.jsonl"
    if access(metrics, F_OK) == 0 { lines.append("metrics:     \(metrics)") }
    if plan.options.mode == .train, let m = t.saveModelPath { lines.append("checkpoints: \(m)") }
    if let e = t.saveEmbedPath { lines.append("embeddings:  \(e)") }
    if plan.options.mode == .infer, let p = t.savePredictionPath ?? t.saveEmbedPath { lines.append("predictions: \(p)") }
    lines.append("logs:        \(plan.logDir)/")
    env.print("\(cmd): done. Outputs:")
    for l in lines { env.print("  " + l) }
  }

  // MARK: workspace

  /// `run/` (0700) and `logs/`; the workspace lock (one job per workspace); stale port and
  /// servers files removed; a fresh secret written with mode 0600.
  func prepareWorkspace() throws {
    for d in [plan.options.workspace, plan.runDir, plan.logDir] { try makeDirectory(d) }
    chmod(plan.runDir, 0o700)
    lockFD = open(plan.lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard lockFD >= 0 else { throw LaunchError(.runtime, "\(cmd): cannot open \(plan.lockFile): \(errnoText(errno))") }
    guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
      throw LaunchError.bad("\(cmd): another gust job is running in the workspace \(plan.options.workspace) "
        + "(it holds \(plan.lockFile)); give another --workspace")
    }
    for s in plan.servers { unlink(s.portFile!) }
    for r in 0..<plan.worldSize { unlink(plan.ringPortFile(rank: r)) }
    unlink(plan.serversFile)
    let secret: Secret
    do { secret = try Secret.random(count: 32) } catch { throw LaunchError(.runtime, "\(cmd): cannot create the job secret: \(error)") }
    unlink(plan.secretFile)
    let fd = open(plan.secretFile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw LaunchError(.runtime, "\(cmd): cannot create \(plan.secretFile): \(errnoText(errno))") }
    fchmod(fd, 0o600)
    secret.bytes.withUnsafeBytes { writeAll(fd, $0.baseAddress!, $0.count) }
    close(fd)
    // Under the workspace lock: what an earlier job here left (its launcher SIGKILLed).
    removeSharedMemory(when: "an earlier job in this workspace left")
  }

  /// Unlinks the job's abandoned shared-memory objects (`/dev/shm/gust-ring-<shmTag>-…` whose
  /// creator is dead: a rank killed inside the ring's rendezvous leaves its object behind) and
  /// says so. Objects of other tags, and of live processes, are left alone.
  func removeSharedMemory(when: String) {
    let removed = SharedMemoryObjects.removeAbandoned(job: plan.shmTag)
    guard !removed.isEmpty else { return }
    env.printError("\(cmd): removed \(removed.count) shared-memory object(s) \(when) in "
      + "\(SharedMemoryObjects.directory): \(removed.joined(separator: ", "))")
  }

  /// The secret, port files and servers file mean nothing after the job: removed.
  func cleanRunFiles() {
    for s in plan.servers { unlink(s.portFile!) }
    for r in 0..<plan.worldSize { unlink(plan.ringPortFile(rank: r)) }
    unlink(plan.serversFile)
    unlink(plan.secretFile)
  }
}

func makeDirectory(_ path: String) throws {
  var prefix = ""
  for c in path.split(separator: "/") {
    prefix += "/" + c
    if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
      throw LaunchError(.runtime, "cannot create the directory \(prefix): \(errnoText(errno))")
    }
  }
}

/// Writes `text` to `path.tmp-<pid>` and renames it.
func writeAtomically(_ text: String, to path: String, mode: mode_t = 0o644) throws {
  let tmp = path + ".tmp-\(getpid())"
  let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
  guard fd >= 0 else { throw LaunchError(.runtime, "cannot create \(tmp): \(errnoText(errno))") }
  var t = text
  t.withUTF8 { writeAll(fd, $0.baseAddress!, $0.count) }
  close(fd)
  guard rename(tmp, path) == 0 else {
    unlink(tmp)
    throw LaunchError(.runtime, "cannot write \(path): \(errnoText(errno))")
  }
}

func formatSeconds(_ s: Double) -> String {
  s < 10 ? String(Int((s * 10).rounded())) .withDecimal + " s" : "\(Int(s.rounded())) s"
}

private extension String {
  /// "123" → "12.3"
  var withDecimal: String { count == 1 ? "0." + self : String(dropLast()) + "." + String(last!) }
}
