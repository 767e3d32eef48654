import Graph

/// A graph built from tables, in graph ids, before partitioning.
public struct BuiltGraph {
  public var graph: GraphData
  /// Per node type (in `graph.ntypes` order): raw id ↔ graph id.
  public var idMaps: [IdMap]
  /// Learned transforms by feature key path (`nodes[0].features[1]`).
  public var learned: [String: FeatureTransform]
  /// Edges dropped by `--skip-nonexist-edges`, per edge type (input edge types only).
  public var droppedEdges: [(EdgeType, Int)]
  /// Per task with a train mask, per node type: training work per node (see `Partitioner`).
  public var trainWeights: [[[Int32]]]
}

/// Reads the tables a config names and assembles the graph (SPEC §2).
public enum GraphBuilder {
  public static func build(_ config: GConstructConfig, baseDir: String, options: ConstructOptions) throws -> BuiltGraph {
    // Node types: those with node entries in config order, then featureless ones in the order
    // their relations name them.
    var ntypes: [String] = []
    for n in config.nodes where !ntypes.contains(n.nodeType) { ntypes.append(n.nodeType) }
    let featured = Set(ntypes)
    for e in config.edges {
      for t in [e.relation.src, e.relation.dst] where !ntypes.contains(t) { ntypes.append(t) }
    }
    let maps = ntypes.map { IdMap(ntype: $0) }
    func typeIndex(_ name: String) -> Int { ntypes.firstIndex(of: name)! }

    func open(_ format: TableFormat, _ path: String, key: String) throws -> TableSource {
      try withKey(key) { try options.tableOpener(format, path) }
    }

    // Nodes.
    var nodeBuilders: [FieldsBuilder] = []
    for (t, name) in ntypes.enumerated() {
      let b = FieldsBuilder(typeLabel: "node type '\(name)'")
      nodeBuilders.append(b)
      for entry in config.nodes where entry.nodeType == name {
        try b.register(features: entry.features, labels: entry.labels)
        for path in try InputFiles.expand(entry.files, baseDir: baseDir, key: entry.keyPath + ".files") {
          let table = try open(entry.format, path, key: entry.keyPath + ".files")
          let ids = try withKey(entry.keyPath + ".node_id_col") { try table.read(entry.nodeIdCol!) }
          try maps[t].addNodes(ids, file: path)
          try withKey(entry.keyPath) {
            try b.append(table, keep: nil, features: entry.features, labels: entry.labels, validate: options.validateFeatures)
          }
        }
      }
    }

    // Edges, grouped by relation in config order.
    var etypes: [EdgeType] = []
    for e in config.edges where !etypes.contains(e.relation) { etypes.append(e.relation) }
    var src = [[Int64]](repeating: [], count: etypes.count)
    var dst = [[Int64]](repeating: [], count: etypes.count)
    var dropped = [Int](repeating: 0, count: etypes.count)
    var edgeBuilders: [FieldsBuilder] = []
    for (k, et) in etypes.enumerated() {
      let b = FieldsBuilder(typeLabel: "edge type '\(et)'")
      edgeBuilders.append(b)
      let s = typeIndex(et.src), d = typeIndex(et.dst)
      for entry in config.edges where entry.relation == et {
        try b.register(features: entry.features, labels: entry.labels)
        for path in try InputFiles.expand(entry.files, baseDir: baseDir, key: entry.keyPath + ".files") {
          let table = try open(entry.format, path, key: entry.keyPath + ".files")
          let sCol = try withKey(entry.keyPath + ".source_id_col") { try table.read(entry.sourceIdCol) }
          let dCol = try withKey(entry.keyPath + ".dest_id_col") { try table.read(entry.destIdCol) }
          let sIds = try maps[s].lookup(sCol, file: path, insert: !featured.contains(et.src))
          let dIds = try maps[d].lookup(dCol, file: path, insert: !featured.contains(et.dst))
          var keep: [Bool]?
          for r in 0..<sIds.count where sIds[r] < 0 || dIds[r] < 0 {
            let (col, map, ntype) = sIds[r] < 0 ? (sCol, maps[s], et.src) : (dCol, maps[d], et.dst)
            guard options.skipNonexistEdges else {
              throw ConstructError.data(path, row: r + 1,
                "edge endpoint '\(map.describe(col, r))' (column '\(col.name)') is not a node of type '\(ntype)'; "
                  + "add it to the node files or pass --skip-nonexist-edges to drop such edges")
            }
            if keep == nil { keep = [Bool](repeating: true, count: sIds.count) }
            keep![r] = false
            dropped[k] += 1
          }
          for r in 0..<sIds.count where keep?[r] ?? true {
            src[k].append(sIds[r])
            dst[k].append(dIds[r])
          }
          try withKey(entry.keyPath) {
            try b.append(table, keep: keep, features: entry.features, labels: entry.labels, validate: options.validateFeatures)
          }
        }
      }
    }

    // Fields: transforms, labels, masks.
    var learned: [String: FeatureTransform] = [:]
    var nodeFields: [[Field]] = []
    for (t, b) in nodeBuilders.enumerated() {
      let map = maps[t]
      let (fields, l) = try b.finish(seed: options.seed, typeKey: "node:" + ntypes[t], baseDir: baseDir) { raw, file, line in
        guard let id = map.find(raw: raw) else {
          throw ConstructError.data(file, row: line, "split file names '\(raw)', which is not a node of type '\(ntypes[t])'")
        }
        return [id]
      }
      nodeFields.append(fields)
      learned.merge(l) { a, _ in a }
    }
    var edgeFields: [[Field]] = []
    for (k, b) in edgeBuilders.enumerated() {
      let et = etypes[k]
      let sm = maps[typeIndex(et.src)], dm = maps[typeIndex(et.dst)]
      var pairIndex: [PairKey: [Int]]?
      let (fields, l) = try b.finish(seed: options.seed, typeKey: "edge:" + et.key, baseDir: baseDir) { raw, file, line in
        guard let pair = raw as? [Any], pair.count == 2 else {
          throw ConstructError.data(file, row: line, "an edge split file needs one [src, dst] pair per line, not '\(raw)'")
        }
        if pairIndex == nil {
          var idx: [PairKey: [Int]] = [:]
          for i in 0..<src[k].count { idx[PairKey(s: src[k][i], d: dst[k][i]), default: []].append(i) }
          pairIndex = idx
        }
        guard let s = sm.find(raw: pair[0]), let d = dm.find(raw: pair[1]),
              let rows = pairIndex![PairKey(s: Int64(s), d: Int64(d))] else {
          throw ConstructError.data(file, row: line, "split file names the edge \(pair[0]) → \(pair[1]), which is not an edge of '\(et)'")
        }
        return rows
      }
      edgeFields.append(fields)
      learned.merge(l) { a, _ in a }
    }

    // Training work per node, per task, for METIS's balance constraints.
    var trainWeights: [[[Int32]]] = []
    for (t, b) in nodeBuilders.enumerated() {
      for l in b.labels {
        guard let f = nodeFields[t].first(where: { $0.info.name == l.spec.maskNames[0] }), case .u8(let m) = f.data else { continue }
        var w = ntypes.indices.map { [Int32](repeating: 0, count: maps[$0].count) }
        w[t] = m.map { Int32($0) }
        trainWeights.append(w)
      }
    }
    for (k, b) in edgeBuilders.enumerated() {
      let d = typeIndex(etypes[k].dst)
      for l in b.labels {
        guard let f = edgeFields[k].first(where: { $0.info.name == l.spec.maskNames[0] }), case .u8(let m) = f.data else { continue }
        var w = ntypes.indices.map { [Int32](repeating: 0, count: maps[$0].count) }
        for (i, x) in m.enumerated() where x != 0 { w[d][Int(dst[k][i])] += 1 }
        trainWeights.append(w)
      }
    }

    let droppedList = etypes.indices.map { (etypes[$0], dropped[$0]) }
    if options.addReverseEdges {
      for k in etypes.indices {
        let et = etypes[k]
        let rev = EdgeType(et.dst, et.rel + "-rev", et.src)
        guard !etypes.contains(rev) else {
          throw ConstructError(.badFlag, "the config already has the edge type \(rev) that --add-reverse-edges would add", key: "--add-reverse-edges")
        }
        etypes.append(rev)
        src.append(dst[k])
        dst.append(src[k])
        edgeFields.append([])
      }
    }

    let g = GraphData(ntypes: ntypes, numNodes: maps.map(\.count), nodeFields: nodeFields, etypes: etypes,
                      src: src, dst: dst, edgeFields: edgeFields)
    return BuiltGraph(graph: g, idMaps: maps, learned: learned, droppedEdges: droppedList, trainWeights: trainWeights)
  }

  /// Runs `body`, adding `key` to a `ConstructError` that names none.
  static func withKey<T>(_ key: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch var e as ConstructError {
      if e.key == nil { e.key = key }
      throw e
    }
  }
}

struct PairKey: Hashable {
  var s: Int64
  var d: Int64
}
