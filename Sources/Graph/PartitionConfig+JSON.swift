import Foundation

extension PartitionConfig {
  /// The config as JSON with sorted keys (byte-identical for identical configs).
  public func jsonData() throws -> Data {
    var root: [String: Any] = [
      "graph_name": graphName, "num_parts": numParts, "part_method": partMethod, "halo_hops": 0,
      "num_nodes": numNodes, "num_edges": numEdges,
    ]
    root["ntypes"] = Dictionary(uniqueKeysWithValues: ntypes.enumerated().map { ($1, $0) })
    root["etypes"] = Dictionary(uniqueKeysWithValues: etypes.enumerated().map { ($1.key, $0) })
    root["node_map"] = Dictionary(uniqueKeysWithValues: ntypes.enumerated().map {
      ($1, nodeMap[$0].map { [$0.start, $0.end] })
    })
    root["edge_map"] = Dictionary(uniqueKeysWithValues: etypes.enumerated().map {
      ($1.key, edgeMap[$0].map { [$0.start, $0.end] })
    })
    for p in 0..<numParts {
      root["part-\(p)"] = ["node_feats": "part\(p)", "edge_feats": "part\(p)", "part_graph": "part\(p)"]
    }
    func fields(_ f: [FieldInfo]) -> [[String: Any]] {
      f.map { ["name": $0.name, "kind": $0.kind.rawValue, "dtype": $0.dtype.rawValue, "width": $0.width] }
    }
    func files(_ m: [String: FileEntry]) -> [String: Any] {
      m.mapValues { ["path": $0.path, "bytes": $0.bytes, "crc32": Int($0.crc32)] }
    }
    root["gust"] = [
      "format_version": PartitionConfig.formatVersion,
      "seed": String(seed),
      "node_fields": Dictionary(uniqueKeysWithValues: ntypes.enumerated().map { ($1, fields(nodeFields[$0])) }),
      "edge_fields": Dictionary(uniqueKeysWithValues: etypes.enumerated().map { ($1.key, fields(edgeFields[$0])) }),
      "part_files": partFiles.map(files),
      "files": files(globalFiles),
    ] as [String: Any]
    return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .prettyPrinted])
  }

  /// Reads and validates `<graph>.json`; every error names the file and the key.
  public static func load(path: String) throws -> PartitionConfig {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw GraphError(.notFound, "cannot read the partition config", path: path)
    }
    let any: Any
    do { any = try JSONSerialization.jsonObject(with: data) } catch {
      throw GraphError(.badConfig, "not valid JSON: \(error.localizedDescription)", path: path)
    }
    let r = JSONReader(path: path)
    guard let root = any as? [String: Any] else { throw r.fail("", "the top level is not an object") }
    let graphName: String = try r.get(root, "graph_name")
    let numParts: Int = try r.get(root, "num_parts")
    let partMethod: String = try r.get(root, "part_method")
    let ntypeIds: [String: Int] = try r.get(root, "ntypes")
    let etypeIds: [String: Int] = try r.get(root, "etypes")
    let ntypes = try r.ordered(ntypeIds, key: "ntypes")
    let etypeKeys = try r.ordered(etypeIds, key: "etypes")
    let etypes = try etypeKeys.map { k -> EdgeType in
      guard let e = EdgeType(parsing: k) else { throw r.fail("etypes", "'\(k)' is not src:rel:dst") }
      return e
    }
    let nodeMapRaw: [String: [[Int64]]] = try r.get(root, "node_map")
    let edgeMapRaw: [String: [[Int64]]] = try r.get(root, "edge_map")
    func ranges(_ raw: [[Int64]]?, _ key: String) throws -> [IdRange] {
      guard let raw, raw.count == numParts else { throw r.fail(key, "needs one [start, end) per partition (\(numParts))") }
      return try raw.map { pair in
        guard pair.count == 2, pair[0] <= pair[1] else { throw r.fail(key, "bad range \(pair)") }
        return IdRange(pair[0], pair[1])
      }
    }
    let nodeMap = try ntypes.map { try ranges(nodeMapRaw[$0], "node_map.\($0)") }
    let edgeMap = try etypeKeys.map { try ranges(edgeMapRaw[$0], "edge_map.\($0)") }
    let gust: [String: Any] = try r.get(root, "gust")
    let version: Int = try r.get(gust, "format_version", prefix: "gust")
    guard version == formatVersion else {
      throw r.fail("gust.format_version", "format \(version); this build reads format \(formatVersion) (reconstruct the graph)")
    }
    let seedString: String = try r.get(gust, "seed", prefix: "gust")
    let nodeFieldsRaw: [String: [[String: Any]]] = try r.get(gust, "node_fields", prefix: "gust")
    let edgeFieldsRaw: [String: [[String: Any]]] = try r.get(gust, "edge_fields", prefix: "gust")
    let nodeFields = try ntypes.map { try r.fields(nodeFieldsRaw[$0] ?? [], key: "gust.node_fields.\($0)") }
    let edgeFields = try etypeKeys.map { try r.fields(edgeFieldsRaw[$0] ?? [], key: "gust.edge_fields.\($0)") }
    let partFilesRaw: [[String: Any]] = try r.get(gust, "part_files", prefix: "gust")
    guard partFilesRaw.count == numParts else { throw r.fail("gust.part_files", "needs \(numParts) entries") }
    let partFiles = try partFilesRaw.enumerated().map { try r.files($1, key: "gust.part_files[\($0)]") }
    let globalFiles = try r.files(try r.get(gust, "files", prefix: "gust"), key: "gust.files")
    guard let seed = UInt64(seedString) else { throw r.fail("gust.seed", "'\(seedString)' is not an unsigned integer") }
    return PartitionConfig(
      graphName: graphName, numParts: numParts, partMethod: partMethod, ntypes: ntypes, etypes: etypes,
      nodeMap: nodeMap, edgeMap: edgeMap, nodeFields: nodeFields, edgeFields: edgeFields,
      partFiles: partFiles, globalFiles: globalFiles, seed: seed)
  }
}

