import Foundation
import Graph

extension GConstructConfig {
  /// Reads and checks a gconstruct JSON file; errors name the file and the JSON path.
  public static func load(path: String) throws -> GConstructConfig {
    guard FileManager.default.fileExists(atPath: path) else {
      throw ConstructError(.badConfig, "the config file does not exist", file: path)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConstructError(.badConfig, "cannot read the config file", file: path)
    }
    return try parse(data, file: path)
  }

  /// Parses gconstruct JSON text. `file` only labels errors.
  public static func parse(_ data: Data, file: String? = nil) throws -> GConstructConfig {
    let any: Any
    do { any = try JSONSerialization.jsonObject(with: data) } catch {
      throw ConstructError(.badConfig, "not valid JSON: \(error.localizedDescription)", file: file)
    }
    var unknown: [String] = []
    let root = try JSONObject(any, path: "", file: file)
    let version = try root.optional("version", String.self)
    if let version, version.hasPrefix("gsprocessing") {
      throw ConstructError.config("version", "GSProcessing configs are not supported; use a gconstruct-v0.1 config", file: file)
    }
    let nodes = try root.optionalArray("nodes").enumerated().map { try parseNode($1, unknown: &unknown) }
    let edges = try root.optionalArray("edges").enumerated().map { try parseEdge($1, unknown: &unknown) }
    guard !nodes.isEmpty || !edges.isEmpty else {
      throw ConstructError.config("nodes", "the config has neither nodes nor edges", file: file)
    }
    unknown += root.unknownKeys(["version", "nodes", "edges", "is_homogeneous", "add_reverse_edges"])
    return GConstructConfig(version: version, nodes: nodes, edges: edges, unknownKeys: unknown)
  }

  static func parseNode(_ o: JSONObject, unknown: inout [String]) throws -> NodeEntry {
    let ntype = try o.required("node_type", String.self)
    guard !ntype.isEmpty, !ntype.contains("/"), !ntype.contains(":") else {
      throw o.fail("node_type", "'\(ntype)' must be non-empty and contain no '/' or ':'")
    }
    let features = try o.optionalArray("features").map { try parseFeature($0, unknown: &unknown) }
    let labels = try o.optionalArray("labels").map { try parseLabel($0, isEdge: false, unknown: &unknown) }
    unknown += o.unknownKeys(["node_type", "format", "files", "node_id_col", "features", "labels"])
    guard let idCol = try o.optional("node_id_col", String.self) else {
      throw o.fail("node_id_col", "missing (Gust needs the id column in every node entry)")
    }
    return NodeEntry(nodeType: ntype, format: try parseFormat(o), files: try parseFiles(o), nodeIdCol: idCol,
                     features: features, labels: labels, keyPath: o.path)
  }

  static func parseEdge(_ o: JSONObject, unknown: inout [String]) throws -> EdgeEntry {
    let rel = try o.required("relation", [String].self)
    guard rel.count == 3, !rel.contains(where: { $0.isEmpty || $0.contains(":") || $0.contains("/") }) else {
      throw o.fail("relation", "must be [src_ntype, relation, dst_ntype], non-empty names without ':' or '/'")
    }
    let features = try o.optionalArray("features").map { try parseFeature($0, unknown: &unknown) }
    let labels = try o.optionalArray("labels").map { try parseLabel($0, isEdge: true, unknown: &unknown) }
    unknown += o.unknownKeys(["relation", "format", "files", "source_id_col", "dest_id_col", "features", "labels"])
    return EdgeEntry(relation: EdgeType(rel[0], rel[1], rel[2]), format: try parseFormat(o), files: try parseFiles(o),
                     sourceIdCol: try o.required("source_id_col", String.self),
                     destIdCol: try o.required("dest_id_col", String.self),
                     features: features, labels: labels, keyPath: o.path)
  }

