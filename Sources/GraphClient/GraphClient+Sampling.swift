import Graph
import Net
import Proto

/// One edge type of a one-hop sampling request.
public struct NeighborRequest: Equatable, Sendable {
  public var etype: Int
  /// In-edges per seed: `-1` all, `0` none.
  public var fanout: Int
  /// Only edges whose u8 edge field of this name is 1.
  public var maskField: String?
  public init(etype: Int, fanout: Int, maskField: String? = nil) {
    self.etype = etype
    self.fanout = fanout
    self.maskField = maskField
  }
}

/// Sampled in-edges of one edge type, grouped by seed in request order (parallel arrays in
/// global ids).
public struct SampledNeighbors: Equatable, Sendable {
  public var dst: [Int64] = []
  public var src: [Int64] = []
  public var eids: [Int64] = []
  public init() {}
}

extension GraphClient {
  /// In-edges of `etype` sampled for `seeds` (nodes of its destination type, any partitions):
  /// `fanout` per seed uniformly without replacement (`-1` all), only over edges whose u8
  /// `maskField` is 1, never the `excluded` edge ids, seeded by `seed`. Merged in seed order.
  public func sampleNeighbors(seeds: [Int64], etype: Int, fanout: Int, maskField: String? = nil,
                              excluded: [Int64] = [], seed: UInt64) throws -> SampledNeighbors {
    try sampleNeighbors(seeds: seeds, requests: [NeighborRequest(etype: etype, fanout: fanout, maskField: maskField)],
                        excluded: excluded, seed: seed)[0]
  }

  /// One hop over several edge types ending at the seeds' node type, in one exchange: every
  /// partition involved gets one request per distinct mask carrying all its seeds and edge
  /// types; the local partition is sampled meanwhile. Result `k` answers `requests[k]` exactly
  /// as `sampleNeighbors(seeds:etype:…)` would (grouped by seed in the order of `seeds`, within
  /// a seed the owner's order). Fanout `0` gives no edges and sends nothing.
  public func sampleNeighbors(seeds: [Int64], requests: [NeighborRequest], excluded: [Int64] = [],
                              seed: UInt64) throws -> [SampledNeighbors] {
    for r in requests { try checkEdgeType(r.etype) }
    guard let first = requests.first else { return [] }
    let dt = layout.etypeDst[first.etype]
    for r in requests where layout.etypeDst[r.etype] != dt {
      throw GraphClientError(.invalidArgument, "edge types \(layout.etypes[first.etype]) and \(layout.etypes[r.etype]) end at different node types")
    }
    var out = [SampledNeighbors](repeating: SampledNeighbors(), count: requests.count)
    let active = requests.indices.filter { requests[$0].fanout != 0 }
    if seeds.isEmpty || active.isEmpty { return out }
    var unique = IdMap(capacity: seeds.count)
    let local = seeds.map { unique.insert($0) }
    _ = try splitNodes(unique.ids, type: dt)  // checks every seed's type
    var byType = [[Int64]](repeating: [], count: layout.ntypes.count)
    byType[dt] = unique.ids
    let sorted = zip(excluded, excluded.dropFirst()).allSatisfy { $0 <= $1 } ? excluded : excluded.sorted()
    let layers = try sampleLayer(byType, etypes: active.map { (requests[$0].etype, requests[$0].fanout, requests[$0].maskField) },
                                 excluded: sorted, seed: seed)
    for (k, r) in active.enumerated() {
      let layer = layers[k]
      var o = SampledNeighbors()
      let total = Int(layer.offsets.last ?? 0)
      o.dst.reserveCapacity(total); o.src.reserveCapacity(total); o.eids.reserveCapacity(total)
      for (i, u) in local.enumerated() {
        let a = Int(layer.offsets[Int(u)]), b = Int(layer.offsets[Int(u) + 1])
        if a == b { continue }
        o.dst.append(contentsOf: repeatElement(seeds[i], count: b - a))
        o.src.append(contentsOf: layer.src[a..<b])
        o.eids.append(contentsOf: layer.eids[a..<b])
      }
      out[r] = o
    }
    return out
  }

