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
    for l in stride(from: L - 1, through: 0, by: -1) {
      let dstNodes = layers[l + 1]
      var srcNodes = dstNodes
      map.nextGeneration()
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
          res.dst.withUnsafeBufferPointer { rd in
            res.src.withUnsafeBufferPointer { rs in
              d32.withUnsafeMutableBufferPointer { od in
                s32.withUnsafeMutableBufferPointer { os in
                  map.withDense { dense in
                    var lastDst: Int64 = -1, lastLocal: Int32 = -1
                    for k in 0..<m {
                      // Entries are grouped by destination: look each one up once.
                      if rd[k] != lastDst { lastDst = rd[k]; lastLocal = dense.get(lastDst) }
                      od[k] = lastLocal
                      let id = rs[k]
                      var local = dense.get(id)
                      if local < 0 {
                        local = Int32(list.count)
                        list.append(id)
                        dense.set(id, local)
                      }
                      os[k] = local
                    }
                  }
                }
              }
            }
          }
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
    }
    let named: [[String: [Int64]]] = layers.map { perType in
      var m: [String: [Int64]] = [:]
      for (t, ids) in perType.enumerated() where !ids.isEmpty { m[c.ntypes[t]] = ids }
      return m
    }
    return SampledFlow(flow: MessageFlow(nodes: named, edges: edges), edgeIds: eids)
  }
}

/// Global node id → local row for one layer: a dense stamped array (a stale stamp means
/// absent, so a new layer costs one increment, not a clear), or a dictionary for huge graphs.
struct IdMap {
  var local: [Int32] = []
  var stamp: [UInt32] = []
  var generation: UInt32 = 0
  var dict: [Int64: Int32]? = nil

  init(count: Int64) {
    if count < Int64(Int32.max) {
      local = [Int32](repeating: -1, count: Int(count))
      stamp = [UInt32](repeating: 0, count: Int(count))
    } else {
      dict = [:]
    }
  }

  mutating func nextGeneration() {
    if dict != nil { dict!.removeAll(keepingCapacity: true); return }
    generation &+= 1
    if generation == 0 {  // wrapped: clear once every 2³² layers
      for i in stamp.indices { stamp[i] = 0 }
      generation = 1
    }
  }

  /// The map as raw pointers for a hot loop (the dictionary fallback wraps itself).
  struct Dense {
    let local: UnsafeMutablePointer<Int32>?
    let stamp: UnsafeMutablePointer<UInt32>?
    let generation: UInt32
    let fallback: UnsafeMutablePointer<IdMap>
    @inline(__always) func get(_ id: Int64) -> Int32 {
      guard let stamp, let local else { return fallback.pointee.get(id) }
      let i = Int(id)
      return stamp[i] == generation ? local[i] : -1
    }
    @inline(__always) func set(_ id: Int64, _ v: Int32) {
      guard let stamp, let local else { fallback.pointee.set(id, v); return }
      let i = Int(id)
      stamp[i] = generation
      local[i] = v
    }
  }

  mutating func withDense<R>(_ body: (Dense) -> R) -> R {
    if dict != nil {
      return withUnsafeMutablePointer(to: &self) { me in
        body(Dense(local: nil, stamp: nil, generation: 0, fallback: me))
      }
    }
    var l = local, s = stamp
    local = []; stamp = []
    defer { local = l; stamp = s }
    let g = generation
    return l.withUnsafeMutableBufferPointer { lb in
      s.withUnsafeMutableBufferPointer { sb in
        var dummy = IdMap(count: 0)
        return withUnsafeMutablePointer(to: &dummy) { d in
          body(Dense(local: lb.baseAddress, stamp: sb.baseAddress, generation: g, fallback: d))
        }
      }
    }
  }

  @inline(__always)
  func get(_ id: Int64) -> Int32 {
    if let dict { return dict[id] ?? -1 }
    let i = Int(id)
    return stamp[i] == generation ? local[i] : -1
  }

  @inline(__always)
  mutating func set(_ id: Int64, _ v: Int32) {
    if dict != nil { dict![id] = v; return }
    let i = Int(id)
    stamp[i] = generation
    local[i] = v
  }
}