  static func parseFormat(_ o: JSONObject) throws -> TableFormat {
    let f = try o.object("format")
    let name = try f.required("name", String.self)
    switch name {
    case "parquet": return .parquet
    case "csv":
      let sep = try f.optional("separator", String.self) ?? ","
      guard sep.utf8.count == 1, sep != "\"", sep != "\n", sep != "\r" else {
        throw f.fail("separator", "must be one ASCII character other than a quote or newline, not '\(sep)'")
      }
      return .csv(separator: sep.utf8.first!)
    default:
      throw f.fail("name", "unknown format '\(name)' (Gust reads 'parquet' and 'csv')")
    }
  }

  static func parseFiles(_ o: JSONObject) throws -> [String] {
    let files: [String]
    if let s = try? o.required("files", String.self) {
      files = [s]
    } else {
      files = try o.required("files", [String].self)
    }
    guard !files.isEmpty, !files.contains(where: \.isEmpty) else { throw o.fail("files", "lists no file") }
    return files
  }

  static func parseFeature(_ o: JSONObject, unknown: inout [String]) throws -> FeatureSpec {
    let cols: [String]
    if let s = try? o.required("feature_col", String.self) {
      cols = [s]
    } else if let l = try? o.required("feature_col", [String].self), !l.isEmpty {
      cols = l
    } else {
      throw o.fail("feature_col", o.has("feature_col") ? "must be a column name or a non-empty list of them" : "missing")
    }
    let name = try o.optional("feature_name", String.self)
    if name == nil && cols.count > 1 {
      throw o.fail("feature_name", "required when feature_col is a list")
    }
    if let dt = try o.optional("out_dtype", String.self), dt != "float32" {
      throw o.fail("out_dtype", "'\(dt)': Gust stores features as float32 only")
    }
    let featureName = name ?? cols[0]
    guard !featureName.isEmpty, !featureName.contains("/") else {
      throw o.fail("feature_name", "'\(featureName)' must be non-empty and contain no '/'")
    }
    var transform: FeatureTransform?
    if o.has("transform") {
      let t = try o.object("transform")
      transform = try parseTransform(t, columns: cols, unknown: &unknown)
    }
    unknown += o.unknownKeys(["feature_col", "feature_name", "transform", "out_dtype"])
    return FeatureSpec(columns: cols, name: featureName, transform: transform, keyPath: o.path)
  }

  static func parseTransform(_ t: JSONObject, columns: [String], unknown: inout [String]) throws -> FeatureTransform {
    let name = try t.required("name", String.self)
    switch name {
    case "max_min_norm":
      unknown += t.unknownKeys(["name", "max_bound", "min_bound", "max_val", "min_val"])
      let maxVal = try t.optionalNumbers("max_val"), minVal = try t.optionalNumbers("min_val")
      guard (maxVal == nil) == (minVal == nil), maxVal?.count == minVal?.count else {
        throw t.fail("max_val", "max_val and min_val come together, with one value per dimension")
      }
      return .maxMinNorm(maxBound: try t.optional("max_bound", Double.self), minBound: try t.optional("min_bound", Double.self),
                         maxVal: maxVal, minVal: minVal)
    case "standard":
      unknown += t.unknownKeys(["name", "sum"])
      return .standard(sum: try t.optionalNumbers("sum"))
    case "rank_gauss":
      unknown += t.unknownKeys(["name", "epsilon", "uniquify"])
      let eps = try t.optional("epsilon", Double.self)
      if let eps, !(eps > 0 && eps < 1) { throw t.fail("epsilon", "must be in (0, 1), not \(eps)") }
      return .rankGauss(epsilon: eps, uniquify: try t.optional("uniquify", Bool.self) ?? false)
    case "to_categorical":
      unknown += t.unknownKeys(["name", "separator", "mapping"])
      guard columns.count == 1 else { throw t.fail("name", "to_categorical applies to one column, not a list") }
      var mapping: [String: Int]?
      if t.has("mapping") {
        let m = try t.object("mapping")
        mapping = try Dictionary(uniqueKeysWithValues: m.dict.keys.map { k in (k, try m.required(k, Int.self)) })
        let values = Set(mapping!.values)
        guard values.count == mapping!.count, values.allSatisfy({ $0 >= 0 && $0 < values.count }) else {
          throw t.fail("mapping", "indices must be 0..<\(mapping!.count), each once")
        }
      }
      let sep = try t.optional("separator", String.self)
      if let sep, sep.isEmpty { throw t.fail("separator", "must not be empty") }
      return .toCategorical(separator: sep, mapping: mapping)
    case "bucket_numerical":
      unknown += t.unknownKeys(["name", "range", "bucket_cnt", "slide_window_size"])
      guard let r = try t.optionalNumbers("range") else { throw t.fail("range", "missing ([low, high])") }
      guard r.count == 2, r[0] < r[1] else { throw t.fail("range", "must be [low, high] with low < high") }
      let cnt = try t.required("bucket_cnt", Int.self)
      guard cnt >= 1 else { throw t.fail("bucket_cnt", "must be at least 1") }
      let w = try t.optional("slide_window_size", Double.self) ?? 0
      guard w >= 0 else { throw t.fail("slide_window_size", "must be ≥ 0") }
      return .bucketNumerical(low: r[0], high: r[1], bucketCount: cnt, slideWindowSize: w)
    default:
      throw t.fail("name", "unknown transform '\(name)' (known: \(FeatureTransform.names.joined(separator: ", ")))")
    }
  }

