import Foundation
import Graph
import Model
import Tensor

/// `GraphAccess` over every partition of a graph mapped in this process, with the learnable
/// embedding tables and their `SparseAdam` in memory, sharded per partition exactly as the
/// graph servers shard them (rows of partition `p`'s nodes, one optimiser per shard).
/// The test double of the trainer and the same-host fast path.
public final class LocalGraphAccess: GraphAccess {
  public let partitionConfig: PartitionConfig
  public let partitions: [Partition]
  let nodeBook: PartitionBook
  let edgeBook: PartitionBook

  /// Per node type with embeddings: per partition a table and its optimiser.
  struct Shard {
    var table: [Float]
    let adam: SparseAdam
  }
  var embeddings: [Int: [Shard]] = [:]
  var widths: [Int: Int] = [:]

  /// Maps every partition of the graph whose config is at `configPath`.
  public init(configPath: String, verify: Bool = true) throws {
    let c = try PartitionConfig.load(path: configPath)
    partitions = try (0..<c.numParts).map { try Partition(configPath: configPath, partId: $0, verify: verify) }
    partitionConfig = c
    nodeBook = PartitionBook.nodes(c)
    edgeBook = PartitionBook.edges(c)
  }

  /// Creates the learnable embedding table of each node type in `ntypes`, `width` wide, rows
  /// initialised by `EmbeddingInit` from the job seed `seed` (U(−1, 1) per (seed, type, global
  /// id): the rule graph servers started with `--seed` use, so both start from the same rows).
  /// Idempotent per type.
  public func addEmbeddings(ntypes: [Int], width: Int, seed: UInt64, lr: Float) {
    for t in ntypes where embeddings[t] == nil {
      var shards: [Shard] = []
      for p in 0..<partitionConfig.numParts {
        let r = partitionConfig.nodeMap[t][p]
        var table = [Float](repeating: 0, count: r.count * width)
        table.withUnsafeMutableBufferPointer {
          EmbeddingInit.rows(jobSeed: seed, ntype: t, first: r.start, count: r.count, dim: width, into: $0.baseAddress!)
        }
        shards.append(Shard(table: table, adam: SparseAdam(numRows: r.count, dim: width, lr: lr)))
      }
      embeddings[t] = shards
      widths[t] = width
    }
  }

  // MARK: Routing

  /// (partition, offset) of node `id` of type `ntype`, or an error naming the id.
  @inline(__always)
  func locateNode(_ id: Int64, _ ntype: Int) throws -> (part: Int, offset: Int) {
    guard let o = nodeBook.owner(of: id), o.type == ntype else {
      throw GraphError(.invalidArgument, "node id \(id) is not a '\(partitionConfig.ntypes[ntype])' node")
    }
    return (o.part, o.offset)
  }

  @inline(__always)
  func locateEdge(_ id: Int64, _ etype: Int) throws -> (part: Int, offset: Int) {
    guard let o = edgeBook.owner(of: id), o.type == etype else {
      throw GraphError(.invalidArgument, "edge id \(id) is not a '\(partitionConfig.etypes[etype])' edge")
    }
    return (o.part, o.offset)
  }

  // MARK: Sampling

