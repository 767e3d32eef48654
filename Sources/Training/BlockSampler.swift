import Graph
import Model
import Tensor

/// Per layer and edge type, how a mini-batch samples its blocks.
public struct SamplingPlan: Equatable, Sendable {
  /// `fanouts[l][e]`: in-edges per destination of edge type id `e` at layer `l` (0 = the
  /// layer next to the input, as Config's `Fanout`); `-1` all, `0` none.
  public var fanouts: [[Int]]
  /// Edge type id → `u8` edge mask field: only edges with the mask set pass messages.
  public var maskFields: [Int: String]

  public init(fanouts: [[Int]], maskFields: [Int: String] = [:]) {
    self.fanouts = fanouts
    self.maskFields = maskFields
  }

  public var numLayers: Int { fanouts.count }
}

/// A sampled mini-batch: the model's `MessageFlow` plus, per block and edge type id, the global
/// ids of the sampled edges in the order they were sampled (leakage checks, debugging).
public struct SampledFlow: Sendable {
  public var flow: MessageFlow
  public var edgeIds: [[Int: [Int64]]]
}

/// Multi-hop block sampling over `GraphAccess`'s one-hop sampling (DGL's convention):
/// starting from the seeds (the last node set), each layer's sources are its destinations
/// followed by the newly reached nodes in order of first appearance (destination types in type
/// order, edge types in type order, sampled edges in the order `sampleNeighbors` returns them).
/// The frontier is deduplicated per node type with a dense stamped array over the global id
/// space (one `Int32` slot and one stamp per node, reused across calls: no per-id hashing on
/// the hot path); graphs over 2³¹ nodes fall back to a dictionary.
/// Layer `l`'s one-hop requests use the seed `deriveSeed(base: seed, salt: l)`.
public final class BlockSampler {
  public let graph: GraphAccess
  var map: IdMap

  public init(graph: GraphAccess) {
    self.graph = graph
    map = IdMap(count: graph.partitionConfig.numNodes)
  }

  /// Samples `plan.numLayers` blocks for `seeds[t]` (global ids of node type id `t`, unique
  /// within a type). `excluded` (sorted) edges never pass messages.
  /// `firstLayer` numbers the plan's layers from there in the per-layer seeds (layer-wise
  /// inference samples one layer `l` at a time with the seed a full plan gives layer `l`).
  public func sample(seeds: [[Int64]], plan: SamplingPlan, excluded: [Int64] = [], seed: UInt64,
                     firstLayer: Int = 0) throws -> SampledFlow {
    let c = graph.partitionConfig
    let T = c.ntypes.count, L = plan.numLayers
    precondition(seeds.count == T, "BlockSampler: seeds for \(seeds.count) of \(T) node types")
    let mtypes = c.etypes.map { Model.EdgeType($0.src, $0.rel, $0.dst) }
    let srcType = c.etypes.map { c.ntypeId($0.src)! }, dstType = c.etypes.map { c.ntypeId($0.dst)! }
    var layers = [[[Int64]]](repeating: [], count: L + 1)
    layers[L] = seeds
    var edges = [[Model.EdgeType: CSR]](repeating: [:], count: L)
    var eids = [[Int: [Int64]]](repeating: [:], count: L)
    // The map is empty between layers: each layer clears the ids it set; an error clears all.
    var finished = false
    defer { if !finished { map.clearAll() } }
    for l in stride(from: L - 1, through: 0, by: -1) {
      let dstNodes = layers[l + 1]
      var srcNodes = dstNodes
      for t in 0..<T { for (i, id) in dstNodes[t].enumerated() { map.set(id, Int32(i)) } }
      var pairs: [Int: (dst: [Int32], src: [Int32])] = [:]
      let layerSeed = deriveSeed(base: seed, salt: UInt64(firstLayer + l))
      for t in 0..<T where !dstNodes[t].isEmpty {
        var requests: [SampleRequest] = []
        for e in 0..<c.etypes.count where dstType[e] == t && plan.fanouts[l][e] != 0 {
          requests.append(SampleRequest(etype: e, fanout: plan.fanouts[l][e], maskField: plan.maskFields[e]))
        }
        if requests.isEmpty { continue }
        let results = try graph.sampleNeighbors(seeds: dstNodes[t], requests: requests, excluded: excluded, seed: layerSeed)
        for (r, res) in zip(requests, results) {
          let s = srcType[r.etype]
          let m = res.dst.count
          var list = srcNodes[s]
          srcNodes[s] = []
          var d32 = [Int32](repeating: 0, count: m), s32 = d32
          var fresh = 0
          let newIds = [Int64](unsafeUninitializedCapacity: m) { nb, count in
            res.dst.withUnsafeBufferPointer { rd in
              res.src.withUnsafeBufferPointer { rs in
                d32.withUnsafeMutableBufferPointer { od in
                  s32.withUnsafeMutableBufferPointer { os in
                    map.withDense { dense in
                      fresh = Self.number(dst: rd, src: rs, firstNew: Int32(list.count), dense: dense,
                                          dstOut: od, srcOut: os, newIds: nb)
                    }
                  }
                }
              }
            }
            count = fresh
          }
          list.append(contentsOf: newIds)
          srcNodes[s] = list
          pairs[r.etype] = (d32, s32)
          eids[l][r.etype] = res.eid
        }
      }
      for (e, p) in pairs {
        edges[l][mtypes[e]] = try CSR(numDst: dstNodes[dstType[e]].count, numSrc: srcNodes[srcType[e]].count,
                                      dst: p.dst, src: p.src)
      }
      layers[l] = srcNodes
      map.clear(srcNodes)
    }
    finished = true
    let named: [[String: [Int64]]] = layers.map { perType in
      var m: [String: [Int64]] = [:]
      for (t, ids) in perType.enumerated() where !ids.isEmpty { m[c.ntypes[t]] = ids }
      return m
    }
    return SampledFlow(flow: MessageFlow(nodes: named, edges: edges), edgeIds: eids)
  }

