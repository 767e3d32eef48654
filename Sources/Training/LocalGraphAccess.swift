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

  /// Itself: batch building only reads the mapped partitions and the routing tables, which
  /// never change (the embedding tables, which pushes change, are not read by it).
  public func samplingAccess() throws -> GraphAccess? { self }

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

  /// The sampler's chunks run on the numeric core's workers (`Threads`).
  static func workers(_ n: Int, _ body: (Int) -> Void) { parallelTasks(n, body) }

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
                                                       maskField: r.maskField, excluded: excluded, seed: seed,
                                                       parallel: LocalGraphAccess.workers))
        continue
      }
      // Sample per partition, then re-assemble in the order of `seeds`.
      var results: [SampledEdges] = []
      var starts: [[Int]] = []  // per partition, per its seed: start index in its result
      for p in 0..<c.numParts {
        let res = perPart[p].isEmpty ? SampledEdges()
          : try partitions[p].sampleInNeighbors(seeds: perPart[p], etype: r.etype, fanout: r.fanout,
                                                maskField: r.maskField, excluded: excluded, seed: seed,
                                                parallel: LocalGraphAccess.workers)
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

  /// Each id's (partition, offset) within one type's per-partition id ranges, in bulk: a linear
  /// scan over the few ranges (a contiguous single range needs one compare per id). `what` is
  /// `"<node|edge>|<type>"` for the error message.
  func locate(_ ids: [Int64], ranges: [PartitionConfig.IdRange], what: () -> String) throws -> (parts: [Int32], offsets: [Int]) {
    func outOfRange(_ id: Int64) -> String {
      let w = what()  // "<kind>|<type as the message names it>"
      let bar = w.firstIndex(of: "|") ?? w.startIndex
      return "\(w[..<bar]) id \(id) is not a \(w[w.index(after: bar)...])"
    }
    var parts = [Int32](repeating: 0, count: ids.count)
    var offsets = [Int](repeating: 0, count: ids.count)
    let live = ranges.indices.filter { ranges[$0].count > 0 }
    try ids.withUnsafeBufferPointer { ib in
      try parts.withUnsafeMutableBufferPointer { pb in
        try offsets.withUnsafeMutableBufferPointer { ob in
          if live.count == 1 {
            let r = ranges[live[0]], p = Int32(live[0])
            for i in 0..<ib.count {
              let id = ib[i]
              guard id >= r.start && id < r.end else { throw GraphError(.invalidArgument, outOfRange(id)) }
              pb[i] = p
              ob[i] = Int(id - r.start)
            }
            return
          }
          for i in 0..<ib.count {
            let id = ib[i]
            guard let p = live.first(where: { ranges[$0].contains(id) }) else {
              throw GraphError(.invalidArgument, outOfRange(id))
            }
            pb[i] = Int32(p)
            ob[i] = Int(id - ranges[p].start)
          }
        }
      }
    }
    return (parts, offsets)
  }

  /// The partitions that occur in `parts`, ascending.
  func usedParts(_ parts: [Int32]) -> [Int] {
    var seen = [Bool](repeating: false, count: partitions.count)
    for p in parts { seen[Int(p)] = true }
    return seen.indices.filter { seen[$0] }
  }

  /// One field's rows for `ids` of one type (`ranges`: that type's id range per partition):
  /// routed in bulk, the field resolved once per partition, rows copied from the mapped files.
  func rows(_ ids: [Int64], ranges: [PartitionConfig.IdRange], what: @autoclosure () -> String,
            field: (Int) -> (info: FieldInfo, data: UnsafeRawBufferPointer)?, name: String) throws -> ArrayData {
    let (parts, offsets) = try locate(ids, ranges: ranges, what: what)
    var fields: [(info: FieldInfo, data: UnsafeRawBufferPointer)?] = (0..<partitions.count).map { _ in nil }
    for p in 0..<partitions.count where ranges[p].count > 0 { fields[p] = field(p) }
    guard let first = fields.compactMap({ $0 }).first ?? field(0) else { throw GraphError(.invalidArgument, "no field '\(name)'") }
    let info = first.info, w = info.width
    for p in usedParts(parts) where fields[p] == nil {
      throw GraphError(.invalidArgument, "partition \(p) has no field '\(name)'")
    }
    func gather<T>(_: T.Type, _ make: ([T]) -> ArrayData) -> ArrayData {
      let n = ids.count * w
      let out = [T](unsafeUninitializedCapacity: n) { buf, count in
        let o = buf.baseAddress!
        for i in 0..<ids.count {
          let base = fields[Int(parts[i])]!.data.baseAddress!.assumingMemoryBound(to: T.self)
          (o + i * w).initialize(from: base + offsets[i] * w, count: w)
        }
        count = n
      }
      return make(out)
    }
    let result: ArrayData
    switch info.dtype {
    case .f32: result = gather(Float.self) { .f32($0) }
    case .f64: result = gather(Double.self) { .f64($0) }
    case .i32: result = gather(Int32.self) { .i32($0) }
    case .i64: result = gather(Int64.self) { .i64($0) }
    case .u8: result = gather(UInt8.self) { .u8($0) }
    }
    return withExtendedLifetime(partitions) { result }
  }

  public func nodeColumn(ntype: Int, field: String, ids: [Int64]) throws -> ArrayData {
    guard partitionConfig.nodeField(ntype, field) != nil else {
      throw GraphError(.invalidArgument, "node type '\(partitionConfig.ntypes[ntype])' has no field '\(field)'")
    }
    return try rows(ids, ranges: partitionConfig.nodeMap[ntype], what: "node|'\(self.partitionConfig.ntypes[ntype])' node",
                    field: { self.partitions[$0].nodeField(ntype, field) }, name: field)
  }

  public func edgeColumn(etype: Int, field: String, ids: [Int64]) throws -> ArrayData {
    guard partitionConfig.edgeField(etype, field) != nil else {
      throw GraphError(.invalidArgument, "edge type \(partitionConfig.etypes[etype]) has no field '\(field)'")
    }
    return try rows(ids, ranges: partitionConfig.edgeMap[etype], what: "edge|'\(self.partitionConfig.etypes[etype])' edge",
                    field: { self.partitions[$0].edgeField(etype, field) }, name: field)
  }

  public func nodeFeatures(ntype: Int, fields: [String], ids: [Int64]) throws -> [Float] {
    try concatenated(fields.map { try nodeColumn(ntype: ntype, field: $0, ids: ids) }, rows: ids.count)
  }

  /// A single-field f32 feature of a type that lives in one partition: its mapped rows.
  public func nodeFeatureTable(ntype: Int, fields: [String]) -> FeatureTable? {
    guard fields.count == 1 else { return nil }
    let ranges = partitionConfig.nodeMap[ntype]
    let live = ranges.indices.filter { ranges[$0].count > 0 }
    guard live.count == 1, let f = partitions[live[0]].nodeField(ntype, fields[0]), f.info.dtype == .f32,
          let base = f.data.baseAddress else { return nil }
    let r = ranges[live[0]]
    guard f.data.count >= r.count * f.info.width * 4 else { return nil }
    return FeatureTable(base: base.assumingMemoryBound(to: Float.self), start: r.start, count: r.count, width: f.info.width)
  }

  /// Feature rows straight from the mapped partitions into `out` (`ids.count × Σ widths`).
  public func nodeFeatures(ntype: Int, fields: [String], ids: [Int64], into out: UnsafeMutablePointer<Float>) throws {
    let c = partitionConfig
    let infos = try fields.map { f -> FieldInfo in
      guard let i = c.nodeField(ntype, f) else { throw GraphError(.invalidArgument, "node type '\(c.ntypes[ntype])' has no field '\(f)'") }
      return i
    }
    let total = infos.reduce(0) { $0 + $1.width }
    guard fields.count == 1 else {
      let x = try nodeFeatures(ntype: ntype, fields: fields, ids: ids)
      x.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: x.count) } }
      return
    }
    let ranges = c.nodeMap[ntype]
    let (parts, offsets) = try locate(ids, ranges: ranges, what: { "node|'\(c.ntypes[ntype])' node" })
    var data: [UnsafeRawBufferPointer?] = [UnsafeRawBufferPointer?](repeating: nil, count: partitions.count)
    var info: FieldInfo? = nil
    for p in usedParts(parts) {
      guard let f = partitions[p].nodeField(ntype, fields[0]) else {
        throw GraphError(.invalidArgument, "partition \(p) has no field '\(fields[0])'")
      }
      precondition(f.info.width == total)
      data[p] = f.data
      info = f.info
    }
    guard let info else { return }
    if info.dtype == .f32 {
      // Row copies from the mapped files, split over the workers.
      let bases = data.map { $0.map { SendableConstPointer($0.baseAddress!.assumingMemoryBound(to: Float.self)) } }
      let o = SendablePointer(out)
      parts.withUnsafeBufferPointer { pb in
        offsets.withUnsafeBufferPointer { ob in
          parallelFor(ids.count, grain: 4096) { lo, hi in
            for i in lo..<hi {
              (o.p + i * total).update(from: bases[Int(pb[i])]!.p + ob[i] * total, count: total)
            }
          }
        }
      }
    } else {
      for p in 0..<partitions.count where data[p] != nil {
        let mine = (0..<ids.count).filter { Int(parts[$0]) == p }
        Partition.gatherFloatRows(info, data[p]!, rows: mine.map { offsets[$0] }, positions: mine, into: out)
      }
    }
    withExtendedLifetime(partitions) {}
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
  /// Every rank (process or test thread) holds its own copy of the rows.
  public var embeddingsShared: Bool { false }

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
