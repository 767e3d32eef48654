import Foundation
import Graph

/// What a construction produced, for the command to print.
public struct ConstructSummary: Sendable {
  public var outputDir: String
  public var config: PartitionConfig
  /// Edges dropped by `--skip-nonexist-edges`, per input edge type.
  public var droppedEdges: [(EdgeType, Int)]
  /// Edges whose endpoints landed in different partitions.
  public var edgeCut: Int
  public var warnings: [String]
}

/// `gust construct`: tables + gconstruct JSON → a partitioned graph folder (SPEC §2).
///
/// The output is written under `<output-dir>.tmp-<pid>` and renamed to `<output-dir>` only when
/// every file is complete; on any error the temporary folder is removed. An existing output
/// folder is replaced only when it is empty or holds a Gust graph (a `*.json` partition config
/// with a `"gust"` section) — never an unrelated folder.
public enum GraphConstruction {
  @discardableResult
  public static func run(_ options: ConstructOptions, log: (String) -> Void = { _ in }) throws -> ConstructSummary {
    try options.check()
    let config = try GConstructConfig.load(path: options.confFile)
    var warnings = config.unknownKeys.map { "config key '\($0)' is not used by Gust" }
    let baseDir = (options.confFile as NSString).deletingLastPathComponent
    let out = options.outputDir.hasSuffix("/") ? String(options.outputDir.dropLast()) : options.outputDir
    try checkOutputDir(out)

    let built = try GraphBuilder.build(config, baseDir: baseDir.isEmpty ? "." : baseDir, options: options)
    let g = built.graph
    for (et, n) in built.droppedEdges where n > 0 {
      warnings.append("--skip-nonexist-edges dropped \(n) edges of \(et) whose endpoints are not nodes")
    }
    log("read \(g.ntypes.count) node types (\(g.numNodes.reduce(0, +)) nodes), \(g.etypes.count) edge types (\(g.src.reduce(0) { $0 + $1.count }) edges)")
    let assignment = try Partitioner.assign(g, numParts: options.numParts, method: options.partMethod,
                                            seed: options.seed, trainWeights: built.trainWeights)
    let cut = Partitioner.edgeCut(g, assignment)

    let tmp = "\(out).tmp-\(getpid())"
    try? FileManager.default.removeItem(atPath: tmp)
    do {
      try ArrayFileWriter.makeDirectories(tmp)
      let pc = try GraphWriter.write(g, assignment: assignment, numParts: options.numParts,
                                     partMethod: options.partMethod.rawValue, graphName: options.graphName,
                                     seed: options.seed, root: tmp)
      let transformed = try TransformedConfig.json(configFile: options.confFile, learned: built.learned,
                                                   addReverseEdges: options.addReverseEdges)
      try transformed.write(to: URL(fileURLWithPath: tmp + "/data_transform_new.json"))
      try RawIdMappings.write(built.idMaps, root: tmp)
      try replace(out, with: tmp)
      return ConstructSummary(outputDir: out, config: pc, droppedEdges: built.droppedEdges, edgeCut: cut, warnings: warnings)
    } catch {
      try? FileManager.default.removeItem(atPath: tmp)
      if let e = error as? GraphError {
        throw ConstructError(e.code == .invalidArgument ? .badData : .io, e.message, file: e.path)
      }
      throw error
    }
  }

  /// Refuses an output folder that exists and is neither empty nor a Gust graph.
  static func checkOutputDir(_ out: String) throws {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: out, isDirectory: &isDir) else { return }
    guard isDir.boolValue else {
      throw ConstructError(.badFlag, "'\(out)' exists and is not a folder", key: "--output-dir")
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
    if names.isEmpty || isGustGraph(out, names) { return }
    throw ConstructError(.badFlag, "'\(out)' exists and is not a Gust graph folder; remove it or choose another", key: "--output-dir")
  }

  static func isGustGraph(_ dir: String, _ names: [String]) -> Bool {
    names.contains { name in
      guard name.hasSuffix(".json"), name != "data_transform_new.json",
            let d = FileManager.default.contents(atPath: dir + "/" + name),
            let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else { return false }
      return o["gust"] != nil
    }
  }

  /// Renames `tmp` to `out`; an existing `out` (checked by `checkOutputDir`) is moved aside first
  /// and removed after.
  static func replace(_ out: String, with tmp: String) throws {
    let old = "\(out).old-\(getpid())"
    let exists = FileManager.default.fileExists(atPath: out)
    if exists {
      try checkOutputDir(out)
      guard rename(out, old) == 0 else {
        throw ConstructError(.io, "cannot move the previous output aside: \(String(cString: strerror(errno)))", file: out)
      }
    }
    guard rename(tmp, out) == 0 else {
      let why = String(cString: strerror(errno))
      if exists { _ = rename(old, out) }
      throw ConstructError(.io, "cannot rename the finished output into place: \(why)", file: out)
    }
    if exists { try? FileManager.default.removeItem(atPath: old) }
  }
}

/// `data_transform_new.json`: the input config with every learned transform parameter filled in,
/// so inference-time data constructed with it is transformed identically.
enum TransformedConfig {
  static func json(configFile: String, learned: [String: FeatureTransform], addReverseEdges: Bool) throws -> Data {
    guard let data = FileManager.default.contents(atPath: configFile),
          var root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw ConstructError(.io, "cannot re-read the config", file: configFile)
    }
    for section in ["nodes", "edges"] {
      guard var entries = root[section] as? [Any] else { continue }
      for i in entries.indices {
        guard var entry = entries[i] as? [String: Any], var feats = entry["features"] as? [Any] else { continue }
        for j in feats.indices {
          guard var f = feats[j] as? [String: Any], let t = learned["\(section)[\(i)].features[\(j)]"] else { continue }
          var d = (f["transform"] as? [String: Any]) ?? [:]
          d["name"] = t.name
          switch t {
          case .maxMinNorm(let maxBound, let minBound, let maxVal, let minVal):
            if let maxBound { d["max_bound"] = maxBound }
            if let minBound { d["min_bound"] = minBound }
            d["max_val"] = maxVal
            d["min_val"] = minVal
          case .standard(let sum): d["sum"] = sum
          case .rankGauss(let eps, let uniquify):
            if let eps { d["epsilon"] = eps }
            d["uniquify"] = uniquify
          case .toCategorical(let sep, let mapping):
            if let sep { d["separator"] = sep }
            d["mapping"] = mapping
          case .bucketNumerical: break
          }
          f["transform"] = d
          feats[j] = f
        }
        entry["features"] = feats
        entries[i] = entry
      }
      root[section] = entries
    }
    root["version"] = "gconstruct-runtime-v0.1"
    root["add_reverse_edges"] = addReverseEdges
    root["is_homogeneous"] = false
    return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .prettyPrinted])
  }
}
