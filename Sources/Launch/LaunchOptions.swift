#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `gust train` / `gust infer`'s command line (SPEC §1, §6). Every flag the launcher does not
/// know is a YAML override handed to the trainers as given (`--num-epochs 3`,
/// `--save-model-path M`, `--task <id>.<key>=<value>`); the launcher checks them with `Config`
/// before it starts anything.
public struct LaunchOptions: Equatable, Sendable {
  public enum Mode: String, Sendable { case train, infer }

  public var mode: Mode
  public var partConfig = ""
  public var configFile = ""
  /// Working directory of the job: `run/` (secret, port files, servers file), `logs/`,
  /// `metrics.jsonl`; the trainers run inside it.
  public var workspace = "."
  public var numTrainers = 1
  public var numServers = 1
  public var ipConfig: String?
  public var sshPort = 22
  public var resume = false
  public var seed: UInt64 = 0
  public var dryRun = false
  /// Trainers read the partitions in-process (`gust-trainer --local`) instead of through the
  /// servers; the servers are still started and supervised. For tests of the process handling
  /// that do not need the network path (and a fallback while debugging one).
  public var localTrainer = false
  /// Seconds a server may take to write its port file (map + check its partition, listen).
  public var serverStartTimeout: Double = 120
  /// Seconds between SIGTERM and SIGKILL when stopping processes.
  public var gracePeriod: Double = 10
  public var logInterval: Int?
  public var metricsFile: String?
  public var trainerThreads: Int?
  public var serverThreads: Int?
  /// Trainers' `--server-timeout`: seconds a server may take to answer (theirs defaults to 60).
  public var serverTimeout: Double?
  /// Trainers' `--ring-timeout` (several trainers): seconds for the ring's rendezvous and
  /// every collective step; a dead or silent rank fails the others within it (theirs defaults to 60).
  public var ringTimeout: Double?
  /// Lines of a failed process's log printed with the failure.
  public var tailLines = 20
  /// The YAML override flags (paths of `*_path` keys made absolute), passed to every trainer.
  public var overrideArgs: [String] = []

  public init(mode: Mode) { self.mode = mode }

  public static func usage(_ mode: Mode) -> String {
    let cmd = mode == .train ? "train" : "infer"
    let extra = mode == .train
      ? "[--save-model-path M] [--save-embed-path E] [--restore-model-path M] [--resume] [--inference]"
      : "--restore-model-path M [--save-prediction-path P] [--save-embed-path E]\n"
        + "                        [--output-format parquet|csv] [--output-chunk-size N] [--keep-integer-ids] [--no-validation]"
    let resume = mode == .train
      ? "\n  --resume                continue a run: the checkpoint --restore-model-path names, else the newest under\n"
        + "                          save_model_path; epochs, steps and seeds continue as if it had never stopped"
      : ""
    return """
      usage: gust \(cmd) --part-config P --cf Y [--workspace W] [--num-trainers T] [--num-servers S]
                        [--ip-config H] \(extra)
                        [--seed S] [--dry-run] [--<yaml-key> value …] [--task <task id>.<key>=<value> …]

      Starts S gust-server processes per partition and T gust-trainer processes, supervises them and
      stops them all when one fails or on Ctrl-C. Without --ip-config every partition is served on
      127.0.0.1. Logs: <workspace>/logs/<role>-<partition or rank>[-<server id>].log.
        --workspace W           job directory (default .): run/, logs/, metrics.jsonl
        --num-trainers T        trainers (ranks 0…T-1; default 1)
        --num-servers S         servers per partition (default 1; server 0 holds the embeddings)
        --ip-config H           hostfile, one 'IP [PORT]' line per partition (loopback only until multi-host)
        --seed S                job seed (default 0)
        --dry-run               check the config against the graph, print the plan, start nothing
        --server-start-timeout SECONDS  (default 120)   --grace-period SECONDS (SIGTERM→SIGKILL, default 10)
        --server-timeout SECONDS  a trainer fails (and with it the job) when a server is silent that long (default 60)
        --ring-timeout SECONDS    several trainers: a trainer fails when another rank is dead or silent that long (default 60)
        --log-interval N, --metrics-file F, --trainer-threads N, --server-threads N   passed on
        --local-trainer         trainers read the partitions in-process instead of through the servers (tests)\(resume)
      Any other flag overrides a YAML key (--num-epochs 3, --lr 0.01); --task id.key=value a task key.
      Exit codes: 0 done; 2 bad input, nothing started; 1 a process failed (named, with its log tail).
      """
  }

  /// YAML keys holding a path: made absolute against the launcher's working directory, since
  /// the trainers run inside the workspace.
  static let pathKeys: Set<String> = [
    "--save-model-path", "--save-embed-path", "--save-prediction-path", "--restore-model-path",
  ]