  /// Samples the L blocks of a mini-batch from `seeds[ntype]` (global ids, any partitions):
  /// layer by layer from the seeds outwards, each layer's frontier deduplicated per node type,
  /// layer l drawn with `BlockSampling.layerSeed(batch: seed, layer: l)`. Every partition
  /// involved in a layer is asked at once; see `SampledBlocks` for the layout.
  public func sampleBlocks(seeds: [[Int64]], _ spec: BlockSampling, seed: UInt64) throws -> SampledBlocks {
    let T = layout.ntypes.count, E = layout.etypes.count, L = spec.numLayers
    guard seeds.count == T else {
      throw GraphClientError(.invalidArgument, "seeds for \(seeds.count) node types; the graph has \(T)")
    }
    for (l, f) in spec.fanouts.enumerated() where f.count != 1 && f.count != E {
      throw GraphClientError(.invalidArgument, "fanouts[\(l)] has \(f.count) entries; give 1 or one per edge type (\(E))")
    }
    guard spec.maskFields.isEmpty || spec.maskFields.count == E else {
      throw GraphClientError(.invalidArgument, "maskFields has \(spec.maskFields.count) entries; give none or one per edge type (\(E))")
    }
    var maps = (0..<T).map { t in IdMap(capacity: max(1024, seeds[t].count * 16)) }
    for t in 0..<T {
      for id in seeds[t] { _ = maps[t].insert(id) }
      _ = try splitNodes(maps[t].ids, type: t)
    }
    let excluded = spec.excludedEdges.sorted()
    var nodes = [[[Int64]]](repeating: [], count: L + 1)
    var edges = [[SampledBlock]](repeating: [], count: L)
    nodes[L] = maps.map(\.ids)
    for l in stride(from: L - 1, through: 0, by: -1) {
      let frontier = maps.map(\.ids)
      let active = (0..<E).filter { spec.fanout(layer: l, etype: $0) != 0 }
      let sampled = try sampleLayer(frontier, etypes: active.map { ($0, spec.fanout(layer: l, etype: $0), spec.mask(etype: $0)) },
                                    excluded: excluded, seed: BlockSampling.layerSeed(batch: seed, layer: l))
      var blocks = (0..<E).map { e in
        SampledBlock(offsets: [Int32](repeating: 0, count: frontier[layout.etypeDst[e]].count + 1), indices: [], eids: [])
      }
      for (k, e) in active.enumerated() {
        let st = layout.etypeSrc[e]
        var indices = [Int32](repeating: 0, count: sampled[k].src.count)
        for (j, s) in sampled[k].src.enumerated() { indices[j] = maps[st].insert(s) }
        blocks[e] = SampledBlock(offsets: sampled[k].offsets, indices: indices, eids: sampled[k].eids)
      }
      edges[l] = blocks
      nodes[l] = maps.map(\.ids)
    }
    return SampledBlocks(nodes: nodes, edges: edges)
  }

  /// One layer's edges of one edge type, as a CSR over the frontier of its destination type
  /// (global source ids; the caller relabels).
  struct LayerEdges {
    var offsets: [Int32]
    var src: [Int64]
    var eids: [Int64]
  }

