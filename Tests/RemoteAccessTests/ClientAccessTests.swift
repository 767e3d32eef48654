import Foundation
import Graph
import GraphClient
import Net
import Rand
import RemoteAccess
import Training
import XCTest

/// `ClientGraphAccess` over 2 real `gust-server` processes answers exactly as `LocalGraphAccess`
/// over the same partitions: sampling, features, columns, embeddings (initial rows, after pushes,
/// dump and load), with and without the local-partition fast path.
final class ClientAccessTests: XCTestCase {
  static let dim = 16
  static let seed: UInt64 = 4242
  nonisolated(unsafe) static var graph: Synthetic!
  nonisolated(unsafe) static var servers: Processes!

  override class func setUp() {
    graph = try! Synthetic(papers: 160, authors: 60, parts: 2)
    servers = try! Processes(root: graph.root + "/procs", configPath: graph.configPath)
    try! servers.startAll(parts: 2, dim: dim, seed: seed)
  }

  override class func tearDown() {
    servers.stopAll()
    graph.remove()
  }

  override func tearDown() {
    if let run = testRun, run.failureCount > 0 { print(Self.servers.logs()) }
  }

  /// Both sides: the in-process reference and the remote access (`localPart`: the partition
  /// mapped on the client side, nil for none).
  func make(localPart: Int?) throws -> (LocalGraphAccess, ClientGraphAccess) {
    let reference = try LocalGraphAccess(configPath: Self.graph.configPath)
    reference.addEmbeddings(ntypes: [0], width: Self.dim, seed: Self.seed, lr: 0.05)
    let config = reference.partitionConfig
    let local = try localPart.map { try Partition(configPath: Self.graph.configPath, partId: $0) }
    let client = try GraphClient(servers: Self.servers.endpoints, secret: try Secret.load(path: Self.servers.secretPath),
                                 config: config, local: local, options: ClientOptions(timeout: 20))
    let remote = ClientGraphAccess(client: client, partitionConfig: config, embeddings: [0: Self.dim])
    try remote.checkEmbeddings(seed: Self.seed)
    return (reference, remote)
  }

  /// The sampling access (`samplingAccess()`: a sibling client, its own connections) on one
  /// thread while the original pulls embedding rows and features on another: every answer on
  /// both threads equals the in-process reference's.
  func testSamplingAccessOnAnotherThread() throws {
    let (ref, remote) = try make(localPart: 1)
    let sampler = try XCTUnwrap(try remote.samplingAccess() as? ClientGraphAccess)
    XCTAssertFalse(sampler === remote)
    XCTAssertFalse(sampler.client === remote.client)
    let c = ref.partitionConfig
    let paper = c.ntypeId("paper")!, author = c.ntypeId("author")!
    let papers = ref.allNodes(ntype: paper), authors = ref.allNodes(ntype: author)
    let intoPaper = c.etypes.indices.filter { c.etypes[$0].dst == "paper" }.map { SampleRequest(etype: $0, fanout: 3) }
    final class Out: @unchecked Sendable {
      let sampler: ClientGraphAccess
      var sampled: [[Graph.SampledEdges]] = [], labels: [ArrayData] = [], error: Error?
      init(_ s: ClientGraphAccess) { sampler = s }
    }
    let out = Out(sampler)
    let done = DispatchSemaphore(value: 0)
    let rounds = 40
    let thread = Thread {
      do {
        for i in 0..<rounds {
          let seeds = Array(papers[(i * 3 % 100)..<(i * 3 % 100 + 50)])
          out.sampled.append(try out.sampler.sampleNeighbors(seeds: seeds, requests: intoPaper, excluded: [], seed: UInt64(i)))
          out.labels.append(try out.sampler.nodeColumn(ntype: paper, field: "label_class", ids: seeds))
        }
      } catch { out.error = error }
      done.signal()
    }
    thread.start()
    let ids = Array(authors.prefix(30)), feats = Array(papers.suffix(40))
    for _ in 0..<rounds {
      XCTAssertEqual(try remote.pullEmbeddings(ntype: author, ids: ids), try ref.pullEmbeddings(ntype: author, ids: ids))
      XCTAssertEqual(try remote.nodeFeatures(ntype: paper, fields: ["feat"], ids: feats),
                     try ref.nodeFeatures(ntype: paper, fields: ["feat"], ids: feats))
    }
    done.wait()
    XCTAssertNil(out.error)
    XCTAssertEqual(out.sampled.count, rounds)
    for i in 0..<rounds {
      let seeds = Array(papers[(i * 3 % 100)..<(i * 3 % 100 + 50)])
      XCTAssertEqual(out.sampled[i], try ref.sampleNeighbors(seeds: seeds, requests: intoPaper, excluded: [], seed: UInt64(i)), "round \(i)")
      XCTAssertEqual(out.labels[i], try ref.nodeColumn(ntype: paper, field: "label_class", ids: seeds))
    }
  }