  static func parseLabel(_ o: JSONObject, isEdge: Bool, unknown: inout [String]) throws -> LabelSpec {
    let tt = try o.required("task_type", String.self)
    guard let task = TaskType(rawValue: tt) else {
      throw o.fail("task_type", "unknown task_type '\(tt)' (known: \(TaskType.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    switch task {
    case .linkPrediction where !isEdge: throw o.fail("task_type", "link_prediction applies to edges, not nodes")
    case .reconstructEdgeFeat where !isEdge: throw o.fail("task_type", "reconstruct_edge_feat applies to edges")
    case .reconstructNodeFeat where isEdge: throw o.fail("task_type", "reconstruct_node_feat applies to nodes")
    default: break
    }
    let labelCol = try o.optional("label_col", String.self)
    if task.hasLabel && labelCol == nil { throw o.fail("label_col", "missing (\(tt) needs a label column)") }
    if task.hasLabel, let labelCol, labelCol.isEmpty || labelCol.contains("/") {
      throw o.fail("label_col", "'\(labelCol)' must be non-empty and contain no '/'")
    }
    let masks = try o.optional("mask_field_names", [String].self) ?? LabelSpec.defaultMaskNames
    guard masks.count == 3, Set(masks).count == 3, !masks.contains(where: { $0.isEmpty || $0.contains("/") }) else {
      throw o.fail("mask_field_names", "must be 3 distinct names [train, val, test]")
    }
    var split = SplitSpec.pct(train: 0.8, val: 0.1, test: 0.1)
    if o.has("custom_split_filenames") {
      let c = try o.object("custom_split_filenames")
      func files(_ k: String) throws -> [String] {
        if !c.has(k) { return [] }
        if let s = try? c.required(k, String.self) { return [s] }
        return try c.required(k, [String].self)
      }
      let column = try c.optional("column", [String].self) ?? []
      unknown += c.unknownKeys(["train", "valid", "test", "column"])
      split = .custom(train: try files("train"), valid: try files("valid"), test: try files("test"), column: column)
    } else if o.has("split_pct") {
      guard let p = try o.optionalNumbers("split_pct"), p.count == 3 else {
        throw o.fail("split_pct", "must be 3 fractions [train, val, test]")
      }
      guard p.allSatisfy({ $0 >= 0 && $0.isFinite }) else { throw o.fail("split_pct", "fractions must be ≥ 0, got \(p)") }
      guard p.reduce(0, +) <= 1 + 1e-6 else {
        throw o.fail("split_pct", "fractions sum to \(p.reduce(0, +)), more than 1")
      }
      split = .pct(train: p[0], val: p[1], test: p[2])
    }
    unknown += o.unknownKeys(["label_col", "task_type", "split_pct", "custom_split_filenames", "mask_field_names", "label_stats_type"])
    return LabelSpec(labelCol: labelCol, taskType: task, split: split, maskNames: masks, keyPath: o.path)
  }
}

/// A JSON object with its path, for typed access with errors naming the key.
struct JSONObject {
  let dict: [String: Any]
  let path: String
  let file: String?