  public func sampleNeighbors(seeds: [Int64], requests: [SampleRequest], excluded: [Int64],
                              seed: UInt64) throws -> [SampledEdges] {
    let c = partitionConfig
    var out: [SampledEdges] = []
    if requests.isEmpty { return out }
    let dt = c.ntypeId(c.etypes[requests[0].etype].dst)!
    // Seeds per owning partition, keeping their request positions.
    var perPart = [[Int64]](repeating: [], count: c.numParts)
    var partOf = [Int32](repeating: 0, count: seeds.count)
    for (i, s) in seeds.enumerated() {
      let (p, _) = try locateNode(s, dt)
      perPart[p].append(s)
      partOf[i] = Int32(p)
    }
    for r in requests {
      guard c.ntypeId(c.etypes[r.etype].dst) == dt else {
        throw GraphError(.invalidArgument, "edge type \(c.etypes[r.etype]) does not end at '\(c.ntypes[dt])'")
      }
      if r.fanout == 0 || seeds.isEmpty { out.append(SampledEdges()); continue }
      if c.numParts == 1 || perPart.filter({ !$0.isEmpty }).count == 1 {
        let p = Int(partOf.first ?? 0)
        out.append(try partitions[p].sampleInNeighbors(seeds: seeds, etype: r.etype, fanout: r.fanout,
                                                       maskField: r.maskField, excluded: excluded, seed: seed))
        continue
      }
      // Sample per partition, then re-assemble in the order of `seeds`.
      var results: [SampledEdges] = []
      var starts: [[Int]] = []  // per partition, per its seed: start index in its result
      for p in 0..<c.numParts {
        let res = perPart[p].isEmpty ? SampledEdges()
          : try partitions[p].sampleInNeighbors(seeds: perPart[p], etype: r.etype, fanout: r.fanout,
                                                maskField: r.maskField, excluded: excluded, seed: seed)
        var st = [Int](repeating: 0, count: perPart[p].count + 1)
        var k = 0
        for (j, s) in perPart[p].enumerated() {
          st[j] = k
          while k < res.dst.count && res.dst[k] == s { k += 1 }
        }
        st[perPart[p].count] = k
        results.append(res)
        starts.append(st)
      }
      var merged = SampledEdges()
      let total = results.reduce(0) { $0 + $1.dst.count }
      merged.dst.reserveCapacity(total); merged.src.reserveCapacity(total); merged.eid.reserveCapacity(total)
      var next = [Int](repeating: 0, count: c.numParts)
      for i in 0..<seeds.count {
        let p = Int(partOf[i])
        let j = next[p]
        next[p] += 1
        let lo = starts[p][j], hi = starts[p][j + 1]
        merged.dst.append(contentsOf: results[p].dst[lo..<hi])
        merged.src.append(contentsOf: results[p].src[lo..<hi])
        merged.eid.append(contentsOf: results[p].eid[lo..<hi])
      }
      out.append(merged)
    }
    return out
  }

  // MARK: Fields

  func rows(_ ids: [Int64], locate: (Int64) throws -> (part: Int, offset: Int),
            field: (Int) -> (info: FieldInfo, data: UnsafeRawBufferPointer)?, name: String) throws -> ArrayData {
    guard let first = field(0) else { throw GraphError(.invalidArgument, "no field '\(name)'") }
    let info = first.info, w = info.width
    func gather<T>(_: T.Type, _ make: ([T]) -> ArrayData) throws -> ArrayData {
      var out: [T] = []
      out.reserveCapacity(ids.count * w)
      for id in ids {
        let (p, off) = try locate(id)
        guard let f = field(p) else { throw GraphError(.invalidArgument, "partition \(p) has no field '\(name)'") }
        let base = f.data.baseAddress!.assumingMemoryBound(to: T.self)
        for j in 0..<w { out.append(base[off * w + j]) }
      }
      return make(out)
    }
    let result: ArrayData
    switch info.dtype {
    case .f32: result = try gather(Float.self) { .f32($0) }
    case .f64: result = try gather(Double.self) { .f64($0) }
    case .i32: result = try gather(Int32.self) { .i32($0) }
    case .i64: result = try gather(Int64.self) { .i64($0) }
    case .u8: result = try gather(UInt8.self) { .u8($0) }
    }
    return withExtendedLifetime(partitions) { result }
  }

  public func nodeColumn(ntype: Int, field: String, ids: [Int64]) throws -> ArrayData {
    guard partitionConfig.nodeField(ntype, field) != nil else {
      throw GraphError(.invalidArgument, "node type '\(partitionConfig.ntypes[ntype])' has no field '\(field)'")
    }
    return try rows(ids, locate: { try self.locateNode($0, ntype) },
                    field: { self.partitions[$0].nodeField(ntype, field) }, name: field)
  }

  public func edgeColumn(etype: Int, field: String, ids: [Int64]) throws -> ArrayData {
    guard partitionConfig.edgeField(etype, field) != nil else {
      throw GraphError(.invalidArgument, "edge type \(partitionConfig.etypes[etype]) has no field '\(field)'")
    }
    return try rows(ids, locate: { try self.locateEdge($0, etype) },
                    field: { self.partitions[$0].edgeField(etype, field) }, name: field)
  }

  public func nodeFeatures(ntype: Int, fields: [String], ids: [Int64]) throws -> [Float] {
    try concatenated(fields.map { try nodeColumn(ntype: ntype, field: $0, ids: ids) }, rows: ids.count)
  }

  public func edgeFeatures(etype: Int, fields: [String], ids: [Int64]) throws -> [Float] {
    try concatenated(fields.map { try edgeColumn(etype: etype, field: $0, ids: ids) }, rows: ids.count)
  }

  func concatenated(_ cols: [ArrayData], rows n: Int) throws -> [Float] {
    if cols.count == 1 { return cols[0].floats }
    let fl = cols.map(\.floats)
    let widths = fl.map { n == 0 ? 0 : $0.count / n }
    let total = widths.reduce(0, +)
    var out = [Float](repeating: 0, count: n * total)
    var c0 = 0
    for (k, f) in fl.enumerated() {
      let w = widths[k]
      for i in 0..<n { for j in 0..<w { out[i * total + c0 + j] = f[i * w + j] } }
      c0 += w
    }
    return out
  }

