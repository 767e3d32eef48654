import Collective
import Config
import Foundation
import Graph
import Model
import Tensor

/// `gust-trainer`: one rank of a training job. The executable only calls `TrainerCommand.main`.
///
///     gust-trainer --part-config P --cf Y [--workspace W] [--rank R --world-size N] [--seed S]
///                  (--local | --servers-file F --secret-file F [--server-timeout S] | --dry-run)
///                  [--ring-peers H:P,H:P,… [--ring-dir D] [--ring-timeout S] [--shm-tag T]]
///                  [--resume] [--inference] [--metrics-file F] [--log-interval N] [--threads N]
///                  [--no-sampling-pipeline]
///                  [--<yaml-key> value …] [--task <task id>.<key>=<value> …]
///
/// `--world-size W > 1` joins a TCP ring (`Collective.TCPRing`, authenticated with
/// `--secret-file`): rank r listens on entry r of `--ring-peers`; an entry with port 0 is
/// resolved through `--ring-dir` (rank r binds an ephemeral port and writes `D/ring-r.port`,
/// then reads the others' files, all within `--ring-timeout` seconds, default 60, which also
/// bounds every collective). Ranks on one host name their shared-memory objects with the job's
/// tag `--shm-tag` (the launcher passes it; default: derived from the absolute `--ring-dir`,
/// `SharedMemoryObjects.jobTag`), and remove abandoned objects of that tag at the rendezvous.
///
/// `--servers-file` runs read the graph through `gust-server` processes with a `GraphAccess` the
/// executable injects (`RemoteGraphFactory`; Training itself has no networking); they leave the
/// servers running at the end (the launcher stops them). `--dry-run` validates the config
/// against the graph, prints the plan (`DryRunReport`) and exits 0, reading the partitions
/// directly and starting nothing.
///
/// Every other flag is a YAML override (`--num-epochs 3`, `--save-model-path M`,
/// `--restore-model-path M`). Exit codes (SPEC §1): 0 success, 2 bad input (the message names
/// the file, key or flag), 1 runtime failure.
public struct TrainerCommand: Equatable, Sendable {
  public var partConfig: String
  public var configFile: String
  public var workspace: String = "."
  public var rank = 0
  public var worldSize = 1
  public var seed: UInt64 = 0
  public var local = false
  public var serversFile: String?
  public var secretFile: String?
  /// Seconds allowed to connect to a graph server and for each of its replies.
  public var serverTimeout: Double = 60
  public var dryRun = false
  public var resume = false
  public var inference = false
  public var metricsFile: String?
  public var logInterval = 20
  public var threads: Int?
  /// False with `--no-sampling-pipeline`: sample each batch on the main thread.
  public var samplingPipeline = RunOptions.samplingPipelineDefault
  /// The YAML override flags, as given.
  public var overrideArgs: [String] = []
  /// `--ring-peers`: where each rank listens (`host:port`, port 0 = learn it from `ringDir`).
  public var ringPeers: [String] = []
  public var ringDir: String?
  /// Seconds for the ring's rendezvous and every collective operation.
  public var ringTimeout: Double = 60
  /// `--shm-tag`: the job's tag in shared-memory object names (nil: from `ringDir`, if any).
  public var shmTag: String?

  public static let usage = """
    usage: gust-trainer --part-config P --cf Y [--workspace W] [--rank R --world-size N] [--seed S]
                        (--local | --servers-file F --secret-file F [--server-timeout S] | --dry-run)
                        [--ring-peers H:P,H:P,… [--ring-dir D] [--ring-timeout S] [--shm-tag T]]
                        [--resume] [--inference] [--metrics-file F] [--log-interval N] [--threads N]
                        [--no-sampling-pipeline]
                        [--<yaml-key> value …] [--task <task id>.<key>=<value> …]

    One rank of a training job; `gust train` starts it. --local reads every partition in this
    process; --servers-file (JSON {"partitions": [["host:port", …], …]}) and --secret-file read
    the graph through gust-server processes (each reply within --server-timeout seconds,
    default 60); --dry-run validates the config against the graph, prints the plan and exits.
    --world-size W > 1 joins the other ranks in a TCP ring: --ring-peers lists where each rank
    listens (port 0: rank r binds a free port and writes it to --ring-dir/ring-r.port), and
    --secret-file authenticates the links; every collective step has --ring-timeout seconds.
    Ranks on one host link through /dev/shm objects named gust-ring-<T>-<pid>-…, T = --shm-tag
    (1-16 of 0-9a-z; default derived from --ring-dir); the rendezvous removes objects of T that
    dead processes left.
    Training samples the next batch on a background thread while the current one computes
    (same results); --no-sampling-pipeline (or GUST_SAMPLING_PIPELINE=0) samples on the main
    thread instead.
    Other flags override YAML keys (--num-epochs 3, --save-model-path M).
    """

