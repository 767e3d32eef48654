import Foundation
import Graph
import GraphClient
import GraphService
import Net
import Proto
import Tensor
import TestSupport
import XCTest

/// Three real `gust-server` processes (plus a replica of partition 0) over a seeded random
/// 3-partition graph; every answer checked against the unpartitioned graph data.
final class ServedGraphTests: XCTestCase {
  nonisolated(unsafe) static var graph: TestGraph!
  nonisolated(unsafe) static var servers: ServerProcesses!
  nonisolated(unsafe) static var config: PartitionConfig!
  nonisolated(unsafe) static var root = ""
  static let embedDim = 4

  override class func setUp() {
    super.setUp()
    root = NSTemporaryDirectory() + "gust-served-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: root + "/graph", withIntermediateDirectories: true)
    graph = TestGraph.random(seed: 77, parts: 3)
    config = try! graph.writePartitions(root: root + "/graph")
    servers = try! ServerProcesses(root: root, configPath: root + "/graph/tg.json", serverArguments: ["--handshake-timeout", "0.3"])
    do {
      for p in 0..<3 { try servers.start(part: p, extra: ["--embed-dim", "\(embedDim)", "--threads", "2"]) }
      try servers.start(part: 0, serverID: 1, extra: ["--embed-dim", "\(embedDim)"])
    } catch {
      print(servers.logs())
      fatalError("\(error)")
    }
  }

  override class func tearDown() {
    servers?.stopAll()
    try? FileManager.default.removeItem(atPath: root)
    super.tearDown()
  }

  override func tearDown() {
    if let run = testRun, run.failureCount > 0 { print("server logs:\n" + Self.servers.logs()) }
    super.tearDown()
  }

  var g: TestGraph { Self.graph }
  var secret: Secret { try! Secret(bytes: Array("job-secret-for-tests".utf8)) }

  func client(rank: UInt32 = 0, local: Partition? = nil, config: Bool = true, timeout: Double = 10) throws -> GraphClient {
    try GraphClient(servers: Self.servers.endpoints, secret: secret, config: config ? Self.config : nil, local: local,
                    options: ClientOptions(timeout: timeout, rank: rank))
  }

  func globals(_ t: Int, _ graphIDs: [Int]) -> [Int64] { graphIDs.map { g.globalOf[t][$0] } }

  // MARK: blocks

  let fanouts = [[2, 3, -1, 1, 2], [4, 2, 0, 2, 3]]
  let masks: [String?] = ["lp_mask", nil, nil, nil, nil]

  func checkBlocks(_ c: GraphClient, file: StaticString = #filePath, line: UInt = #line) throws {
    let seeds: [[Int64]] = [globals(0, [0, 5, 17, 42, 99, 5, 150, 299]), globals(1, [3, 7, 119]), []]
    let excluded = Array(g.edgeGlobal[0].prefix(200)) + [g.edgeGlobal[1][3]]
    let spec = BlockSampling(fanouts: fanouts, maskFields: masks, excludedEdges: excluded)
    let got = try c.sampleBlocks(seeds: seeds, spec, seed: 1234)
    let want = g.blocks(seeds: seeds, fanouts: fanouts, masks: masks, excluded: excluded, seed: 1234)
    XCTAssertEqual(got.nodes, want.nodes, file: file, line: line)
    XCTAssertEqual(got.numLayers, 2, file: file, line: line)
    for l in 0..<2 {
      for e in 0..<5 {
        XCTAssertEqual(got.edges[l][e].offsets, want.edges[l][e].offsets, "layer \(l) etype \(e)", file: file, line: line)
        XCTAssertEqual(got.edges[l][e].indices, want.edges[l][e].indices, "layer \(l) etype \(e)", file: file, line: line)
        XCTAssertEqual(got.edges[l][e].eids, want.edges[l][e].eids, "layer \(l) etype \(e)", file: file, line: line)
      }
      for t in 0..<3 {
        XCTAssertEqual(Array(got.nodes[l][t].prefix(got.nodes[l + 1][t].count)), got.nodes[l + 1][t], file: file, line: line)
      }
    }
    XCTAssertGreaterThan(got.numSampledEdges, 50, file: file, line: line)
    XCTAssertEqual(got, try c.sampleBlocks(seeds: seeds, spec, seed: 1234), "same seed, same blocks", file: file, line: line)
    XCTAssertNotEqual(got, try c.sampleBlocks(seeds: seeds, spec, seed: 1235), file: file, line: line)
  }

