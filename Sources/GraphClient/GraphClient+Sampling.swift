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
    let sorted = zip(excluded, excluded.dropFirst()).allSatisfy { $0 <= $1 } ? excluded : excluded.sorted()
    if let part = local, seedsAllLocal(seeds, type: dt, part) {
      // Every seed is in the partition mapped here: its sampler answers in seed order already
      // (a node's draw depends only on (seed, edge type, node), so repeated seeds repeat their
      // edges, as the merge below would) — no dedup, routing or merge.
      for k in active {
        let r = requests[k]
        let s: Graph.SampledEdges
        do {
          s = try part.sampleInNeighbors(seeds: seeds, etype: r.etype, fanout: r.fanout, maskField: r.maskField,
                                         excluded: sorted, seed: seed, parallel: localParallel)
        } catch let g as GraphError {
          throw GraphClientError(.invalidArgument, g.message)
        }
        out[k].dst = s.dst
        out[k].src = s.src
        out[k].eids = s.eid
      }
      return out
    }
    let unique = IdMap(capacity: seeds.count)
    let local = seeds.map { unique.insert($0) }
    _ = try splitNodes(unique.ids, type: dt)  // checks every seed's type
    var byType = [[Int64]](repeating: [], count: layout.ntypes.count)
    byType[dt] = unique.ids
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

  /// True when every seed is a node of type `t` in the mapped partition `part` (its nodes of a
  /// type are one contiguous id range: two comparisons per seed, no lookup).
  func seedsAllLocal(_ seeds: [Int64], type t: Int, _ part: Partition) -> Bool {
    let r = part.nodeRange(t)
    return seeds.withUnsafeBufferPointer { b in
      var inside = true
      for s in b { inside = inside && s >= r.start && s < r.end }
      return inside
    }
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
    let maps = idMaps(T)
    for t in 0..<T {
      for id in seeds[t] { _ = maps[t].insert(id) }
      _ = try splitNodes(maps[t].ids, type: t)
    }
    let excluded = spec.excludedEdges.sorted()
    var nodes = [[[Int64]]](repeating: [], count: L + 1)
    var edges = [[SampledBlock]](repeating: [], count: L)
    nodes[L] = maps.map(\.ids)
    for l in stride(from: L - 1, through: 0, by: -1) {
      let frontier = nodes[l + 1]
      let active = (0..<E).filter { spec.fanout(layer: l, etype: $0) != 0 }
      let sampled = try sampleLayer(frontier, etypes: active.map { ($0, spec.fanout(layer: l, etype: $0), spec.mask(etype: $0)) },
                                    excluded: excluded, seed: BlockSampling.layerSeed(batch: seed, layer: l))
      var blocks = (0..<E).map { e in
        SampledBlock(offsets: [Int32](repeating: 0, count: frontier[layout.etypeDst[e]].count + 1), indices: [], eids: [])
      }
      for (k, e) in active.enumerated() {
        let map = maps[layout.etypeSrc[e]]
        let n = sampled[k].src.count
        let indices = [Int32](unsafeUninitializedCapacity: n) { out, done in
          sampled[k].src.withUnsafeBufferPointer { src in
            for j in 0..<n { out[j] = map.insert(src[j]) }
          }
          done = n
        }
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
                                                      excluded: excludedByPart[lp], seed: seed, parallel: localParallel)
        } catch let g as GraphError {
          throw GraphClientError(.invalidArgument, g.message)
        }
      }
    }
    // Each reply is read where it arrived (no decoded copies): per entry, per partition, the
    // byte offsets of its dst, src and edge id blocks in the reply payload.
    struct Located { var frame: Int; var dst: Int; var src: Int; var eid: Int; var count: Int }
    var located = [[Located?]](repeating: [Located?](repeating: nil, count: P), count: etypes.count)
    for (r, frame) in frames.enumerated() {
      let (p, entries) = requestEntries[r]
      let server = "partition \(p) server \(requests[r].server) at \(servers[p][requests[r].server])"
      guard frame.kind == .sampledNeighbors else {
        throw GraphClientError(.protocolError, "reply \(frame.kind) to sampleNeighbors", server: server)
      }
      var reader = WireReader(frame.payload)
      do {
        let n = Int(try reader.readUInt32("edge types"))
        guard n == entries.count else {
          throw GraphClientError(.protocolError, "sampling reply has \(n) edge types for \(entries.count) asked", server: server)
        }
        for k in entries {
          let e = try reader.readInt32("edge type")
          let (nd, od) = try reader.skipBlock(elementSize: 8, "dst")
          let (ns, os) = try reader.skipBlock(elementSize: 8, "src")
          let (ne, oe) = try reader.skipBlock(elementSize: 8, "edge ids")
          guard Int(e) == etypes[k].0, nd == ns, ns == ne else {
            throw GraphClientError(.protocolError, "sampling reply entry for edge type \(e) (\(nd) dst, \(ns) src, \(ne) edge ids) does not match the request", server: server)
          }
          located[k][p] = Located(frame: r, dst: od, src: os, eid: oe, count: nd)
        }
        try reader.expectEnd()
      } catch let e as ProtoError {
        throw GraphClientError(.protocolError, e.description, server: server)
      }
    }
    /// Calls `body` with partition p's (dst, src, eid) blocks of entry k, wherever they are.
    func withBlocks(_ k: Int, _ p: Int,
                    _ body: (UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer, Int) throws -> Void) rethrows {
      if let at = located[k][p] {
        try frames[at.frame].payload.withUnsafeBytes { raw in
          let b = raw.baseAddress!
          try body(b + at.dst, b + at.src, b + at.eid, at.count)
        }
      } else if let s = results[k][p], !s.dst.isEmpty {
        try s.dst.withUnsafeBytes { d in
          try s.src.withUnsafeBytes { sr in
            try s.eid.withUnsafeBytes { ei in try body(d.baseAddress!, sr.baseAddress!, ei.baseAddress!, s.dst.count) }
          }
        }
      }
    }
    // Merge into destination order: a destination's edges all come from its owner partition, in
    // one run of that partition's answer (which lists the asked destinations in order). So: one
    // walk per partition finds each destination's run, then the runs are copied in frontier order.
    return try etypes.enumerated().map { k, entry in
      let dt = layout.etypeDst[entry.0]
      let F = frontier[dt].count
      var offsets = [Int32](repeating: 0, count: F + 1)
      var runStart = [Int](repeating: 0, count: F)
      for p in 0..<P {
        try partIds[p][dt].withUnsafeBufferPointer { ids in
          try partLocal[p][dt].withUnsafeBufferPointer { locals in
            try offsets.withUnsafeMutableBufferPointer { counts in
              try runStart.withUnsafeMutableBufferPointer { starts in
                try withBlocks(k, p) { dst, _, _, n in
                  var ptr = -1
                  var previous = Int64.min
                  for j in 0..<n {
                    let d = Int64(littleEndian: dst.loadUnaligned(fromByteOffset: 8 &* j, as: Int64.self))
                    if d != previous || ptr < 0 {
                      ptr &+= 1
                      while ptr < ids.count && ids[ptr] != d { ptr &+= 1 }
                      guard ptr < ids.count else {
                        throw GraphClientError(.protocolError, "partition \(p) returned edges for \(d), which it was not asked about (or out of order)")
                      }
                      starts[Int(locals[ptr])] = j
                      previous = d
                    }
                    counts[Int(locals[ptr]) &+ 1] &+= 1
                  }
                }
              }
            }
          }
        }
      }
      for i in 0..<F { offsets[i + 1] += offsets[i] }
      let total = Int(offsets[F])
      var src = [Int64](unsafeUninitializedCapacity: total) { _, n in n = total }
      var eids = [Int64](unsafeUninitializedCapacity: total) { _, n in n = total }
      offsets.withUnsafeBufferPointer { off in
        runStart.withUnsafeBufferPointer { starts in
          src.withUnsafeMutableBytes { so in
            eids.withUnsafeMutableBytes { eo in
              for p in 0..<P {
                partLocal[p][dt].withUnsafeBufferPointer { locals in
                  withBlocks(k, p) { _, s, e, _ in
                    for l in locals {
                      let d = Int(l), a = Int(off[d]), len = Int(off[d + 1]) &- a
                      if len == 0 { continue }
                      let from = 8 &* starts[d]
                      (so.baseAddress! + 8 &* a).copyMemory(from: s + from, byteCount: 8 &* len)
                      (eo.baseAddress! + 8 &* a).copyMemory(from: e + from, byteCount: 8 &* len)
                    }
                  }
                }
              }
            }
          }
        }
      }
      return LayerEdges(offsets: offsets, src: src, eids: eids)
    }
  }
}
