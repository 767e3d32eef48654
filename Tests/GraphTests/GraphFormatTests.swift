import Foundation
import XCTest
@testable import Graph

final class GraphFormatTests: XCTestCase {
  var dirs: [String] = []
  override func tearDown() {
    for d in dirs { try? FileManager.default.removeItem(atPath: d) }
  }

  func tempDir() -> String {
    let d = NSTemporaryDirectory() + "gust-graph-\(UUID().uuidString)"
    dirs.append(d)
    return d
  }

  /// paper(6) ← cites ← paper; author(3) — writes → paper. Paper has a 2-wide feature and a
  /// label; "writes" edges carry a weight.
  func sampleGraph() -> GraphData {
    let cites = EdgeType("paper", "cites", "paper"), writes = EdgeType("author", "writes", "paper")
    return GraphData(
      ntypes: ["author", "paper"], numNodes: [3, 6],
      nodeFields: [[], [Field(name: "feat", kind: .feature, width: 2, data: .f32((0..<12).map { Float($0) })),
                        Field(name: "label", kind: .label, width: 1, data: .i64([0, 1, 2, 0, 1, 2]))]],
      etypes: [writes, cites],
      src: [[0, 1, 2, 0], [1, 2, 3, 4, 5, 0, 5]],
      dst: [[0, 0, 5, 3], [0, 0, 1, 1, 2, 5, 4]],
      edgeFields: [[Field(name: "w", kind: .feature, width: 1, data: .f32([10, 11, 12, 13]))], []])
  }

  /// Reads every partition back and returns, per edge type, the (src, dst) graph-id pairs and
  /// per node the feature row — in graph ids, so layouts of different partition counts compare.
  func readBack(_ root: String, _ name: String) throws -> (edges: [Set<[Int64]>], feat: [Int64: [Float]], w: [[Int64]: Float]) {
    let c = try PartitionConfig.load(path: "\(root)/\(name).json")
    let book = PartitionBook.nodes(c)
    func mapping(_ t: Int) throws -> [Int64] {
      let e = c.globalFiles[PartitionConfig.nodeMappingName(ntype: c.ntypes[t])]!
      let m = try MappedFile(path: "\(root)/\(e.path)", expectedBytes: e.bytes, crc32: e.crc32)
      return withExtendedLifetime(m) { Array(m.typed(Int64.self)) }
    }
    let maps = try (0..<c.ntypes.count).map(mapping)
    func graphId(_ global: Int64) -> Int64 {
      let o = book.owner(of: global)!
      return maps[o.type][globalTypeOffset(c, o)]
    }
    func globalTypeOffset(_ c: PartitionConfig, _ o: PartitionBook.Owner) -> Int {
      (0..<o.part).reduce(0) { $0 + c.nodeMap[o.type][$1].count } + o.offset
    }
    var edges = [Set<[Int64]>](repeating: [], count: c.etypes.count)
    var feat: [Int64: [Float]] = [:]
    var w: [[Int64]: Float] = [:]
    for p in 0..<c.numParts {
      let part = try Partition(configPath: "\(root)/\(name).json", partId: p)
      for e in 0..<c.etypes.count {
        let (indptr, src) = part.inCSR(e)
        let dt = c.ntypeId(c.etypes[e].dst)!
        let wf = part.edgeField(e, "w")
        for d in 0..<(indptr.count - 1) {
          for k in Int(indptr[d])..<Int(indptr[d + 1]) {
            let pair = [graphId(src[k]), graphId(part.nodeRange(dt).start + Int64(d))]
            edges[e].insert(pair)
            if let wf { w[pair] = wf.data.load(fromByteOffset: k * 4, as: Float.self) }
          }
        }
      }
      let pt = c.ntypeId("paper")!
      let f = part.nodeField(pt, "feat")!
      for i in 0..<part.nodeRange(pt).count {
        let gid = graphId(part.nodeRange(pt).start + Int64(i))
        feat[gid] = [f.data.load(fromByteOffset: i * 8, as: Float.self), f.data.load(fromByteOffset: i * 8 + 4, as: Float.self)]
      }
    }
    return (edges, feat, w)
  }

  func testOneAndThreePartitionsHoldTheSameGraph() throws {
    let g = sampleGraph()
    let one = tempDir(), three = tempDir()
    try GraphWriter.write(g, assignment: [[0, 0, 0], [0, 0, 0, 0, 0, 0]], numParts: 1, partMethod: "random",
                          graphName: "g", seed: 0, root: one)
    let c3 = try GraphWriter.write(g, assignment: [[2, 0, 1], [1, 0, 2, 1, 0, 2]], numParts: 3, partMethod: "random",
                                   graphName: "g", seed: 0, root: three)
    let a = try readBack(one, "g"), b = try readBack(three, "g")
    let expectedWrites: Set<[Int64]> = [[0, 0], [1, 0], [2, 5], [0, 3]]
    XCTAssertEqual(a.edges[0], expectedWrites)
    XCTAssertEqual(b.edges[0], expectedWrites)
    XCTAssertEqual(a.edges[1], b.edges[1])
    XCTAssertEqual(a.edges[1].count, 7)
    XCTAssertEqual(a.feat, b.feat)
    XCTAssertEqual(b.feat[4], [8, 9])
    XCTAssertEqual(b.w[[2, 5]], 12)
    XCTAssertEqual(a.w, b.w)
    // Each (partition, type) is one contiguous range, partition-major.
    XCTAssertEqual(c3.nodeMap[0].map(\.start), [0, 3, 6])  // 1 author + 2 papers per partition
    XCTAssertEqual(c3.nodeMap[1].map(\.start), [1, 4, 7])
    XCTAssertEqual(c3.numNodes, 9)
    XCTAssertEqual(c3.numEdges, 11)
  }