  func testMultiHopBlocksThroughServersEqualTheUnpartitionedGraph() throws {
    try checkBlocks(try client())
  }

  func testLocalPartitionAndLearntLayoutGiveTheSameAnswers() throws {
    let local = try Partition(configPath: Self.root + "/graph/tg.json", partId: 1)
    try checkBlocks(try client(local: local))
    let learnt = try client(config: false)
    XCTAssertEqual(learnt.layout, GraphLayout(Self.config))
    try checkBlocks(learnt)
    try checkFeatures(try client(local: local))
    try checkFeatures(learnt)
  }

  func testSeedsOfTheLocalPartitionAreSampledInPlaceWithTheServersAnswer() throws {
    let local = try Partition(configPath: Self.root + "/graph/tg.json", partId: 1)
    let r = Self.config.nodeMap[0][1]
    var seeds = Array((r.start..<min(r.end, r.start + 60)).reversed())
    seeds += [seeds[3], seeds[0]]
    // Unsorted, with edges of every partition.
    let excluded = Array(g.edgeGlobal[0].enumerated().filter { $0.offset % 3 == 0 }.map(\.element).reversed())
    let requests = (0..<5).filter { Self.config.ntypeId(Self.config.etypes[$0].dst) == 0 }.map {
      NeighborRequest(etype: $0, fanout: $0 == 0 ? 2 : 3, maskField: $0 == 0 ? "lp_mask" : nil)
    } + [NeighborRequest(etype: 0, fanout: -1)]
    let served = try client().sampleNeighbors(seeds: seeds, requests: requests, excluded: excluded, seed: 31)
    XCTAssertGreaterThan(served.reduce(0) { $0 + $1.dst.count }, 100)
    // Every server unreachable: the local partition alone answers, the same edges in the same order.
    let nowhere = try Endpoint(parsing: "127.0.0.1:1")
    let offline = try GraphClient(servers: [[nowhere], [nowhere], [nowhere]], secret: secret, config: Self.config,
                                  local: local, options: ClientOptions(timeout: 0.5))
    XCTAssertEqual(try offline.sampleNeighbors(seeds: seeds, requests: requests, excluded: excluded, seed: 31), served)
    // A seed of another partition goes to its server (here: unreachable).
    XCTAssertThrowsError(try offline.sampleNeighbors(seeds: seeds + [Self.config.nodeMap[0][0].start],
                                                     requests: requests, seed: 31))
  }

  func testReplicaServesGraphRequests() throws {
    let c = try client(rank: 1)  // partition 0's graph requests go to its server 1
    try checkBlocks(c)
    try checkFeatures(c)
    // Embeddings still come from server 0 of each partition.
    let ids = globals(1, [0, 1, 2])
    XCTAssertEqual(try c.pullEmbeddings(ntype: 1, ids: ids).values.count, 3 * Self.embedDim)
  }

  // MARK: sampling properties