  /// Samples every `(etype, fanout, mask)` for the unique destinations `frontier[dstType]`:
  /// one request per (partition, mask) carrying all that partition's destinations and edge
  /// types, sent at once; the local partition sampled meanwhile. Returns, per entry of
  /// `etypes`, the edges in destination order (within a destination, the server's order).
  func sampleLayer(_ frontier: [[Int64]], etypes: [(Int, Int, String?)], excluded: [Int64],
                   seed: UInt64) throws -> [LayerEdges] {
    let P = layout.numParts
    // Destinations per (partition, type), with their local ids.
    var neededTypes = Set<Int>()
    for (e, _, _) in etypes { neededTypes.insert(layout.etypeDst[e]) }
    var partIds = [[[Int64]]](repeating: [[Int64]](repeating: [], count: layout.ntypes.count), count: P)
    var partLocal = [[[Int32]]](repeating: [[Int32]](repeating: [], count: layout.ntypes.count), count: P)
    for t in neededTypes.sorted() {
      for (i, id) in frontier[t].enumerated() {
        let p = nodeBook.owner(of: id)!.part
        partIds[p][t].append(id)
        partLocal[p][t].append(Int32(i))
      }
    }
    var excludedByPart = [[Int64]](repeating: [], count: P)
    for id in excluded { if let o = edgeBook.owner(of: id) { excludedByPart[o.part].append(id) } }
    // Mask groups, in order of first appearance.
    var groups: [(mask: String?, entries: [Int])] = []
    for (k, (_, _, mask)) in etypes.enumerated() {
      if let g = groups.firstIndex(where: { $0.mask == mask }) { groups[g].entries.append(k) }
      else { groups.append((mask, [k])) }
    }
    // Per entry, per partition: the sampled (dst, src, eid) for that partition's destinations.
    var results = [[Graph.SampledEdges?]](repeating: [Graph.SampledEdges?](repeating: nil, count: P), count: etypes.count)
    var requests: [Outgoing] = []
    var requestEntries: [(part: Int, entries: [Int])] = []
    for p in 0..<P where p != localPart {
      for g in groups {
        let types = Set(g.entries.map { layout.etypeDst[etypes[$0].0] }).sorted()
        let seeds = types.flatMap { partIds[p][$0] }
        if seeds.isEmpty { continue }
        requests.append(Outgoing(part: p, server: graphServer(p), message: .sampleNeighbors(SampleNeighborsRequest(
          seeds: seeds, fanouts: g.entries.map { Fanout(edgeType: Int32(etypes[$0].0), fanout: Int32(clamping: etypes[$0].1)) },
          maskField: g.mask, excludedEdges: excludedByPart[p], seed: seed))))
        requestEntries.append((p, g.entries))
      }
    }
    let frames = try exchange(requests) {
      guard let lp = localPart, let part = local else { return }
      for (k, (e, fanout, mask)) in etypes.enumerated() {
        let seeds = partIds[lp][layout.etypeDst[e]]
        if seeds.isEmpty { continue }
        do {
          results[k][lp] = try part.sampleInNeighbors(seeds: seeds, etype: e, fanout: fanout, maskField: mask,
                                                      excluded: excludedByPart[lp], seed: seed)
        } catch let g as GraphError {
          throw GraphClientError(.invalidArgument, g.message)
        }
      }
    }
    for (r, frame) in frames.enumerated() {
      let (p, entries) = requestEntries[r]
      guard case .sampledNeighbors(let reply) = try decode(frame, from: p, requests[r].server),
            reply.edges.count == entries.count else {
        throw GraphClientError(.protocolError, "sampling reply does not match the request", server: "partition \(p)")
      }
      for (j, k) in entries.enumerated() {
        var s = Graph.SampledEdges()
        s.dst = reply.edges[j].dst
        s.src = reply.edges[j].src
        s.eid = reply.edges[j].edgeIDs
        results[k][p] = s
      }
    }
    // Merge into destination order: a destination's edges all come from its owner partition.
    return try etypes.enumerated().map { k, entry in
      let dt = layout.etypeDst[entry.0]
      var counts = [Int32](repeating: 0, count: frontier[dt].count + 1)
      var dstLocal = [[Int32]](repeating: [], count: P)
      for p in 0..<P {
        guard let s = results[k][p] else { continue }
        let ids = partIds[p][dt], locals = partLocal[p][dt]
        var ptr = 0
        var mapped = [Int32](repeating: 0, count: s.dst.count)
        for (j, d) in s.dst.enumerated() {
          while ptr < ids.count && ids[ptr] != d { ptr += 1 }
          guard ptr < ids.count else {
            throw GraphClientError(.protocolError, "partition \(p) returned edges for \(d), which it was not asked about (or out of order)")
          }
          mapped[j] = locals[ptr]
          counts[Int(locals[ptr]) + 1] += 1
        }
        dstLocal[p] = mapped
      }
      for i in 0..<(counts.count - 1) { counts[i + 1] += counts[i] }
      let total = Int(counts.last!)
      var src = [Int64](repeating: 0, count: total), eids = [Int64](repeating: 0, count: total)
      var fill = counts
      for p in 0..<P {
        guard let s = results[k][p] else { continue }
        for (j, d) in dstLocal[p].enumerated() {
          let at = Int(fill[Int(d)])
          src[at] = s.src[j]
          eids[at] = s.eid[j]
          fill[Int(d)] += 1
        }
      }
      return LayerEdges(offsets: counts, src: src, eids: eids)
    }
  }
}
