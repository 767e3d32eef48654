#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Lays a `GraphData` out as partitions: renumbers nodes so each (partition, type) is one
/// contiguous global range, builds each partition's in-edge CSR per edge type, writes every array
/// as a plain little-endian file with its crc32, then the config. Deterministic: the same graph
/// and assignment give byte-identical files.
public enum GraphWriter {
  /// Writes into `root` (which the caller creates under a temporary name and renames when the
  /// whole output is complete) and returns the config, also saved as `root/<graphName>.json`.
  /// `assignment[t][v]` is the partition of node `v` of type `t`.
  @discardableResult
  public static func write(_ g: GraphData, assignment: [[Int32]], numParts: Int, partMethod: String,
                           graphName: String, seed: UInt64, root: String) throws -> PartitionConfig {
    try g.validate()
    let T = g.ntypes.count, E = g.etypes.count
    guard assignment.count == T else { throw GraphError(.invalidArgument, "assignment for \(assignment.count) of \(T) node types") }

    // 1. Global node ids: partition-major, then type; ascending graph id inside each block.
    var nodeMap = [[PartitionConfig.IdRange]](repeating: [], count: T)
    var globalOf = [[Int64]](repeating: [], count: T)   // [t][graph id] -> global id
    var orderOf = [[Int]](repeating: [], count: T)      // [t] graph ids in global order
    var buckets = [[[Int]]](repeating: [[Int]](repeating: [], count: numParts), count: T)
    for t in 0..<T {
      guard assignment[t].count == g.numNodes[t] else {
        throw GraphError(.invalidArgument, "assignment of \(g.ntypes[t]) has \(assignment[t].count) entries for \(g.numNodes[t]) nodes")
      }
      for (v, p) in assignment[t].enumerated() {
        guard p >= 0 && Int(p) < numParts else { throw GraphError(.invalidArgument, "node \(v) of \(g.ntypes[t]) assigned to partition \(p)") }
        buckets[t][Int(p)].append(v)
      }
      globalOf[t] = [Int64](repeating: 0, count: g.numNodes[t])
    }
    var next: Int64 = 0
    for p in 0..<numParts {
      for t in 0..<T {
        let start = next
        for v in buckets[t][p] { globalOf[t][v] = next; next += 1 }
        nodeMap[t].append(.init(start, next))
        orderOf[t].append(contentsOf: buckets[t][p])
      }
    }

    // 2. Edges: owned by the destination's partition; per partition sorted by destination
    //    (stable, so input order breaks ties).
    var edgeMap = [[PartitionConfig.IdRange]](repeating: [], count: E)
    var edgeOrder = [[[Int]]](repeating: [], count: E)   // [e][p] input edge indices in CSR order
    for (e, et) in g.etypes.enumerated() {
      let dt = g.ntypes.firstIndex(of: et.dst)!
      var perPart = [[Int]](repeating: [], count: numParts)
      for (i, d) in g.dst[e].enumerated() { perPart[Int(assignment[dt][Int(d)])].append(i) }
      for p in 0..<numParts {
        let base = nodeMap[dt][p].start
        let n = nodeMap[dt][p].count
        var counts = [Int](repeating: 0, count: n + 1)
        for i in perPart[p] { counts[Int(globalOf[dt][Int(g.dst[e][i])] - base) + 1] += 1 }
        for k in 0..<n { counts[k + 1] += counts[k] }
        var sorted = [Int](repeating: 0, count: perPart[p].count)
        for i in perPart[p] {
          let k = Int(globalOf[dt][Int(g.dst[e][i])] - base)
          sorted[counts[k]] = i
          counts[k] += 1
        }
        edgeOrder[e].append(sorted)
      }
    }
    next = 0
    for p in 0..<numParts {
      for e in 0..<E {
        edgeMap[e].append(.init(next, next + Int64(edgeOrder[e][p].count)))
        next += Int64(edgeOrder[e][p].count)
      }
    }

    // 3. Files.
    var partFiles = [[String: PartitionConfig.FileEntry]](repeating: [:], count: numParts)
    var globalFiles: [String: PartitionConfig.FileEntry] = [:]
    func put(_ p: Int?, _ name: String, _ data: ArrayData) throws {
      let rel = (p.map { "part\($0)/" } ?? "") + name + "." + data.dtype.rawValue
      let entry = try data.withUnsafeBytes { try ArrayFileWriter.write($0, root: root, relativePath: rel) }
      if let p { partFiles[p][name] = entry } else { globalFiles[name] = entry }
    }
    for t in 0..<T {
      try put(nil, PartitionConfig.nodeMappingName(ntype: g.ntypes[t]), .i64(orderOf[t].map { Int64($0) }))
    }
    for p in 0..<numParts {
      for (e, et) in g.etypes.enumerated() {
        let st = g.ntypes.firstIndex(of: et.src)!, dt = g.ntypes.firstIndex(of: et.dst)!
        let base = nodeMap[dt][p].start
        var indptr = [Int64](repeating: 0, count: nodeMap[dt][p].count + 1)
        var src = [Int64]()
        src.reserveCapacity(edgeOrder[e][p].count)
        for i in edgeOrder[e][p] {
          indptr[Int(globalOf[dt][Int(g.dst[e][i])] - base) + 1] += 1
          src.append(globalOf[st][Int(g.src[e][i])])
        }
        for k in 0..<(indptr.count - 1) { indptr[k + 1] += indptr[k] }
        try put(p, PartitionConfig.indptrName(etype: e), .i64(indptr))
        try put(p, PartitionConfig.srcName(etype: e), .i64(src))
        for f in g.edgeFields[e] {
          try put(p, PartitionConfig.edgeFieldName(etype: e, field: f.info.name), f.data.gatherRows(edgeOrder[e][p], width: f.info.width))
        }
      }
      for t in 0..<T {
        for f in g.nodeFields[t] {
          try put(p, PartitionConfig.nodeFieldName(ntype: g.ntypes[t], field: f.info.name), f.data.gatherRows(buckets[t][p], width: f.info.width))
        }
      }
    }
    for e in 0..<E {
      try put(nil, PartitionConfig.edgeMappingName(etype: e), .i64(edgeOrder[e].flatMap { $0.map { Int64($0) } }))
    }

    let config = PartitionConfig(
      graphName: graphName, numParts: numParts, partMethod: partMethod, ntypes: g.ntypes, etypes: g.etypes,
      nodeMap: nodeMap, edgeMap: edgeMap, nodeFields: g.nodeFields.map { $0.map(\.info) },
      edgeFields: g.edgeFields.map { $0.map(\.info) }, partFiles: partFiles, globalFiles: globalFiles, seed: seed)
    let json = try config.jsonData()
    _ = try json.withUnsafeBytes { try ArrayFileWriter.write($0, root: root, relativePath: graphName + ".json") }
    return config
  }
}