  func testSamplingEqualsLocal() throws {
    for localPart in [nil, 0, 1] as [Int?] {
      let (ref, remote) = try make(localPart: localPart)
      let c = ref.partitionConfig
      let paper = c.ntypeId("paper")!, author = c.ntypeId("author")!
      var g = Generator(seed: 11)
      var papers = ref.allNodes(ntype: paper)
      g.shuffle(&papers)
      let seeds = Array(papers.prefix(70))
      let intoPaper = c.etypes.indices.filter { c.etypes[$0].dst == "paper" }
      let cites = c.etypes.firstIndex { $0.rel == "cites" }!
      let requests = intoPaper.enumerated().map { k, e in
        SampleRequest(etype: e, fanout: [2, -1, 3, 0, 1][k % 5], maskField: e == cites ? "lp_train" : nil)
      }
      let all = try ref.allEdges(etype: cites, maskField: nil)
      let excluded = Array(Set(all.eid.enumerated().filter { $0.offset % 4 == 0 }.map(\.element))).sorted()
      for s in [UInt64(1), 99] {
        let a = try ref.sampleNeighbors(seeds: seeds, requests: requests, excluded: excluded, seed: s)
        let b = try remote.sampleNeighbors(seeds: seeds, requests: requests, excluded: excluded, seed: s)
        XCTAssertEqual(a, b, "local part \(String(describing: localPart)), seed \(s)")
        XCTAssertTrue(a.contains { !$0.eid.isEmpty })
        // Grouped by seed in request order.
        for r in b {
          let order = r.dst.map { seeds.firstIndex(of: $0)! }
          XCTAssertEqual(order, order.sorted())
        }
      }
      let authors = Array(ref.allNodes(ntype: author).reversed())
      let wb = c.etypes.firstIndex { $0.rel == "written_by" }!
      XCTAssertEqual(try ref.sampleNeighbors(seeds: authors, requests: [SampleRequest(etype: wb, fanout: 2)], excluded: [], seed: 5),
                     try remote.sampleNeighbors(seeds: authors, requests: [SampleRequest(etype: wb, fanout: 2)], excluded: [], seed: 5))
      XCTAssertEqual(try ref.allEdges(etype: cites, maskField: "lp_train", chunk: 37),
                     try remote.allEdges(etype: cites, maskField: "lp_train", chunk: 37))
      XCTAssertEqual(try remote.sampleNeighbors(seeds: [], requests: requests, excluded: [], seed: 1).map(\.eid.count),
                     requests.map { _ in 0 })
      // A bad request is a GraphError naming it, as locally.
      XCTAssertThrowsError(try remote.sampleNeighbors(seeds: [authors[0]], requests: [requests[0]], excluded: [], seed: 1)) {
        XCTAssertTrue($0 is GraphError, "\($0)")
      }
    }
  }