  func testSameInputGivesByteIdenticalOutput() throws {
    let a = tempDir(), b = tempDir()
    for d in [a, b] {
      try GraphWriter.write(sampleGraph(), assignment: [[1, 0, 1], [0, 1, 0, 1, 0, 1]], numParts: 2,
                            partMethod: "metis", graphName: "g", seed: 7, root: d)
    }
    let files = try FileManager.default.subpathsOfDirectory(atPath: a).sorted()
    XCTAssertEqual(files, try FileManager.default.subpathsOfDirectory(atPath: b).sorted())
    for f in files {
      var isDir: ObjCBool = false
      FileManager.default.fileExists(atPath: "\(a)/\(f)", isDirectory: &isDir)
      if !isDir.boolValue { XCTAssertEqual(FileManager.default.contents(atPath: "\(a)/\(f)"), FileManager.default.contents(atPath: "\(b)/\(f)"), f) }
    }
  }

  func testCorruptAndTruncatedFilesAreRefusedNamingTheFile() throws {
    let d = tempDir()
    let c = try GraphWriter.write(sampleGraph(), assignment: [[0, 0, 0], [0, 0, 0, 0, 0, 0]], numParts: 1,
                                  partMethod: "random", graphName: "g", seed: 0, root: d)
    let featPath = "\(d)/\(c.partFiles[0][PartitionConfig.nodeFieldName(ntype: "paper", field: "feat")]!.path)"
    var bytes = FileManager.default.contents(atPath: featPath)!
    bytes[5] ^= 0x40
    try bytes.write(to: URL(fileURLWithPath: featPath))
    XCTAssertThrowsError(try Partition(configPath: "\(d)/g.json", partId: 0)) { e in
      let ge = e as! GraphError
      XCTAssertEqual(ge.code, .checksum)
      XCTAssertEqual(ge.path, featPath)
    }
    try bytes.prefix(10).write(to: URL(fileURLWithPath: featPath))
    XCTAssertThrowsError(try Partition(configPath: "\(d)/g.json", partId: 0)) { e in
      XCTAssertEqual((e as! GraphError).code, .corrupt)
      XCTAssertTrue("\(e)".contains("truncated"), "\(e)")
    }
    XCTAssertThrowsError(try Partition(configPath: "\(d)/g.json", partId: 1)) { e in
      XCTAssertEqual((e as! GraphError).code, .invalidArgument)
    }
  }

  func testConfigRoundTripsAndBadConfigNamesTheKey() throws {
    let d = tempDir()
    let c = try GraphWriter.write(sampleGraph(), assignment: [[1, 0, 1], [0, 1, 0, 1, 0, 1]], numParts: 2,
                                  partMethod: "metis", graphName: "g", seed: 7, root: d)
    XCTAssertEqual(try PartitionConfig.load(path: "\(d)/g.json"), c)
    let json = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: "\(d)/g.json")!) as! [String: Any]
    XCTAssertEqual(json["graph_name"] as? String, "g")
    // author [1, 0, 1] and paper [0, 1, 0, 1, 0, 1]: part 0 = 1 author, 3 papers; part 1 = 2, 3.
    XCTAssertEqual((json["node_map"] as? [String: [[Int]]])?["paper"], [[1, 4], [6, 9]])
    XCTAssertEqual((json["etypes"] as? [String: Int])?["paper:cites:paper"], 1)
    var broken = json
    broken["node_map"] = ["paper": [[0, 3]], "author": [[0, 1], [1, 2]]]
    try JSONSerialization.data(withJSONObject: broken).write(to: URL(fileURLWithPath: "\(d)/bad.json"))
    XCTAssertThrowsError(try PartitionConfig.load(path: "\(d)/bad.json")) { e in
      XCTAssertTrue("\(e)".contains("node_map"), "\(e)")
    }
  }

  func testPartitionBookRoutesEveryId() {
    let book = PartitionBook(ranges: [[.init(0, 3), .init(5, 5), .init(9, 10)], [.init(3, 5), .init(5, 9), .init(10, 10)]])
    XCTAssertEqual(book.owner(of: 0), .init(part: 0, type: 0, offset: 0))
    XCTAssertEqual(book.owner(of: 4), .init(part: 0, type: 1, offset: 1))
    XCTAssertEqual(book.owner(of: 5), .init(part: 1, type: 1, offset: 0))
    XCTAssertEqual(book.owner(of: 9), .init(part: 2, type: 0, offset: 0))
    XCTAssertNil(book.owner(of: 10))
    XCTAssertNil(book.owner(of: -1))
    XCTAssertEqual(book.total, 10)
  }

  func testInvalidGraphIsRejectedBeforeWriting() {
    var g = sampleGraph()
    g.dst[1][2] = 6
    let d = tempDir()
    XCTAssertThrowsError(try GraphWriter.write(g, assignment: [[0, 0, 0], [0, 0, 0, 0, 0, 0]], numParts: 1,
                                               partMethod: "random", graphName: "g", seed: 0, root: d)) { e in
      XCTAssertTrue("\(e)".contains("destination 6"), "\(e)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: d))
  }
}