  func testSamplingReturnsTrueNeighboursAtMostFanoutAndHonoursMasksAndExclusions() throws {
    let c = try client()
    let seeds = globals(0, Array(0..<300))
    guard case .u8(let lpMask) = g.data.edgeFields[0][0].data else { return XCTFail() }
    let excluded = Set(g.edgeGlobal[0].enumerated().filter { $0.offset % 4 == 0 }.map(\.element))
    for (fanout, mask, ex) in [(3, nil, Set<Int64>()), (5, "lp_mask", Set<Int64>()), (2, "lp_mask", excluded), (-1, nil, excluded)] {
      let got = try c.sampleNeighbors(seeds: seeds, etype: 0, fanout: fanout, maskField: mask,
                                      excluded: Array(ex), seed: 9)
      var perSeed: [Int64: [Int64]] = [:]
      for k in 0..<got.dst.count {
        guard let (e, i) = g.edgeOf[got.eids[k]] else { return XCTFail("edge \(got.eids[k]) does not exist") }
        XCTAssertEqual(e, 0)
        XCTAssertEqual(g.globalOf[0][Int(g.data.dst[0][i])], got.dst[k], "a true in-edge of its seed")
        XCTAssertEqual(g.globalSrc(0, i), got.src[k])
        if mask != nil { XCTAssertEqual(lpMask[i], 1, "masked edge \(got.eids[k]) sampled") }
        XCTAssertFalse(ex.contains(got.eids[k]), "excluded edge \(got.eids[k]) sampled")
        perSeed[got.dst[k], default: []].append(got.eids[k])
      }
      for s in seeds {
        let eligible = (g.inEdges[0][s] ?? []).filter { (mask == nil || lpMask[$0] != 0) && !ex.contains(g.edgeGlobal[0][$0]) }
        let n = perSeed[s]?.count ?? 0
        XCTAssertEqual(n, fanout < 0 ? eligible.count : min(fanout, eligible.count), "seed \(s) fanout \(fanout)")
        XCTAssertEqual(Set(perSeed[s] ?? []).count, n, "no edge twice")
      }
      XCTAssertEqual(got, try c.sampleNeighbors(seeds: seeds, etype: 0, fanout: fanout, maskField: mask, excluded: Array(ex), seed: 9))
    }
    // Seeds in any order, repeated: each gets its own sample, in request order.
    let mixed = globals(0, [0, 299, 0, 12])
    let got = try c.sampleNeighbors(seeds: mixed, etype: 0, fanout: 3, seed: 5)
    var expected: [Int64] = []
    for s in mixed { expected += g.sample(0, dst: s, fanout: 3, mask: nil, excluded: [], seed: 5).map { g.edgeGlobal[0][$0] } }
    XCTAssertEqual(got.eids, expected)
  }

  // MARK: features, labels, masks