  /// True when the arguments ask for the usage (`--help`, `-h`): the caller prints it, exit 0.
  public static func isHelpRequest(_ args: [String]) -> Bool { args.contains("--help") || args.contains("-h") }

  /// Parses the arguments after `gust train` / `gust infer`. `--inference` turns `train` into
  /// `infer`. Throws `LaunchError` (exit 2) naming the flag.
  public static func parse(_ args: [String], mode: Mode, cwd: String = currentDirectory()) throws -> LaunchOptions {
    var o = LaunchOptions(mode: mode)
    var i = 0
    func bad(_ m: String) -> LaunchError { .bad("gust \(mode.rawValue): \(m)") }
    while i < args.count {
      var flag = args[i]
      var inline: String?
      if flag.hasPrefix("--"), let eq = flag.firstIndex(of: "=") {
        inline = String(flag[flag.index(after: eq)...])
        flag = String(flag[..<eq])
      }
      i += 1
      func value() throws -> String {
        if let inline { return inline }
        guard i < args.count else { throw bad("\(flag) needs a value") }
        i += 1
        return args[i - 1]
      }
      func int(min: Int) throws -> Int {
        let v = try value()
        guard let n = Int(v), n >= min else { throw bad("\(flag) takes an integer ≥ \(min), got '\(v)'") }
        return n
      }
      func seconds() throws -> Double {
        let v = try value()
        guard let s = Double(v), s > 0, s.isFinite else { throw bad("\(flag) takes seconds > 0, got '\(v)'") }
        return s
      }
      switch flag {
      case "--part-config": o.partConfig = try value()
      case "--cf", "--config": o.configFile = try value()
      case "--workspace": o.workspace = try value()
      case "--num-trainers": o.numTrainers = try int(min: 1)
      case "--num-servers": o.numServers = try int(min: 1)
      case "--ip-config": o.ipConfig = try value()
      case "--ssh-port": o.sshPort = try int(min: 1)
      case "--resume": o.resume = true
      case "--inference": o.mode = .infer
      case "--seed":
        let v = try value()
        guard let s = UInt64(v) else { throw bad("--seed takes a non-negative integer, got '\(v)'") }
        o.seed = s
      case "--dry-run": o.dryRun = true
      case "--local-trainer": o.localTrainer = true
      case "--server-start-timeout": o.serverStartTimeout = try seconds()
      case "--grace-period": o.gracePeriod = try seconds()
      case "--log-interval": o.logInterval = try int(min: 1)
      case "--metrics-file": o.metricsFile = absolutePath(try value(), cwd: cwd)
      case "--trainer-threads": o.trainerThreads = try int(min: 1)
      case "--server-threads": o.serverThreads = try int(min: 1)
      case "--server-timeout": o.serverTimeout = try seconds()
      case "--ring-timeout": o.ringTimeout = try seconds()
      case "-h", "--help": throw bad("--help is answered before parsing (LaunchOptions.isHelpRequest)")
      default:
        guard flag.hasPrefix("--") else { throw bad("unexpected argument '\(flag)'") }
        // A YAML override: the flag and its values up to the next flag (Config checks them).
        if pathKeys.contains(flag) {
          o.overrideArgs += [flag, absolutePath(try value(), cwd: cwd)]
        } else if let inline {
          o.overrideArgs.append("\(flag)=\(inline)")
        } else {
          o.overrideArgs.append(flag)
          while i < args.count && !args[i].hasPrefix("--") { o.overrideArgs.append(args[i]); i += 1 }
        }
      }
    }
    guard !o.partConfig.isEmpty else { throw bad("--part-config is required (gust \(mode.rawValue) --help)") }
    guard !o.configFile.isEmpty else { throw bad("--cf is required (gust \(mode.rawValue) --help)") }
    o.partConfig = absolutePath(o.partConfig, cwd: cwd)
    o.configFile = absolutePath(o.configFile, cwd: cwd)
    o.workspace = absolutePath(o.workspace, cwd: cwd)
    if let h = o.ipConfig { o.ipConfig = absolutePath(h, cwd: cwd) }
    if o.mode == .infer && o.resume { throw bad("--resume continues training; it has no meaning for inference") }
    return o
  }
}

/// The process's working directory.
public func currentDirectory() -> String {
  var buf = [CChar](repeating: 0, count: 4096)
  guard getcwd(&buf, buf.count) != nil else { return "." }
  return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// `path` made absolute against `cwd`, with `.` and `..` components and doubled slashes removed.
public func absolutePath(_ path: String, cwd: String) -> String {
  let full = path.hasPrefix("/") ? path : cwd + "/" + path
  var parts: [Substring] = []
  for c in full.split(separator: "/") {
    if c == "." { continue }
    if c == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
    parts.append(c)
  }
  return "/" + parts.joined(separator: "/")
}