  // MARK: Embeddings

  public func embeddingWidth(ntype: Int) -> Int? { widths[ntype] }

  func shards(_ ntype: Int) throws -> (shards: [Shard], width: Int) {
    guard let s = embeddings[ntype], let w = widths[ntype] else {
      throw GraphError(.invalidArgument, "node type '\(partitionConfig.ntypes[ntype])' has no learnable embeddings")
    }
    return (s, w)
  }

  public func pullEmbeddings(ntype: Int, ids: [Int64]) throws -> [Float] {
    let (s, w) = try shards(ntype)
    var out = [Float](repeating: 0, count: ids.count * w)
    for (i, id) in ids.enumerated() {
      let (p, off) = try locateNode(id, ntype)
      for j in 0..<w { out[i * w + j] = s[p].table[off * w + j] }
    }
    return out
  }

  public func pushEmbeddingGradients(ntype: Int, ids: [Int64], grads: [Float], lr: Float) throws {
    let (_, w) = try shards(ntype)
    precondition(grads.count == ids.count * w, "pushEmbeddingGradients: \(grads.count) values for \(ids.count) rows of \(w)")
    var rows = [[Int64]](repeating: [], count: partitionConfig.numParts)
    var g = [[Float]](repeating: [], count: partitionConfig.numParts)
    for (i, id) in ids.enumerated() {
      let (p, off) = try locateNode(id, ntype)
      rows[p].append(Int64(off))
      g[p].append(contentsOf: grads[(i * w)..<((i + 1) * w)])
    }
    for p in 0..<partitionConfig.numParts where !rows[p].isEmpty {
      let adam = embeddings[ntype]![p].adam
      adam.lr = lr
      embeddings[ntype]![p].table.withUnsafeMutableBufferPointer { t in
        g[p].withUnsafeBufferPointer { adam.step(table: t.baseAddress!, rows: rows[p], grads: $0.baseAddress!) }
      }
    }
  }

  /// `<directory>/<ntype>/part<p>.emb`: rows of partition `p` (little-endian f32, `count × width`);
  /// `part<p>.adam`: the shard's sparse Adam (`BinaryBlob` of `slot_of` i32, `steps` i32, `m`, `v` f32).
  public func dumpEmbeddings(ntype: Int, directory: String) throws {
    let (s, w) = try shards(ntype)
    let dir = directory + "/" + partitionConfig.ntypes[ntype]
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (p, shard) in s.enumerated() {
      try BinaryBlob.write(path: "\(dir)/part\(p).emb", sections: [("rows", .f32(shard.table), w)])
      try BinaryBlob.write(path: "\(dir)/part\(p).adam", sections: [
        ("slot_of", .i32(shard.adam.slotOf), 1), ("steps", .i32(shard.adam.steps), 1),
        ("m", .f32(shard.adam.m), w), ("v", .f32(shard.adam.v), w),
      ])
    }
  }

  public func loadEmbeddings(ntype: Int, directory: String, optimizerState: Bool) throws {
    let (s, w) = try shards(ntype)
    let dir = directory + "/" + partitionConfig.ntypes[ntype]
    for p in 0..<s.count {
      let rows = try BinaryBlob.read(path: "\(dir)/part\(p).emb")
      guard case .f32(let t)? = rows["rows"], t.count == s[p].table.count else {
        throw TrainingError(.badInput, "\(dir)/part\(p).emb does not hold \(s[p].table.count / max(w, 1)) rows of width \(w)")
      }
      embeddings[ntype]![p].table = t
      if optimizerState {
        let a = try BinaryBlob.read(path: "\(dir)/part\(p).adam")
        guard case .i32(let slotOf)? = a["slot_of"], case .i32(let steps)? = a["steps"],
              case .f32(let m)? = a["m"], case .f32(let v)? = a["v"],
              slotOf.count == s[p].adam.numRows, m.count == steps.count * w, v.count == m.count else {
          throw TrainingError(.badInput, "\(dir)/part\(p).adam is not a sparse Adam state of this table")
        }
        s[p].adam.load(slotOf: slotOf, m: m, v: v, steps: steps)
      }
    }
  }

  /// The whole table of `ntype` in global-id order (tests, final embeddings).
  public func embeddingTable(ntype: Int) -> [Float]? { embeddings[ntype].map { $0.flatMap(\.table) } }
}
