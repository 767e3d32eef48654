import Graph
import Model
import Tensor
import XCTest
@testable import Training

final class BlockSamplerTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic(parts: 3) }
  override class func tearDown() { graph.remove() }

  /// Random seeds of both node types, a few of them per partition.
  func seeds(_ c: PartitionConfig, _ n: Int, _ seed: UInt64) -> [[Int64]] {
    var g = Generator(seed: seed)
    return (0..<c.ntypes.count).map { t in
      var all = c.nodeMap[t].flatMap { Array($0.start..<$0.end) }
      g.shuffle(&all)
      return Array(all.prefix(n))
    }
  }

  /// The branch-free numbering of sampled edges equals the plain loop (a dictionary, new sources
  /// in order of first appearance), for the dense map over several layers (each clearing the ids
  /// it set) and for the dictionary a huge graph uses.
  func testNumberingEqualsThePlainLoop() {
    var g = Generator(seed: 5)
    for dense in [true, false] {
      var map = IdMap(count: dense ? 1000 : Int64(Int32.max) + 1)
      var previous: [Int64] = []
      for round in 0..<4 {
        map.clear([previous])
        for id in previous { XCTAssertEqual(map.get(id), -1, "cleared") }
        let dsts = (0..<20).map { _ in Int64(g.nextInt(below: 1000)) }
        var ref: [Int64: Int32] = [:]
        for d in dsts where ref[d] == nil { ref[d] = Int32(ref.count); map.set(d, ref[d]!) }
        let firstNew = Int32(ref.count)
        var rd: [Int64] = [], rs: [Int64] = []
        for d in Set(dsts).sorted() {
          for _ in 0..<g.nextInt(below: 6) { rd.append(d); rs.append(Int64(g.nextInt(below: round == 0 ? 30 : 1000))) }
        }
        var wantDst: [Int32] = [], wantSrc: [Int32] = [], wantNew: [Int64] = []
        for (d, s) in zip(rd, rs) {
          wantDst.append(ref[d]!)
          if ref[s] == nil { ref[s] = firstNew + Int32(wantNew.count); wantNew.append(s) }
          wantSrc.append(ref[s]!)
        }
        var od = [Int32](repeating: 0, count: rd.count), os = od
        var nb = [Int64](repeating: -7, count: rd.count)
        let fresh = rd.withUnsafeBufferPointer { rdp in
          rs.withUnsafeBufferPointer { rsp in
            od.withUnsafeMutableBufferPointer { odp in
              os.withUnsafeMutableBufferPointer { osp in
                nb.withUnsafeMutableBufferPointer { nbp in
                  map.withDense { BlockSampler.number(dst: rdp, src: rsp, firstNew: firstNew, dense: $0, dstOut: odp, srcOut: osp, newIds: nbp) }
                }
              }
            }
          }
        }
        XCTAssertEqual(od, wantDst, "dense \(dense) round \(round)")
        XCTAssertEqual(os, wantSrc, "dense \(dense) round \(round)")
        XCTAssertEqual(Array(nb.prefix(fresh)), wantNew, "dense \(dense) round \(round)")
        for s in wantNew { XCTAssertEqual(map.get(s), ref[s]!) }
        previous = Array(ref.keys)
      }
    }
  }

  /// With every neighbour taken, each block holds exactly the in-edges of its destinations in
  /// the unpartitioned data; destinations are the first source rows; every layer's ids are
  /// unique per type; new sources are exactly the neighbours not yet present.
  func testFullNeighbourhoodBlocksEqualTheUnpartitionedGraph() throws {
    let s = Self.graph!
    let access = try LocalGraphAccess(configPath: s.configPath)
    let c = access.partitionConfig
    let toGraph = try s.globalToGraph()
    let sampler = BlockSampler(graph: access)
    let L = 2
    let plan = SamplingPlan(fanouts: [[Int]](repeating: [Int](repeating: -1, count: c.etypes.count), count: L))
    let seedIds = seeds(c, 7, 3)
    let out = try sampler.sample(seeds: seedIds, plan: plan, seed: 99)
    try out.flow.validate()
    // In-edges of every node, from the raw data, as (src type, src graph id) multisets per etype.
    for l in stride(from: L - 1, through: 0, by: -1) {
      let block = out.flow.blocks[l]
      for (e, et) in c.etypes.enumerated() {
        let dstIds = out.flow.nodes[l + 1][et.dst] ?? []
        let srcIds = out.flow.nodes[l][et.src] ?? []
        var got: [String] = []
        if let csr = block.edges[Model.EdgeType(et.src, et.rel, et.dst)] {
          for d in 0..<csr.numDst {
            for k in Int(csr.offsets[d])..<Int(csr.offsets[d + 1]) {
              got.append("\(toGraph[dstIds[d]]!.1)<-\(toGraph[srcIds[Int(csr.indices[k])]]!.1)")
            }
          }
        }
        var want: [String] = []
        let dstGraph = Set(dstIds.map { toGraph[$0]!.1 })
        for i in 0..<s.data.src[e].count where dstGraph.contains(s.data.dst[e][i]) {
          want.append("\(s.data.dst[e][i])<-\(s.data.src[e][i])")
        }
        XCTAssertEqual(got.sorted(), want.sorted(), "layer \(l) \(et)")
      }
      for (t, ids) in out.flow.nodes[l] { XCTAssertEqual(Set(ids).count, ids.count, "layer \(l) '\(t)' has duplicates") }
    }
    // Seeds are the last node set, in the given order.
    for (t, name) in c.ntypes.enumerated() { XCTAssertEqual(out.flow.nodes[L][name] ?? [], seedIds[t]) }
  }

  /// A sampled fanout takes min(k, degree) true in-edges per destination, deterministically.
  func testFanoutIsBoundedAndDeterministic() throws {
    let access = try LocalGraphAccess(configPath: Self.graph.configPath)
    let c = access.partitionConfig
    let sampler = BlockSampler(graph: access)
    let plan = SamplingPlan(fanouts: [[Int]](repeating: [Int](repeating: 2, count: c.etypes.count), count: 2))
    let sd = seeds(c, 20, 5)
    let a = try sampler.sample(seeds: sd, plan: plan, seed: 1)
    let b = try BlockSampler(graph: access).sample(seeds: sd, plan: plan, seed: 1)
    let other = try sampler.sample(seeds: sd, plan: plan, seed: 2)
    XCTAssertEqual(a.flow, b.flow)
    XCTAssertNotEqual(a.flow, other.flow)
    try a.flow.validate()
    for blk in a.flow.blocks {
      for (_, csr) in blk.edges {
        for d in 0..<csr.numDst { XCTAssertLessThanOrEqual(csr.offsets[d + 1] - csr.offsets[d], 2) }
      }
    }
  }

  /// A sample that fails after filling the sampler's id map leaves no trace: the next sample
  /// equals a fresh sampler's.
  func testFailedSampleLeavesNoTrace() throws {
    let access = try LocalGraphAccess(configPath: Self.graph.configPath)
    let c = access.partitionConfig
    let plan = SamplingPlan(fanouts: [[Int]](repeating: [Int](repeating: 2, count: c.etypes.count), count: 2))
    let sd = seeds(c, 20, 5)
    let want = try BlockSampler(graph: access).sample(seeds: sd, plan: plan, seed: 1)
    let sampler = BlockSampler(graph: access)
    // Every node as a destination, plus a node of another type among type 0's seeds: the map
    // holds every id when sampling type 0 throws.
    var all = (0..<c.ntypes.count).map { t in c.nodeMap[t].flatMap { Array($0.start..<$0.end) } }
    all[0].append(all[1][0])
    XCTAssertThrowsError(try sampler.sample(seeds: all, plan: plan, seed: 1))
    let got = try sampler.sample(seeds: sd, plan: plan, seed: 1)
    XCTAssertEqual(got.flow, want.flow)
    XCTAssertEqual(got.edgeIds, want.edgeIds)
  }

  /// Fanout 0 leaves an edge type out; a mask keeps only masked edges; excluded edges never appear.
  func testZeroFanoutMaskAndExclusion() throws {
    let access = try LocalGraphAccess(configPath: Self.graph.configPath)
    let c = access.partitionConfig
    let cites = c.etypeId(Synthetic.cites)!, related = c.etypeId(Synthetic.related)!
    var fan = [[Int]](repeating: [Int](repeating: -1, count: c.etypes.count), count: 2)
    fan[0][related] = 0
    fan[1][related] = 0
    let sd = seeds(c, 30, 8)
    let plain = try BlockSampler(graph: access).sample(seeds: sd, plan: SamplingPlan(fanouts: fan), seed: 4)
    let someCites = Array(Set(plain.edgeIds.flatMap { $0[cites] ?? [] })).sorted().prefix(10)
    XCTAssertFalse(someCites.isEmpty)
    let out = try BlockSampler(graph: access).sample(seeds: sd, plan: SamplingPlan(fanouts: fan, maskFields: [cites: "lp_train"]),
                                                      excluded: Array(someCites), seed: 4)
    for l in 0..<2 {
      XCTAssertNil(out.flow.blocks[l].edges[Model.EdgeType("paper", "related", "paper")])
      let ids = out.edgeIds[l][cites] ?? []
      XCTAssertFalse(ids.isEmpty)
      let mask = try access.edgeColumn(etype: cites, field: "lp_train", ids: ids)
      XCTAssertEqual(mask, .u8([UInt8](repeating: 1, count: ids.count)))
      XCTAssertTrue(Set(ids).isDisjoint(with: someCites))
    }
  }

  /// Sampling across partitions returns entries grouped by seed in request order, whatever the owners.
  func testMixedPartitionSeedsKeepRequestOrder() throws {
    let access = try LocalGraphAccess(configPath: Self.graph.configPath)
    let c = access.partitionConfig
    let paper = c.ntypeId("paper")!, cites = c.etypeId(Synthetic.cites)!
    var ids = access.allNodes(ntype: paper)
    var g = Generator(seed: 3)
    g.shuffle(&ids)
    let seeds = Array(ids.prefix(40))
    let r = try access.sampleNeighbors(seeds: seeds, requests: [SampleRequest(etype: cites, fanout: -1)], excluded: [], seed: 0)[0]
    var order: [Int64] = []
    for d in r.dst where order.last != d { order.append(d) }
    XCTAssertEqual(order, seeds.filter { Set(r.dst).contains($0) })
    for (k, d) in r.dst.enumerated() {
      let one = try access.partitions[c.nodeMap[paper].firstIndex { $0.contains(d) }!]
        .sampleInNeighbors(seeds: [d], etype: cites, fanout: -1, seed: 0)
      XCTAssertTrue(one.eid.contains(r.eid[k]))
    }
  }
}
