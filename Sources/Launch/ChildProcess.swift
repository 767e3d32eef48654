#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CProcess

/// How a child ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
  case exited(Int32)
  case signaled(Int32)

  init(waitStatus s: Int32) {
    if s & 0x7f == 0 { self = .exited((s >> 8) & 0xff) } else { self = .signaled(s & 0x7f) }
  }

  public var succeeded: Bool { self == .exited(0) }

  public var description: String {
    switch self {
    case .exited(let c): return "exited with code \(c)"
    case .signaled(let s): return "was killed by \(signalName(s))"
    }
  }
}

/// `SIGTERM`, `SIGKILL`, … or `signal N`.
public func signalName(_ s: Int32) -> String {
  switch s {
  case SIGINT: return "SIGINT"
  case SIGTERM: return "SIGTERM"
  case SIGKILL: return "SIGKILL"
  case SIGHUP: return "SIGHUP"
  case SIGSEGV: return "SIGSEGV"
  case SIGABRT: return "SIGABRT"
  case SIGBUS: return "SIGBUS"
  case SIGILL: return "SIGILL"
  case SIGTRAP: return "SIGTRAP"
  case SIGPIPE: return "SIGPIPE"
  default: return "signal \(s)"
  }
}

/// A started process: stdout and stderr share one pipe the supervisor reads; every byte goes to
/// the log file, complete lines to the in-memory tail and (when `echo`) to the console with the
/// process's name as prefix.
public final class Child {
  public let spec: ProcessSpec
  public let pid: pid_t
  public let echo: Bool
  /// Read end of the output pipe; -1 after end of file.
  var outputFD: Int32
  var logFD: Int32
  var partial: [UInt8] = []
  var tailLimit: Int
  /// The last `tailLimit` lines of output.
  public private(set) var tail: [String] = []
  public internal(set) var status: ExitStatus?
  /// The launcher sent it SIGTERM/SIGKILL (its exit is then expected, not a failure).
  public internal(set) var stopRequested = false
  /// The order in which children were reaped (0 for the first; Int.max while running).
  public internal(set) var endOrder = Int.max
  nonisolated(unsafe) static var reaped = 0

  init(spec: ProcessSpec, pid: pid_t, outputFD: Int32, logFD: Int32, echo: Bool, tailLimit: Int) {
    self.spec = spec
    self.pid = pid
    self.outputFD = outputFD
    self.logFD = logFD
    self.echo = echo
    self.tailLimit = tailLimit
  }

  public var isRunning: Bool { status == nil }

  /// Starts `spec` with posix_spawn: stdin /dev/null, stdout+stderr into a pipe, its own process
  /// group, an empty signal mask and default dispositions. With `shim` (the `gust` executable),
  /// the child is `gust __child <launcher pid> <executable> <args…>`, which sets
  /// PR_SET_PDEATHSIG and then execs the executable, so the child dies with the launcher.
  static func spawn(_ spec: ProcessSpec, shim: String?, echo: Bool, tailLimit: Int) throws -> Child {
    var logFD: Int32 = -1
    if !spec.logPath.isEmpty {
      logFD = open(spec.logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      guard logFD >= 0 else {
        throw LaunchError(.runtime, "cannot create the log file \(spec.logPath) of \(spec.name): \(errnoText(errno))")
      }
    }
    var fds: [Int32] = [-1, -1]
    guard gust_pipe_cloexec(&fds, 0) == 0 else {
      if logFD >= 0 { close(logFD) }
      throw LaunchError(.runtime, "cannot create a pipe for \(spec.name): \(errnoText(errno))")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2)

    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attr, &mask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setpgroup(&attr, 0)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

    let path = shim ?? spec.executable
    let argv: [String] = shim != nil
      ? [shim!, ChildShim.command, "\(getpid())", spec.executable] + spec.arguments
      : [spec.executable] + spec.arguments
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, path, &actions, &attr, &cargs, environ)
    close(fds[1])
    guard rc == 0 else {
      close(fds[0])
      if logFD >= 0 { close(logFD) }
      throw LaunchError(.runtime, "cannot start \(spec.name) (\(path)): \(errnoText(rc))")
    }
    _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
    return Child(spec: spec, pid: pid, outputFD: fds[0], logFD: logFD, echo: echo, tailLimit: tailLimit)
  }