  func testFieldsAndColumnsEqualLocal() throws {
    for localPart in [nil, 1] as [Int?] {
      let (ref, remote) = try make(localPart: localPart)
      let c = ref.partitionConfig
      let paper = c.ntypeId("paper")!
      let related = c.etypes.firstIndex { $0.rel == "related" }!
      var g = Generator(seed: 3)
      var ids = ref.allNodes(ntype: paper)
      g.shuffle(&ids)
      ids = Array(ids.prefix(90))
      XCTAssertEqual(try ref.nodeFeatures(ntype: paper, fields: ["feat"], ids: ids), try remote.nodeFeatures(ntype: paper, fields: ["feat"], ids: ids))
      XCTAssertEqual(try ref.nodeFeatures(ntype: paper, fields: ["feat", "label_reg"], ids: ids),
                     try remote.nodeFeatures(ntype: paper, fields: ["feat", "label_reg"], ids: ids))
      for f in ["label_class", "label_reg", "m_train", "m_test"] {
        XCTAssertEqual(try ref.nodeColumn(ntype: paper, field: f, ids: ids), try remote.nodeColumn(ntype: paper, field: f, ids: ids), f)
      }
      let all = ref.allNodes(ntype: paper)
      XCTAssertEqual(try ref.nodeColumn(ntype: paper, field: "m_val", ids: all), try remote.nodeColumn(ntype: paper, field: "m_val", ids: all))
      var eids = try ref.allEdges(etype: related, maskField: nil).eid
      g.shuffle(&eids)
      eids = Array(eids.prefix(120))
      XCTAssertEqual(try ref.edgeFeatures(etype: related, fields: ["efeat"], ids: eids), try remote.edgeFeatures(etype: related, fields: ["efeat"], ids: eids))
      XCTAssertEqual(try ref.edgeFeatures(etype: related, fields: ["efeat", "label_er"], ids: eids),
                     try remote.edgeFeatures(etype: related, fields: ["efeat", "label_er"], ids: eids))
      for f in ["label_ec", "label_er", "e_train", "e_val"] {
        XCTAssertEqual(try ref.edgeColumn(etype: related, field: f, ids: eids), try remote.edgeColumn(etype: related, field: f, ids: eids), f)
      }
      XCTAssertEqual(try remote.nodeFeatures(ntype: paper, fields: ["feat"], ids: []), [])
      XCTAssertThrowsError(try remote.nodeColumn(ntype: paper, field: "nothing", ids: ids)) { XCTAssertTrue($0 is GraphError) }
      XCTAssertThrowsError(try remote.nodeFeatures(ntype: paper, fields: ["feat"], ids: [-5])) { XCTAssertTrue($0 is GraphError, "\($0)") }
    }
  }

  /// Initial rows equal; the same pushes (repeated ids included) give the same rows; a dump
  /// taken by the servers loads back. Runs last (it trains the servers' rows).
  func testZEmbeddingsEqualLocal() throws {
    let (ref, remote) = try make(localPart: 0)
    let author = 0
    let all = ref.allNodes(ntype: author)
    XCTAssertEqual(remote.embeddingWidth(ntype: author), Self.dim)
    XCTAssertNil(remote.embeddingWidth(ntype: 1))
    XCTAssertEqual(try ref.pullEmbeddings(ntype: author, ids: all), try remote.pullEmbeddings(ntype: author, ids: all))
    XCTAssertEqual(try remote.pullEmbeddings(ntype: author, ids: [all[3]]),
                   EmbeddingInit.row(jobSeed: Self.seed, ntype: author, globalID: all[3], dim: Self.dim))
    var g = Generator(seed: 5)
    for step in 0..<3 {
      let ids = (0..<40).map { _ in all[g.nextInt(below: all.count)] }  // repeats across partitions
      let grads = (0..<(ids.count * Self.dim)).map { _ in g.nextFloat() - 0.5 }
      try ref.pushEmbeddingGradients(ntype: author, ids: ids, grads: grads, lr: 0.05)
      try remote.pushEmbeddingGradients(ntype: author, ids: ids, grads: grads, lr: 0.05)
      XCTAssertEqual(try ref.pullEmbeddings(ntype: author, ids: all), try remote.pullEmbeddings(ntype: author, ids: all), "step \(step)")
    }
    // Dump, train on, load: the dumped rows come back.
    let dir = Self.graph.root + "/dump/embeddings"
    try remote.dumpEmbeddings(ntype: author, directory: dir)
    let saved = try remote.pullEmbeddings(ntype: author, ids: all)
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/author-part1.emb"))
    try remote.pushEmbeddingGradients(ntype: author, ids: [all[0]], grads: [Float](repeating: 1, count: Self.dim), lr: 0.05)
    XCTAssertNotEqual(try remote.pullEmbeddings(ntype: author, ids: all), saved)
    try remote.loadEmbeddings(ntype: author, directory: dir, optimizerState: false)
    XCTAssertEqual(try remote.pullEmbeddings(ntype: author, ids: all), saved)
    // With the sparse Adam state (`.adam` beside the rows): after a load both sides take the
    // same next step as the reference restored from its own checkpoint.
    let refDir = Self.graph.root + "/dump-ref/embeddings"
    try ref.dumpEmbeddings(ntype: author, directory: refDir)
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/author-part1.adam"))
    let change = (0..<(2 * Self.dim)).map { Float($0 % 5) - 2 }
    for side in [ref, remote] as [GraphAccess] { try side.pushEmbeddingGradients(ntype: author, ids: [all[1], all[0]], grads: change, lr: 0.05) }
    try ref.loadEmbeddings(ntype: author, directory: refDir, optimizerState: true)
    try remote.loadEmbeddings(ntype: author, directory: dir, optimizerState: true)
    let ids = [all[0], all[1], all[all.count - 1]]
    let grads = (0..<(ids.count * Self.dim)).map { Float($0 % 3) * 0.5 - 0.5 }
    for side in [ref, remote] as [GraphAccess] { try side.pushEmbeddingGradients(ntype: author, ids: ids, grads: grads, lr: 0.05) }
    XCTAssertEqual(try remote.pullEmbeddings(ntype: author, ids: all), try ref.pullEmbeddings(ntype: author, ids: all))
    // A checkpoint without the state (an older Gust's): rows load, a warning names the missing file.
    for p in 0..<2 { try FileManager.default.removeItem(atPath: dir + "/author-part\(p).adam") }
    final class Warnings: @unchecked Sendable { var text: [String] = [] }
    let warnings = Warnings()
    let old = ClientGraphAccess(client: remote.client, partitionConfig: remote.partitionConfig, embeddings: [author: Self.dim],
                                warn: { warnings.text.append($0) })
    try old.loadEmbeddings(ntype: author, directory: dir, optimizerState: true)
    XCTAssertEqual(try remote.pullEmbeddings(ntype: author, ids: all), saved)
    XCTAssertEqual(warnings.text.count, 1)
    XCTAssertTrue(warnings.text.first?.contains("author-part0.adam") ?? false, "\(warnings.text)")
    XCTAssertThrowsError(try remote.pullEmbeddings(ntype: 1, ids: [0])) { XCTAssertTrue($0 is GraphError) }
  }