  func checkFeatures(_ c: GraphClient, file: StaticString = #filePath, line: UInt = #line) throws {
    let papers = [5, 0, 299, 17, 5, 123, 64]
    let feats = try c.pullNodeFeatures(ntype: 0, fields: ["feat"], ids: globals(0, papers))
    guard case .f32(let feat) = g.data.nodeFields[0][0].data else { return XCTFail() }
    XCTAssertEqual(feats[0].width, 8, file: file, line: line)
    XCTAssertEqual(feats[0].values, papers.flatMap { feat[($0 * 8)..<($0 * 8 + 8)] }, file: file, line: line)
    guard case .f64(let vfeat) = g.data.nodeFields[2][0].data else { return XCTFail() }
    let venues = [9, 0, 3, 3]
    XCTAssertEqual(try c.pullNodeFeatures(ntype: 2, field: "vfeat", ids: globals(2, venues)).values,
                   venues.flatMap { vfeat[($0 * 3)..<($0 * 3 + 3)].map { Float($0) } }, file: file, line: line)
    let cols = try c.pullLabelsMasks(ntype: 0, fields: ["label", "train_mask"], ids: globals(0, papers))
    guard case .i64(let label) = g.data.nodeFields[0][1].data, case .u8(let train) = g.data.nodeFields[0][2].data else { return XCTFail() }
    XCTAssertEqual(cols[0], .int64(width: 1, values: papers.map { label[$0] }), file: file, line: line)
    XCTAssertEqual(cols[1], .uint8(width: 1, values: papers.map { train[$0] }), file: file, line: line)
    let edges = [0, 1499, 700, 3]
    guard case .f32(let weight) = g.data.edgeFields[0][1].data else { return XCTFail() }
    XCTAssertEqual(try c.pullEdgeFeatures(etype: 0, fields: ["weight"], ids: edges.map { g.edgeGlobal[0][$0] })[0].values,
                   edges.map { weight[$0] }, file: file, line: line)
    XCTAssertEqual(try c.pullNodeFeatures(ntype: 0, field: "feat", ids: []).values, [], file: file, line: line)
    // Grouped by owner (each server's rows read into one block): the same rows, permuted by
    // `rowOf` — also for a pull over the servers' 64 KiB threshold, whose rows they send from
    // the mapped file as pieces.
    var state = UInt64(99)
    let many = (0..<3000).map { _ -> Int in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int((state >> 33) % 300)
    }
    for list in [papers, many] {
      let want = list.flatMap { feat[($0 * 8)..<($0 * 8 + 8)] }
      let grouped = try c.pullNodeFeatureRows(ntype: 0, field: "feat", ids: globals(0, list))
      XCTAssertEqual(grouped.width, 8, file: file, line: line)
      XCTAssertEqual(grouped.inRequestOrder().values, want, file: file, line: line)
      XCTAssertEqual(Set(grouped.rowOf).count, list.count, "rowOf is a permutation", file: file, line: line)
      XCTAssertEqual(try c.pullNodeFeatures(ntype: 0, field: "feat", ids: globals(0, list)).values, want, file: file, line: line)
    }
    XCTAssertEqual(try c.pullNodeFeatureRows(ntype: 2, field: "vfeat", ids: globals(2, venues)).inRequestOrder().values,
                   venues.flatMap { vfeat[($0 * 3)..<($0 * 3 + 3)].map { Float($0) } }, file: file, line: line)
    XCTAssertEqual(try c.pullNodeFeatureRows(ntype: 0, field: "feat", ids: []).rowOf, [], file: file, line: line)
  }

  func testFeaturesLabelsAndMasksEqualTheInputRows() throws {
    try checkFeatures(try client())
  }

  func testFeaturesOfASampledFrontier() throws {
    let c = try client()
    let blocks = try c.sampleBlocks(seeds: [globals(0, Array(0..<40)), [], []], BlockSampling(fanouts: [[5], [5]]), seed: 3)
    let ids = blocks.nodes[0][0]
    let got = try c.pullNodeFeatures(ntype: 0, field: "feat", ids: ids)
    guard case .f32(let feat) = g.data.nodeFields[0][0].data else { return XCTFail() }
    XCTAssertEqual(got.values, ids.flatMap { id -> ArraySlice<Float> in let v = g.nodeOf[id]!.1; return feat[(v * 8)..<(v * 8 + 8)] })
  }

  // MARK: embeddings