  /// Reads what the pipe holds now; complete lines go to `console` when echoing. Returns false
  /// at end of file.
  func drain(console: (String) -> Void) -> Bool {
    guard outputFD >= 0 else { return false }
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buf.withUnsafeMutableBytes { read(outputFD, $0.baseAddress, $0.count) }
      if n > 0 {
        if logFD >= 0 { buf.withUnsafeBytes { writeAll(logFD, $0.baseAddress!, n) } }
        partial += buf[..<n]
        while let nl = partial.firstIndex(of: 10) {
          emit(String(decoding: partial[..<nl], as: UTF8.self), console: console)
          partial.removeSubrange(...nl)
        }
        continue
      }
      if n < 0 && errno == EINTR { continue }
      if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
      // End of file (or a read error): the child and every holder of the write end are gone.
      if !partial.isEmpty {
        emit(String(decoding: partial, as: UTF8.self), console: console)
        partial = []
      }
      close(outputFD)
      outputFD = -1
      if logFD >= 0 { close(logFD); logFD = -1 }
      return false
    }
  }

  private func emit(_ line: String, console: (String) -> Void) {
    tail.append(line)
    if tail.count > tailLimit { tail.removeFirst(tail.count - tailLimit) }
    if echo { console("[\(spec.name)] \(line)") }
  }

  /// Sends `signal` to the child's process group (the child and anything it started).
  func send(_ signal: Int32) {
    guard status == nil else { return }
    stopRequested = true
    if kill(-pid, signal) != 0 { _ = kill(pid, signal) }
  }

  /// Non-blocking reap; true when it has exited.
  func reap() -> Bool {
    guard status == nil else { return true }
    var s: Int32 = 0
    let r = waitpid(pid, &s, WNOHANG)
    if r == pid { status = ExitStatus(waitStatus: s); endOrder = Child.reaped; Child.reaped += 1; return true }
    if r < 0 && errno == ECHILD { status = .exited(255); endOrder = Child.reaped; Child.reaped += 1; return true }
    return false
  }
}

/// `gust __child <launcher pid> <executable> <args…>`: asks the kernel to SIGTERM this process
/// when the launcher dies (PR_SET_PDEATHSIG survives exec), checks the launcher is still there,
/// then becomes `<executable>`.
public enum ChildShim {
  public static let command = "__child"

  /// Never returns when the exec succeeds; otherwise an exit code.
  public static func run(_ args: [String]) -> Int32 {
    guard args.count >= 2, let parent = Int32(args[0]) else {
      writeError("gust \(command): internal: expected <launcher pid> <executable> <args…>\n")
      return 2
    }
    if gust_set_parent_death_signal(SIGTERM) != 0 {
      writeError("gust \(command): warning: PR_SET_PDEATHSIG failed: \(errnoText(errno))\n")
    }
    // The launcher may have died between posix_spawn and prctl: then nobody supervises us.
    guard getppid() == parent else { return 1 }
    let argv = Array(args.dropFirst())
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    execv(argv[0], &cargs)
    writeError("gust: cannot execute \(argv[0]): \(errnoText(errno))\n")
    return 127
  }
}

func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

func writeAll(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) {
  var done = 0
  while done < n {
    let w = write(fd, p + done, n - done)
    if w < 0 { if errno == EINTR { continue }; return }
    done += w
  }
}

func writeError(_ text: String) {
  var t = text
  t.withUTF8 { writeAll(2, $0.baseAddress!, $0.count) }
}
