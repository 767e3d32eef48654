import Foundation
import Graph
import GraphClient

/// A seeded random heterogeneous graph and everything the tests need to compute answers from it
/// without servers: the global ids GraphWriter gives each node and edge, and in-edge lists.
struct TestGraph {
  let data: GraphData
  let assignment: [[Int32]]
  let numParts: Int
  /// `[t][graph id]` → global id, and global id → (type, graph id).
  var globalOf: [[Int64]] = []
  var nodeOf: [Int64: (Int, Int)] = [:]
  /// `[e][input edge]` → global edge id, and global edge id → (etype, input edge).
  var edgeGlobal: [[Int64]] = []
  var edgeOf: [Int64: (Int, Int)] = [:]
  /// `[e][dst global id]` → input edges, in input order (= CSR order).
  var inEdges: [[Int64: [Int]]] = []

  static func random(seed: UInt64, parts: Int) -> TestGraph {
    var s = seed
    func rnd(_ n: Int) -> Int {
      s &+= 0x9E37_79B9_7F4A_7C15
      var z = s
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Int((z ^ (z >> 31)) % UInt64(n))
    }
    let nP = 300, nA = 120, nV = 10
    let paperFeat = (0..<(nP * 8)).map { _ in Float(rnd(10_000)) / 100 - 50 }
    let label = (0..<nP).map { _ in Int64(rnd(5)) }
    let train = (0..<nP).map { _ in UInt8(rnd(2)) }
    let venueFeat = (0..<(nV * 3)).map { _ in Double(rnd(1000)) / 7 }
    var cs: [Int64] = [], cd: [Int64] = [], lpMask: [UInt8] = [], weight: [Float] = []
    for i in 0..<1500 {
      let d = i % 9 == 0 ? 0 : rnd(nP)  // paper 0 has a large in-degree
      cs.append(Int64(rnd(nP))); cd.append(Int64(d)); lpMask.append(UInt8(rnd(3) == 0 ? 0 : 1))
      weight.append(Float(i) * 0.5)
    }
    var ws: [Int64] = [], wd: [Int64] = []
    for _ in 0..<600 { ws.append(Int64(rnd(nA))); wd.append(Int64(rnd(nP))) }
    var vs: [Int64] = [], vd: [Int64] = []
    for p in 0..<nP where p % 5 != 0 { vs.append(Int64(p)); vd.append(Int64(rnd(nV))) }
    let data = GraphData(
      ntypes: ["paper", "author", "venue"], numNodes: [nP, nA, nV],
      nodeFields: [
        [Field(name: "feat", kind: .feature, width: 8, data: .f32(paperFeat)),
         Field(name: "label", kind: .label, width: 1, data: .i64(label)),
         Field(name: "train_mask", kind: .mask, width: 1, data: .u8(train))],
        [],
        [Field(name: "vfeat", kind: .feature, width: 3, data: .f64(venueFeat))],
      ],
      etypes: [EdgeType("paper", "cites", "paper"), EdgeType("author", "writes", "paper"),
               EdgeType("paper", "written_by", "author"), EdgeType("paper", "in", "venue"),
               EdgeType("venue", "has", "paper")],
      src: [cs, ws, wd, vs, vd], dst: [cd, wd, ws, vd, vs],
      edgeFields: [
        [Field(name: "lp_mask", kind: .mask, width: 1, data: .u8(lpMask)),
         Field(name: "weight", kind: .feature, width: 1, data: .f32(weight))],
        [], [], [], [],
      ])
    let assignment = [nP, nA, nV].map { n in (0..<n).map { _ in Int32(rnd(parts)) } }
    var g = TestGraph(data: data, assignment: assignment, numParts: parts)
    g.index()
    return g
  }