  /// The factory: servers file, secret file, embedding checks with messages naming the fix.
  func testFactory() throws {
    let s = Self.servers!
    let config = try PartitionConfig.load(path: Self.graph.configPath)
    let serversFile = try s.writeServersFile()
    func spec(types: [Int], width: Int, servers: String = serversFile, secret: String? = nil) -> RemoteGraphSpec {
      RemoteGraphSpec(partConfigPath: Self.graph.configPath, partitionConfig: config, serversFile: servers,
                      secretFile: secret ?? s.secretPath, rank: 1, worldSize: 1, embeddingTypes: types, embeddingWidth: width,
                      seed: Self.seed, timeout: 10)
    }
    let access = try ClientGraphAccess.factory(spec(types: [0], width: Self.dim)) as! ClientGraphAccess
    XCTAssertEqual(access.client.local?.partId, 1)
    XCTAssertEqual(access.client.servers, s.endpoints)
    XCTAssertThrowsError(try ClientGraphAccess.factory(spec(types: [1], width: Self.dim))) {
      XCTAssertTrue("\($0)".contains("--embed-all-types"), "\($0)")
    }
    XCTAssertThrowsError(try ClientGraphAccess.factory(spec(types: [0], width: 8))) {
      XCTAssertTrue("\($0)".contains("--embed-dim 8"), "\($0)")
    }
    let bad = Self.graph.root + "/bad-servers.json"
    for (text, needle) in [("{\"partitions\": [[\"127.0.0.1:1\"]]}", "1 partitions listed"),
                           ("{\"partitions\": [[\"nohost\"], []]}", "partitions[0][0]"), ("[1,2]", "expected JSON")] {
      try text.write(toFile: bad, atomically: true, encoding: .utf8)
      XCTAssertThrowsError(try ClientGraphAccess.factory(spec(types: [0], width: Self.dim, servers: bad))) {
        XCTAssertTrue(($0 as? TrainingError)?.message.contains(needle) == true, "\($0)")
      }
    }
    XCTAssertThrowsError(try ClientGraphAccess.factory(spec(types: [0], width: Self.dim, secret: Self.graph.root + "/no-secret"))) {
      XCTAssertTrue(($0 as? TrainingError)?.message.contains("no-secret") == true, "\($0)")
    }
    XCTAssertEqual(try ServersFile.load(path: serversFile), s.endpoints)
  }
}