  func testEmbeddingsInitialisedFromTheJobSeedAndPushAppliesSparseAdam() throws {
    let c = try client()
    let ids = globals(1, [0, 50, 119, 7, 33])
    let dim = Self.embedDim
    let before = try c.pullEmbeddings(ntype: 1, ids: ids)
    XCTAssertEqual(before.values, ids.flatMap { GraphService.initialEmbedding(seed: 4242, ntype: 1, globalID: $0, dim: dim) })
    // Push to three rows (one twice); the others must not move.
    let pushed = [ids[0], ids[2], ids[0], ids[3]]
    let grads: [Float] = (0..<(pushed.count * dim)).map { Float($0 % 7) * 0.25 - 0.5 }
    XCTAssertEqual(try c.pushEmbeddingGradients(ntype: 1, ids: pushed, gradients: grads, width: dim, learningRate: 0.1), 3)
    let after = try c.pullEmbeddings(ntype: 1, ids: ids)
    // Expected: one SparseAdam step per distinct row, duplicates summed.
    var table = before.values
    let adam = SparseAdam(numRows: ids.count, dim: dim, lr: 0.1)
    let rows: [Int64] = [0, 2, 0, 3]
    table.withUnsafeMutableBufferPointer { t in grads.withUnsafeBufferPointer { adam.step(table: t.baseAddress!, rows: rows, grads: $0.baseAddress!) } }
    XCTAssertEqual(after.values, table)
    for r in [1, 4] { XCTAssertEqual(after.values[(r * dim)..<((r + 1) * dim)], before.values[(r * dim)..<((r + 1) * dim)]) }
    XCTAssertNotEqual(after.values[0..<dim], before.values[0..<dim])

    // Dump rows and sparse Adam state, change both, load: back to the dumped rows, and the
    // same push as before the change gives what the reference optimiser gives.
    let dir = Self.root + "/emb"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    XCTAssertEqual(try c.dumpEmbeddings(ntype: 1, directory: dir), 120)
    XCTAssertEqual(try c.dumpEmbeddingOptimizer(ntype: 1, directory: dir), 3, "three rows have state")
    try c.pushEmbeddingGradients(ntype: 1, ids: [ids[1], ids[0]], gradients: [Float](repeating: 1, count: 2 * dim), width: dim, learningRate: 0.5)
    XCTAssertNotEqual(try c.pullEmbeddings(ntype: 1, ids: ids), after)
    XCTAssertEqual(try c.loadEmbeddings(ntype: 1, directory: dir), 120)
    XCTAssertEqual(try c.pullEmbeddings(ntype: 1, ids: ids), after)
    XCTAssertEqual(try c.loadEmbeddingOptimizer(ntype: 1, directory: dir), 3)
    try c.pushEmbeddingGradients(ntype: 1, ids: pushed, gradients: grads, width: dim, learningRate: 0.1)
    table.withUnsafeMutableBufferPointer { t in grads.withUnsafeBufferPointer { adam.step(table: t.baseAddress!, rows: rows, grads: $0.baseAddress!) } }
    XCTAssertEqual(try c.pullEmbeddings(ntype: 1, ids: ids).values, table, "second steps from the restored moments and step counts")
    XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.contains(".tmp") })
    // A rows file is not an optimiser state: refused, naming the file.
    try FileManager.default.copyItem(atPath: c.embeddingPath(1, 0, dir), toPath: c.optimizerPath(1, 0, dir) + ".x")
    try FileManager.default.removeItem(atPath: c.optimizerPath(1, 0, dir))
    try FileManager.default.moveItem(atPath: c.optimizerPath(1, 0, dir) + ".x", toPath: c.optimizerPath(1, 0, dir))
    XCTAssertThrowsError(try c.loadEmbeddingOptimizer(ntype: 1, directory: dir)) { XCTAssertTrue("\($0)".contains("part0.adam"), "\($0)") }
  }

  // MARK: errors name what is wrong; the server carries on

  func testBadIdsAndNamesGetErrorRepliesNamingThemAndTheServerKeepsServing() throws {
    let h = Self.servers.handles.first { $0.part == 0 && $0.serverID == 0 }!
    let conn = try Connection.connect(to: h.endpoint, deadline: .after(seconds: 5))
    try Authentication.client(conn, secret: secret, role: .trainer, rank: 0, deadline: .after(seconds: 5))
    let otherPaper = g.globalOf[0].first { g.nodeOf[$0]!.0 == 0 && g.assignment[0][Int(g.nodeOf[$0]!.1)] != 0 }!
    let cases: [(Message, ErrorCode, String)] = [
      (.pullNodeFeatures(PullFeatures(typeID: 9, fields: ["feat"], ids: [])), .unknownName, "node type id 9"),
      (.pullNodeFeatures(PullFeatures(typeID: 0, fields: ["nope"], ids: [])), .unknownName, "'nope'"),
      (.pullNodeFeatures(PullFeatures(typeID: 0, fields: ["feat"], ids: [otherPaper])), .unknownID, "\(otherPaper)"),
      (.pullEdgeFeatures(PullFeatures(typeID: 0, fields: ["feat"], ids: [])), .unknownName, "'feat'"),
      (.sampleNeighbors(SampleNeighborsRequest(seeds: [], fanouts: [Fanout(edgeType: 77, fanout: 1)], seed: 0)), .unknownName, "edge type id 77"),
      (.sampleNeighbors(SampleNeighborsRequest(seeds: [], fanouts: [Fanout(edgeType: 1, fanout: 1)], maskField: "lp_mask", seed: 0)), .unknownName, "lp_mask"),
      (.sampleNeighbors(SampleNeighborsRequest(seeds: [1 << 40], fanouts: [Fanout(edgeType: 0, fanout: 1)], seed: 0)), .unknownID, "\(1 << 40)"),
      (.pullEmbeddings(PullEmbeddings(nodeType: 0, ids: [])), .unknownName, "paper has no learnable embeddings"),
      (.pullLabelsMasks(PullLabelsMasks(fields: ["label"], ids: [-5])), .unknownID, "-5"),
      (.dumpEmbeddings(EmbeddingFile(nodeType: 1, path: "relative/x")), .badRequest, "absolute"),
    ]
    for (m, code, text) in cases {
      XCTAssertThrowsError(try conn.request(m, deadline: .after(seconds: 5)), "\(m.kind)") {
        let e = ($0 as? NetError)?.remote
        XCTAssertEqual(e?.code, code, "\($0)")
        XCTAssertTrue(e?.message.contains(text) ?? false, "'\(e?.message ?? "")' should name \(text)")
      }
    }
    XCTAssertEqual(try conn.request(.heartbeat(Heartbeat(token: 5)), deadline: .after(seconds: 5)), .heartbeatReply(Heartbeat(token: 5)))
    // A replica refuses embedding traffic and says where it goes.
    let replica = Self.servers.handles.first { $0.part == 0 && $0.serverID == 1 }!
    let rc = try Connection.connect(to: replica.endpoint, deadline: .after(seconds: 5))
    try Authentication.client(rc, secret: secret, role: .trainer, rank: 0, deadline: .after(seconds: 5))
    XCTAssertThrowsError(try rc.request(.pullEmbeddings(PullEmbeddings(nodeType: 1, ids: [])), deadline: .after(seconds: 5))) {
      XCTAssertEqual(($0 as? NetError)?.remote?.code, .unsupported)
      XCTAssertTrue(($0 as? NetError)?.remote?.message.contains("server 0") ?? false)
    }
    // The client checks ids before sending and names them.
    XCTAssertThrowsError(try client().pullNodeFeatures(ntype: 0, field: "feat", ids: [g.globalOf[1][0]])) {
      XCTAssertTrue("\($0)".contains("author node, not paper"), "\($0)")
    }
  }

  func testPartitionInfoDescribesThePartition() throws {
    let h = Self.servers.handles.first { $0.part == 2 }!
    let conn = try Connection.connect(to: h.endpoint, deadline: .after(seconds: 5))
    try Authentication.client(conn, secret: secret, role: .trainer, rank: 0, deadline: .after(seconds: 5))
    guard case .partitionInfo(let info) = try conn.request(.partitionInfoRequest, deadline: .after(seconds: 5)) else { return XCTFail() }
    XCTAssertEqual(info.partitionID, 2)
    XCTAssertEqual(info.numPartitions, 3)
    XCTAssertEqual(info.nodeTypes, ["paper", "author", "venue"])
    XCTAssertEqual(info.nodeRanges[0], Self.config.nodeMap[0][2].start)
  }
}