/// Typed access to decoded JSON with errors that name the file and the key path.
struct JSONReader {
  let path: String

  func fail(_ key: String, _ message: String) -> GraphError {
    GraphError(.badConfig, key.isEmpty ? message : "key '\(key)': \(message)", path: path)
  }

  func get<T>(_ obj: [String: Any], _ key: String, prefix: String = "") throws -> T {
    let full = prefix.isEmpty ? key : "\(prefix).\(key)"
    guard let v = obj[key] else { throw fail(full, "missing") }
    if let t = v as? T { return t }
    if T.self == [[Int64]].self, let a = v as? [[NSNumber]] { return a.map { $0.map(\.int64Value) } as! T }
    if T.self == [String: [[Int64]]].self, let d = v as? [String: [[NSNumber]]] {
      return d.mapValues { $0.map { $0.map(\.int64Value) } } as! T
    }
    throw fail(full, "has the wrong type")
  }

  /// Names ordered by their integer ids, which must be exactly 0..<count.
  func ordered(_ ids: [String: Int], key: String) throws -> [String] {
    var out = [String?](repeating: nil, count: ids.count)
    for (name, id) in ids {
      guard id >= 0 && id < ids.count, out[id] == nil else { throw fail(key, "ids must be 0..<\(ids.count), each once") }
      out[id] = name
    }
    return out.map { $0! }
  }

  func fields(_ raw: [[String: Any]], key: String) throws -> [FieldInfo] {
    try raw.enumerated().map { i, f in
      let k = "\(key)[\(i)]"
      let name: String = try get(f, "name", prefix: k)
      let kindS: String = try get(f, "kind", prefix: k)
      let dtypeS: String = try get(f, "dtype", prefix: k)
      let width: Int = try get(f, "width", prefix: k)
      guard let kind = FieldKind(rawValue: kindS) else { throw fail("\(k).kind", "unknown kind '\(kindS)'") }
      guard let dtype = DType(rawValue: dtypeS) else { throw fail("\(k).dtype", "unknown dtype '\(dtypeS)'") }
      guard width >= 1 else { throw fail("\(k).width", "must be at least 1") }
      return FieldInfo(name: name, kind: kind, dtype: dtype, width: width)
    }
  }

  func files(_ raw: [String: Any], key: String) throws -> [String: PartitionConfig.FileEntry] {
    var out: [String: PartitionConfig.FileEntry] = [:]
    for (name, v) in raw {
      guard let f = v as? [String: Any] else { throw fail("\(key).\(name)", "not an object") }
      let p: String = try get(f, "path", prefix: "\(key).\(name)")
      let bytes: Int = try get(f, "bytes", prefix: "\(key).\(name)")
      let crc: Int = try get(f, "crc32", prefix: "\(key).\(name)")
      guard !p.hasPrefix("/"), !p.split(separator: "/").contains("..") else {
        throw fail("\(key).\(name).path", "must stay inside the graph folder")
      }
      out[name] = .init(path: p, bytes: bytes, crc32: UInt32(truncatingIfNeeded: crc))
    }
    return out
  }
}
