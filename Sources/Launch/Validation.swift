#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Config
import Graph

/// Everything checked before a process starts (SPEC §1: config errors exit 2 before any process
/// starts): the partition config, the YAML with its overrides against the graph's schema,
/// `--restore-model-path` for inference, the hostfile, and the executables.
public struct ValidatedJob: Sendable {
  public var plan: JobPlan
  public var config: GustConfig
  public var graph: PartitionConfig
}

public enum Validation {
  /// The schema `Config` checks a YAML against, from the partition config (the same one the
  /// trainer builds).
  public static func schema(of g: PartitionConfig) -> GraphSchema {
    GraphSchema(
      nodeTypes: g.ntypes.enumerated().map { GraphSchema.NodeTypeInfo(name: $1, fields: Set(g.nodeFields[$0].map(\.name))) },
      edgeTypes: g.etypes.enumerated().map {
        GraphSchema.EdgeTypeInfo(edgeType: Config.EdgeType($1.src, $1.rel, $1.dst), fields: Set(g.edgeFields[$0].map(\.name)))
      })
  }

  /// Throws `LaunchError` (exit 2 for bad input, 1 for a missing executable).
  public static func validate(_ o: LaunchOptions, binDir: String) throws -> ValidatedJob {
    let cmd = "gust \(o.mode.rawValue)"
    guard access(o.partConfig, F_OK) == 0 else { throw LaunchError.bad("\(cmd): --part-config \(o.partConfig) does not exist") }
    let graph: PartitionConfig
    do { graph = try PartitionConfig.load(path: o.partConfig) } catch {
      throw LaunchError.bad("\(cmd): --part-config \(o.partConfig): \(error)")
    }
    let mode: ConfigMode = o.mode == .infer ? .infer : .train
    let config: GustConfig
    do {
      let overrides = try ConfigOverrides.parse(o.overrideArgs)
      config = try GustConfig.load(path: o.configFile, overrides: overrides, mode: mode)
      let errors = config.validate(against: schema(of: graph), mode: mode)
      if !errors.isEmpty {
        throw LaunchError.bad(errors.map { "\(cmd): \(o.configFile): \($0)" }.joined(separator: "\n"))
      }
    } catch let e as ConfigError {
      throw LaunchError.bad("\(cmd): \(e.path == o.configFile || e.path.hasPrefix("--") ? "" : o.configFile + ": ")\(e)")
    }
    if o.mode == .infer {
      guard let m = config.training.restoreModelPath else {
        throw LaunchError.bad("\(cmd): --restore-model-path is required: inference needs trained weights "
          + "(GraphStorm silently uses random ones; Gust refuses)")
      }
      guard access(m, F_OK) == 0 else { throw LaunchError.bad("\(cmd): --restore-model-path \(m) does not exist") }
    }
    // Output folders: an existing file (or a file where a parent folder should be) is refused now,
    // not after the job has run.
    for (flag, path) in [("--save-embed-path", config.training.saveEmbedPath), ("--save-prediction-path", config.training.savePredictionPath),
                         ("--save-model-path", config.training.saveModelPath)] {
      guard let path else { continue }
      var p = path
      while !p.isEmpty && p != "/" {
        var st = stat()
        if stat(p, &st) == 0 {
          if (st.st_mode & S_IFMT) != S_IFDIR {
            throw LaunchError.bad("\(cmd): \(flag) \(path): \(p) is a file, not a folder; give another output path")
          }
          break
        }
        p = String(p[..<(p.lastIndex(of: "/") ?? p.startIndex)])
      }
    }
    var hosts: [HostFile.Host]?
    if let path = o.ipConfig {
      let h = try HostFile.load(path: path, numParts: graph.numParts)
      if let remote = h.hosts.first(where: { !$0.isLoopback }) {
        throw LaunchError.bad("\(cmd): --ip-config \(path):\(remote.line): host \(remote.ip) is not this machine; "
          + "starting processes on other hosts (ssh -p \(o.sshPort)) arrives with the multi-host issue. "
          + "Without --ip-config every partition is served on 127.0.0.1")
      }
      var seen: [String: Int] = [:]
      for (p, host) in h.hosts.enumerated() {
        guard let port = host.port else { continue }
        for s in 0..<o.numServers {
          let key = endpoint(host.ip, port + s)
          if let q = seen[key] {
            throw LaunchError.bad("\(cmd): --ip-config \(path): partitions \(q) and \(p) would both listen on \(key) "
              + "(server s of a host listens on PORT + s)")
          }
          seen[key] = p
        }
      }
      hosts = h.hosts
    }
    let plan = JobPlan.make(options: o, numParts: graph.numParts, hosts: hosts, embedDim: config.training.hiddenSize,
                            embedAllTypes: config.training.useNodeEmbeddings, binDir: binDir)
    if !o.dryRun {
      for exe in [binDir + "/gust-server", binDir + "/gust-trainer"] where access(exe, X_OK) != 0 {
        throw LaunchError(.runtime, "\(cmd): cannot find the executable \(exe) (gust-server and gust-trainer must sit "
          + "next to gust; build them with `swift build`)")
      }
    }
    return ValidatedJob(plan: plan, config: config, graph: graph)
  }
}