  /// Numbers one request's sampled edges in the layer's local ids: `dstOut[k]` is the local id of
  /// `dst[k]` (already in the map), `srcOut[k]` that of `src[k]`, where a source not yet in the
  /// map becomes `firstNew`, `firstNew + 1`, … in order of first appearance (DGL's convention)
  /// and is appended to `newIds`. Returns how many were new. Entries are grouped by destination,
  /// so each destination is looked up once. No branch depends on the data: a source's entry is
  /// written whether or not it was new, and the new-id count grows by 0 or 1.
  @inline(__always)
  static func number(dst rd: UnsafeBufferPointer<Int64>, src rs: UnsafeBufferPointer<Int64>, firstNew: Int32,
                     dense: IdMap.Dense, dstOut od: UnsafeMutableBufferPointer<Int32>,
                     srcOut os: UnsafeMutableBufferPointer<Int32>, newIds nb: UnsafeMutableBufferPointer<Int64>) -> Int {
    var lastDst: Int64 = -1, lastLocal: Int32 = -1
    var fresh = 0
    for k in 0..<rs.count {
      if rd[k] != lastDst { lastDst = rd[k]; lastLocal = dense.get(lastDst) }
      od[k] = lastLocal
      let id = rs[k], v = dense.get(id)
      let seen = v >= 0
      let l = seen ? v : firstNew &+ Int32(truncatingIfNeeded: fresh)
      dense.set(id, l)
      nb[fresh] = id  // kept only when new: the next new id overwrites it otherwise
      fresh &+= seen ? 0 : 1
      os[k] = l
    }
    return fresh
  }
}

/// Global node id → local row for one layer: one `Int32` per node, -1 when absent (4 bytes a
/// node), or a dictionary for huge graphs. A layer clears exactly the ids it set (`clear`), so
/// the next starts empty without touching the rest; `clearAll` after an error.
struct IdMap {
  var local: [Int32] = []
  var dict: [Int64: Int32]? = nil

  init(count: Int64) {
    if count < Int64(Int32.max) {
      local = [Int32](repeating: -1, count: Int(count))
    } else {
      dict = [:]
    }
  }

  /// Forgets `ids` (every id set since the map was last empty, e.g. a layer's source lists).
  mutating func clear<S: Sequence>(_ ids: S) where S.Element == [Int64] {
    if dict != nil { dict!.removeAll(keepingCapacity: true); return }
    local.withUnsafeMutableBufferPointer { lb in
      for list in ids { for id in list { lb[Int(id)] = -1 } }
    }
  }

  /// Forgets everything (after an error left the map in an unknown state).
  mutating func clearAll() {
    if dict != nil { dict!.removeAll(keepingCapacity: true); return }
    for i in local.indices { local[i] = -1 }
  }

  /// The map as a raw pointer for a hot loop (the dictionary fallback wraps itself).
  struct Dense {
    let local: UnsafeMutablePointer<Int32>?
    let fallback: UnsafeMutablePointer<IdMap>
    @inline(__always) func get(_ id: Int64) -> Int32 {
      guard let local else { return fallback.pointee.get(id) }
      return local[Int(id)]
    }
    @inline(__always) func set(_ id: Int64, _ v: Int32) {
      guard let local else { fallback.pointee.set(id, v); return }
      local[Int(id)] = v
    }
  }

  mutating func withDense<R>(_ body: (Dense) -> R) -> R {
    if dict != nil {
      return withUnsafeMutablePointer(to: &self) { me in
        body(Dense(local: nil, fallback: me))
      }
    }
    var l = local
    local = []
    defer { local = l }
    return l.withUnsafeMutableBufferPointer { lb in
      var dummy = IdMap(count: 0)
      return withUnsafeMutablePointer(to: &dummy) { d in
        body(Dense(local: lb.baseAddress, fallback: d))
      }
    }
  }

  @inline(__always)
  func get(_ id: Int64) -> Int32 {
    if let dict { return dict[id] ?? -1 }
    return local[Int(id)]
  }

  @inline(__always)
  mutating func set(_ id: Int64, _ v: Int32) {
    if dict != nil { dict![id] = v; return }
    local[Int(id)] = v
  }
}