  init(_ any: Any, path: String, file: String?) throws {
    guard let d = any as? [String: Any] else {
      throw ConstructError.config(path.isEmpty ? "(top level)" : path, "must be a JSON object", file: file)
    }
    dict = d
    self.path = path
    self.file = file
  }

  func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
  func fail(_ k: String, _ message: String) -> ConstructError { .config(key(k), message, file: file) }
  func has(_ k: String) -> Bool { dict[k] != nil && !(dict[k] is NSNull) }

  func required<T>(_ k: String, _: T.Type) throws -> T {
    guard has(k) else { throw fail(k, "missing") }
    return try convert(k, dict[k]!)
  }

  func optional<T>(_ k: String, _: T.Type) throws -> T? {
    guard has(k) else { return nil }
    return try convert(k, dict[k]!)
  }

  private func convert<T>(_ k: String, _ v: Any) throws -> T {
    if T.self == Bool.self {
      if let n = v as? NSNumber, isJSONBool(n) { return n.boolValue as! T }
      throw fail(k, "must be true or false")
    }
    if T.self == Int.self {
      if let n = v as? NSNumber, !isJSONBool(n), let i = Int(exactly: n.doubleValue) { return i as! T }
      throw fail(k, "must be an integer")
    }
    if T.self == Double.self {
      if let n = v as? NSNumber, !isJSONBool(n) { return n.doubleValue as! T }
      throw fail(k, "must be a number")
    }
    if T.self == String.self {
      if let s = v as? String { return s as! T }
      throw fail(k, "must be a string")
    }
    if T.self == [String].self {
      if let a = v as? [Any], a.allSatisfy({ $0 is String }) { return a.map { $0 as! String } as! T }
      throw fail(k, "must be a list of strings")
    }
    if let t = v as? T { return t }
    throw fail(k, "has the wrong type")
  }

  func optionalNumbers(_ k: String) throws -> [Double]? {
    guard has(k) else { return nil }
    if let n = dict[k] as? NSNumber, !isJSONBool(n) { return [n.doubleValue] }
    guard let a = dict[k] as? [Any] else { throw fail(k, "must be a list of numbers") }
    return try a.enumerated().map { i, x in
      guard let n = x as? NSNumber, !isJSONBool(n) else { throw fail("\(k)[\(i)]", "must be a number") }
      return n.doubleValue
    }
  }

  func object(_ k: String) throws -> JSONObject {
    guard has(k) else { throw fail(k, "missing") }
    return try JSONObject(dict[k]!, path: key(k), file: file)
  }

  func optionalArray(_ k: String) throws -> [JSONObject] {
    guard has(k) else { return [] }
    guard let a = dict[k] as? [Any] else { throw fail(k, "must be a list") }
    return try a.enumerated().map { try JSONObject($1, path: "\(key(k))[\($0)]", file: file) }
  }

  func unknownKeys(_ known: Set<String>) -> [String] {
    dict.keys.filter { !known.contains($0) }.sorted().map { key($0) }
  }
}

/// Whether an `NSNumber` from `JSONSerialization` came from `true`/`false` (Foundation keeps
/// booleans as a distinct subclass whose ObjC type code is `c`; JSON numbers never use it).
func isJSONBool(_ n: NSNumber) -> Bool {
  String(cString: n.objCType) == "c"
}