  /// GraphWriter's numbering: nodes partition-major then type, ascending graph id; edges owned
  /// by the destination's partition, partition-major then edge type, stably sorted by destination.
  private mutating func index() {
    let T = data.ntypes.count, E = data.etypes.count
    globalOf = data.numNodes.map { [Int64](repeating: 0, count: $0) }
    var next: Int64 = 0
    for p in 0..<numParts {
      for t in 0..<T {
        for v in 0..<data.numNodes[t] where assignment[t][v] == p {
          globalOf[t][v] = next
          nodeOf[next] = (t, v)
          next += 1
        }
      }
    }
    edgeGlobal = data.src.map { [Int64](repeating: 0, count: $0.count) }
    var e64: Int64 = 0
    for p in 0..<numParts {
      for e in 0..<E {
        let dt = data.ntypes.firstIndex(of: data.etypes[e].dst)!
        let mine = data.dst[e].indices.filter { assignment[dt][Int(data.dst[e][$0])] == p }
        let sorted = mine.enumerated().sorted {
          let a = globalOf[dt][Int(data.dst[e][$0.element])], b = globalOf[dt][Int(data.dst[e][$1.element])]
          return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        for i in sorted {
          edgeGlobal[e][i] = e64
          edgeOf[e64] = (e, i)
          e64 += 1
        }
      }
    }
    inEdges = (0..<E).map { e in
      let dt = data.ntypes.firstIndex(of: data.etypes[e].dst)!
      var m: [Int64: [Int]] = [:]
      for (i, d) in data.dst[e].enumerated() { m[globalOf[dt][Int(d)], default: []].append(i) }
      return m
    }
  }

  func srcType(_ e: Int) -> Int { data.ntypes.firstIndex(of: data.etypes[e].src)! }
  func dstType(_ e: Int) -> Int { data.ntypes.firstIndex(of: data.etypes[e].dst)! }
  func globalSrc(_ e: Int, _ i: Int) -> Int64 { globalOf[srcType(e)][Int(data.src[e][i])] }

  /// The reference sample of one destination: input edges, in CSR order.
  func sample(_ e: Int, dst: Int64, fanout: Int, mask: String?, excluded: Set<Int64>, seed: UInt64) -> [Int] {
    let maskData: [UInt8]? = mask.map { m in
      guard case .u8(let v) = data.edgeFields[e].first(where: { $0.info.name == m })!.data else { fatalError() }
      return v
    }
    let eligible = (inEdges[e][dst] ?? []).filter {
      (maskData == nil || maskData![$0] != 0) && !excluded.contains(edgeGlobal[e][$0])
    }
    if fanout < 0 || eligible.count <= fanout { return eligible }
    var picked: [Int] = []
    NeighborChoice.positions(eligible: eligible.count, fanout: fanout, seed: seed, etype: e, node: dst, into: &picked)
    return picked.map { eligible[$0] }
  }

  /// Multi-hop blocks computed straight from the graph data, the same convention as the client.
  func blocks(seeds: [[Int64]], fanouts: [[Int]], masks: [String?], excluded: [Int64], seed: UInt64)
    -> (nodes: [[[Int64]]], edges: [[(offsets: [Int32], indices: [Int32], eids: [Int64])]])
  {
    let T = data.ntypes.count, E = data.etypes.count, L = fanouts.count
    var lists = [[Int64]](repeating: [], count: T)
    var index = [[Int64: Int32]](repeating: [:], count: T)
    func add(_ t: Int, _ id: Int64) -> Int32 {
      if let i = index[t][id] { return i }
      index[t][id] = Int32(lists[t].count)
      lists[t].append(id)
      return Int32(lists[t].count - 1)
    }
    for t in 0..<T { for s in seeds[t] { _ = add(t, s) } }
    let ex = Set(excluded)
    var nodes = [[[Int64]]](repeating: [], count: L + 1)
    var edges = [[(offsets: [Int32], indices: [Int32], eids: [Int64])]](repeating: [], count: L)
    nodes[L] = lists
    for l in stride(from: L - 1, through: 0, by: -1) {
      let frontier = lists
      let layerSeed = BlockSampling.layerSeed(batch: seed, layer: l)
      var layer: [(offsets: [Int32], indices: [Int32], eids: [Int64])] = []
      for e in 0..<E {
        let f = fanouts[l].count == 1 ? fanouts[l][0] : fanouts[l][e]
        var offsets: [Int32] = [0], indices: [Int32] = [], eids: [Int64] = []
        for d in frontier[dstType(e)] {
          if f != 0 {
            for i in sample(e, dst: d, fanout: f, mask: masks.isEmpty ? nil : masks[e], excluded: ex, seed: layerSeed) {
              indices.append(add(srcType(e), globalSrc(e, i)))
              eids.append(edgeGlobal[e][i])
            }
          }
          offsets.append(Int32(indices.count))
        }
        layer.append((offsets, indices, eids))
      }
      edges[l] = layer
      nodes[l] = lists
    }
    return (nodes, edges)
  }

  func writePartitions(root: String) throws -> PartitionConfig {
    try GraphWriter.write(data, assignment: assignment, numParts: numParts, partMethod: "random",
                          graphName: "tg", seed: 4242, root: root)
  }
}