  /// Parses the command line (without the program name).
  public static func parse(_ args: [String]) throws -> TrainerCommand {
    var c = TrainerCommand(partConfig: "", configFile: "")
    var i = 0
    func bad(_ m: String) -> TrainingError { TrainingError(.badInput, "gust-trainer: \(m)") }
    func value(_ flag: String) throws -> String {
      guard i < args.count else { throw bad("\(flag) needs a value") }
      i += 1
      return args[i - 1]
    }
    func int(_ flag: String) throws -> Int {
      let v = try value(flag)
      guard let n = Int(v) else { throw bad("\(flag) takes an integer, got '\(v)'") }
      return n
    }
    var seenPart = false, seenCf = false
    while i < args.count {
      var a = args[i]
      var inline: String? = nil
      if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
        inline = String(a[a.index(after: eq)...])
        a = String(a[..<eq])
      }
      i += 1
      func v() throws -> String { try inline ?? value(a) }
      func n() throws -> Int {
        if let inline { guard let x = Int(inline) else { throw bad("\(a) takes an integer, got '\(inline)'") }; return x }
        return try int(a)
      }
      switch a {
      case "--part-config": c.partConfig = try v(); seenPart = true
      case "--cf", "--config": c.configFile = try v(); seenCf = true
      case "--workspace": c.workspace = try v()
      case "--rank": c.rank = try n()
      case "--world-size": c.worldSize = try n()
      case "--seed":
        let s = try v()
        guard let x = UInt64(s) else { throw bad("--seed takes a non-negative integer, got '\(s)'") }
        c.seed = x
      case "--local": c.local = true
      case "--servers-file": c.serversFile = try v()
      case "--secret-file": c.secretFile = try v()
      case "--server-timeout":
        let t = try v()
        guard let x = Double(t), x > 0, x.isFinite else { throw bad("--server-timeout takes seconds > 0, got '\(t)'") }
        c.serverTimeout = x
      case "--dry-run": c.dryRun = true
      case "--resume": c.resume = true
      case "--inference": c.inference = true
      case "--metrics-file": c.metricsFile = try v()
      case "--log-interval": c.logInterval = try n()
      case "--threads": c.threads = try n()
      case "--no-sampling-pipeline": c.samplingPipeline = false
      case "--ring-peers": c.ringPeers = try v().split(separator: ",").map { String($0) }
      case "--ring-dir": c.ringDir = try v()
      case "--shm-tag":
        let t = try v()
        guard SharedMemoryObjects.isValidTag(t) else { throw bad("--shm-tag takes 1-16 characters of 0-9a-z, got '\(t)'") }
        c.shmTag = t
      case "--ring-timeout":
        let t = try v()
        guard let x = Double(t), x > 0, x.isFinite else { throw bad("--ring-timeout takes seconds > 0, got '\(t)'") }
        c.ringTimeout = x
      case "-h", "--help": throw bad("help requested\n" + usage)
      default:
        // A YAML override: the flag and the values up to the next flag.
        c.overrideArgs.append(args[i - 1])
        while inline == nil && i < args.count && !args[i].hasPrefix("--") { c.overrideArgs.append(args[i]); i += 1 }
      }
    }
    guard seenPart, !c.partConfig.isEmpty else { throw bad("--part-config is required\n" + usage) }
    guard seenCf, !c.configFile.isEmpty else { throw bad("--cf is required\n" + usage) }
    guard c.worldSize >= 1 else { throw bad("--world-size must be ≥ 1, got \(c.worldSize)") }
    guard c.rank >= 0 && c.rank < c.worldSize else { throw bad("--rank \(c.rank) is outside 0..<\(c.worldSize) (--world-size)") }
    guard c.logInterval >= 1 else { throw bad("--log-interval must be ≥ 1") }
    if c.local && c.serversFile != nil { throw bad("give --local or --servers-file, not both") }
    if c.worldSize > 1 && !c.dryRun {
      guard c.ringPeers.count == c.worldSize else {
        throw bad("--world-size \(c.worldSize) needs --ring-peers with \(c.worldSize) host:port entries (got \(c.ringPeers.count))")
      }
      guard c.secretFile != nil else { throw bad("--world-size \(c.worldSize) needs --secret-file (the ring's links are authenticated)") }
      if c.ringPeers.contains(where: { $0.hasSuffix(":0") }) && c.ringDir == nil {
        throw bad("--ring-peers entries with port 0 need --ring-dir (where ranks publish their ports)")
      }
    }
    if !c.local && !c.dryRun {
      guard c.serversFile != nil else { throw bad("give --local (read the partitions in this process) or --servers-file and --secret-file") }
      guard c.secretFile != nil else { throw bad("--servers-file needs --secret-file") }
    }
    return c
  }

  /// Runs the command; the process exit code.
  /// `remote` builds the networked graph access of `--servers-file` runs (the executable passes
  /// RemoteAccess's; without one such runs are refused). Errors the remote access throws that
  /// are not Training's own (a dead or silent server) exit 1 with their message, which names
  /// the server.
  public static func main(_ args: [String], remote: RemoteGraphFactory? = nil,
                          print: @escaping (String) -> Void = { Swift.print($0); fflush(nil) },
                          printError: @escaping (String) -> Void = { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) }) -> Int32 {
    do {
      let c = try parse(args)
      try c.run(print: print, remote: remote)
      return 0
    } catch let e as ConfigError {
      printError("error: \(e)")
      return 2
    } catch let e as TrainingError {
      printError("error: \(e.message)")
      return e.exitCode
    } catch let e as GraphError {
      printError("error: \(e)")
      return e.code == .io ? 1 : 2
    } catch {
      printError("error: \(error)")
      return 1
    }
  }

  /// Loads the config and the graph, builds the trainer and runs it.
  public func run(print: @escaping (String) -> Void, remote: RemoteGraphFactory? = nil) throws {
    Threads.configure(threads)
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
    let part = absolute(partConfig), cf = absolute(configFile), ws = absolute(workspace)
    if !local && !dryRun && remote == nil {
      throw TrainingError(.badInput, "gust-trainer: --servers-file: the networked graph client is not available in this build; use --local")
    }
    let overrides = try ConfigOverrides.parse(overrideArgs)
    let mode: ConfigMode = inference ? .infer : .train
    let config = try GustConfig.load(path: cf, overrides: overrides, mode: mode)
    guard FileManager.default.fileExists(atPath: part) else {
      throw TrainingError(.badInput, "--part-config: \(part) does not exist")
    }
    let graphConfig = try PartitionConfig.load(path: part)
    let plan = try TrainingPlan.make(config: config, graph: graphConfig, mode: mode)
    if dryRun {
      let report = try DryRunReport.make(plan: plan, graph: try LocalGraphAccess(configPath: part, verify: false), worldSize: worldSize,
                                         inference: inference)
      for line in report.lines { print(line) }
      return
    }
    try FileManager.default.createDirectory(atPath: ws, withIntermediateDirectories: true)
    guard FileManager.default.changeCurrentDirectoryPath(ws) else {
      throw TrainingError(.badInput, "--workspace: cannot enter \(ws)")
    }
    let access: GraphAccess
    if local {
      let l = try LocalGraphAccess(configPath: part)
      l.addEmbeddings(ntypes: plan.embeddingTypes, width: plan.encoder.embeddingSize, seed: seed,
                      lr: Float(config.training.sparseOptimizerLR))
      access = l
    } else {
      access = try remote!(RemoteGraphSpec(
        partConfigPath: part, partitionConfig: graphConfig, serversFile: absolute(serversFile!),
        secretFile: absolute(secretFile!), rank: rank, worldSize: worldSize, embeddingTypes: plan.embeddingTypes,
        embeddingWidth: plan.encoder.embeddingSize, seed: seed, timeout: serverTimeout))
    }
    let reducer: GradientReducer = worldSize == 1 ? IdentityReducer()
      : CollectiveReducer(try RingRendezvous(rank: rank, peers: ringPeers, directory: ringDir.map(absolute),
                                             secretFile: absolute(secretFile!), timeout: ringTimeout,
                                             shmTag: shmTag ?? ringDir.map { SharedMemoryObjects.jobTag(runDirectory: absolute($0)) })
                            .connect(print: print))
    var o = RunOptions()
    o.rank = rank
    o.worldSize = worldSize
    o.seed = seed
    o.metricsPath = metricsFile.map(absolute) ?? ws + "/metrics.jsonl"
    o.resume = resume
    o.logInterval = logInterval
    o.samplingPipeline = samplingPipeline
    // Profiling aid: stop (as if interrupted) after this many steps (GUST_PROFILE_STEPS=N).
    if let v = ProcessInfo.processInfo.environment["GUST_PROFILE_STEPS"], let n = Int(v), n > 0 { o.stopAfterSteps = n }
    o.configText = try? String(contentsOfFile: cf, encoding: .utf8)
    o.overrides = overrideArgs
    o.partConfigPath = part
    o.print = print
    let trainer = try Trainer(plan: plan, graph: access, options: o, reducer: reducer, inference: inference)
    defer { (reducer as? CollectiveReducer)?.communicator.close() }
    if inference { _ = try trainer.runInference() } else { try trainer.saveEmbeddingsAfterTraining(try trainer.run()) }
  }
}
