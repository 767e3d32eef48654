import Foundation
import XCTest
@testable import Graph

final class SamplingTests: XCTestCase {
  var root = ""
  var config: PartitionConfig!
  var parts: [Partition] = []
  var graph: GraphData!

  /// 200 "item" nodes, 3000 random "links" edges with a u8 mask on about half of them, 3
  /// partitions.
  override func setUpWithError() throws {
    root = NSTemporaryDirectory() + "gust-sampling-\(UUID().uuidString)"
    var s: UInt64 = 12345
    func rnd(_ n: Int) -> Int { s = SampleStream.mix(s); return Int(s % UInt64(n)) }
    var src: [Int64] = [], dst: [Int64] = [], mask: [UInt8] = []
    for i in 0..<3000 {
      // Skewed destinations so some nodes have large degrees and some none.
      let d = i % 7 == 0 ? 0 : rnd(150)
      src.append(Int64(rnd(200))); dst.append(Int64(d)); mask.append(UInt8(rnd(2)))
    }
    graph = GraphData(ntypes: ["item"], numNodes: [200], nodeFields: [[]],
                      etypes: [EdgeType("item", "links", "item")], src: [src], dst: [dst],
                      edgeFields: [[Field(name: "train_mask", kind: .mask, width: 1, data: .u8(mask))]])
    let assignment = (0..<200).map { Int32($0 % 3) }
    config = try GraphWriter.write(graph, assignment: [assignment], numParts: 3, partMethod: "random",
                                   graphName: "g", seed: 0, root: root)
    parts = try (0..<3).map { try Partition(configPath: "\(root)/g.json", partId: $0) }
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

  /// Input edge index of a global edge id (through edge_mapping).
  func inputEdge(_ eid: Int64) throws -> Int {
    let e = config.globalFiles[PartitionConfig.edgeMappingName(etype: 0)]!
    let m = try MappedFile(path: "\(root)/\(e.path)", expectedBytes: e.bytes, crc32: e.crc32)
    return withExtendedLifetime(m) { Int(m.typed(Int64.self)[Int(eid)]) }
  }

  func graphId(_ global: Int64) throws -> Int64 {
    let e = config.globalFiles[PartitionConfig.nodeMappingName(ntype: "item")]!
    let m = try MappedFile(path: "\(root)/\(e.path)", expectedBytes: e.bytes, crc32: e.crc32)
    return withExtendedLifetime(m) { m.typed(Int64.self)[Int(global)] }
  }

  func testOnlyTrueNeighboursAtMostFanoutAllWhenFewer() throws {
    var degree = [Int](repeating: 0, count: 200)
    for d in graph.dst[0] { degree[Int(d)] += 1 }
    for p in parts {
      let r = p.nodeRange(0)
      let seeds = Array(r.start..<r.end)
      let out = try p.sampleInNeighbors(seeds: seeds, etype: 0, fanout: 5, seed: 9)
      var perSeed: [Int64: Int] = [:]
      for k in 0..<out.dst.count {
        let i = try inputEdge(out.eid[k])
        XCTAssertEqual(try graphId(out.dst[k]), graph.dst[0][i])
        XCTAssertEqual(try graphId(out.src[k]), graph.src[0][i])
        perSeed[out.dst[k], default: 0] += 1
      }
      for s in seeds {
        XCTAssertEqual(perSeed[s, default: 0], min(5, degree[Int(try graphId(s))]), "seed \(s)")
      }
      XCTAssertEqual(Set(out.eid).count, out.eid.count, "no edge twice")
    }
  }

  func testSameRequestSameAnswerAndSeedChangesIt() throws {
    let p = parts[0]
    let seeds = Array(p.nodeRange(0).start..<p.nodeRange(0).end)
    let a = try p.sampleInNeighbors(seeds: seeds, etype: 0, fanout: 3, seed: 1)
    XCTAssertEqual(a, try p.sampleInNeighbors(seeds: seeds, etype: 0, fanout: 3, seed: 1))
    XCTAssertNotEqual(a, try p.sampleInNeighbors(seeds: seeds, etype: 0, fanout: 3, seed: 2))
    // A seed's sample does not depend on the batch it comes in.
    let alone = try p.sampleInNeighbors(seeds: [seeds[0]], etype: 0, fanout: 3, seed: 1)
    XCTAssertEqual(alone.eid, Array(a.eid.prefix(alone.eid.count)))
    let all = try p.sampleInNeighbors(seeds: seeds, etype: 0, fanout: -1, seed: 1)
    XCTAssertEqual(all.eid.count, Int(p.inCSR(0).indptr.last!))
  }

  /// The unfiltered fast path (three passes) answers exactly like the general loop, which an
  /// exclusion list that matches no edge forces; and Floyd's positions are the textbook ones.
  func testFastPathEqualsTheGeneralLoop() throws {
    for p in parts {
      let r = p.nodeRange(0)
      let seeds = Array(r.start..<r.end).reversed() + [r.start]
      for fanout in [-1, 0, 1, 3, 10] {
        for seed in [UInt64(1), 77] {
          let fast = try p.sampleInNeighbors(seeds: Array(seeds), etype: 0, fanout: fanout, seed: seed)
          let general = try p.sampleInNeighbors(seeds: Array(seeds), etype: 0, fanout: fanout,
                                                excluded: [Int64.max], seed: seed)
          XCTAssertEqual(fast, general, "partition \(p.partId) fanout \(fanout) seed \(seed)")
        }
      }
    }
    var picked: [Int] = []
    for n in [2, 5, 17, 400] {
      for fanout in [0, 1, 2, min(10, n - 1)] where n > fanout {
        NeighborChoice.positions(eligible: n, fanout: fanout, seed: 3, etype: 1, node: Int64(n), into: &picked)
        var reference: [Int] = []
        var stream = SampleStream(seed: 3, etype: 1, node: Int64(n))
        for j in (n - fanout)..<n {
          let t = stream.next(below: j + 1)
          reference.append(reference.contains(t) ? j : t)
        }
        XCTAssertEqual(picked, reference.sorted(), "n \(n) fanout \(fanout)")
      }
    }
  }

  func testMaskAndExclusionsAreHonoured() throws {
    let p = parts[0]
    let hub = p.nodeRange(0).start  // graph id 0: the high-degree node
    let masked = try p.sampleInNeighbors(seeds: [hub], etype: 0, fanout: -1, maskField: "train_mask", seed: 1)
    let all = try p.sampleInNeighbors(seeds: [hub], etype: 0, fanout: -1, seed: 1)
    XCTAssertLessThan(masked.eid.count, all.eid.count)
    for e in masked.eid { XCTAssertEqual(maskOf(try inputEdge(e)), 1) }
    XCTAssertEqual(masked.eid.count, try all.eid.filter { maskOf(try inputEdge($0)) == 1 }.count)
    let excluded = Array(all.eid.prefix(10)).sorted()
    let rest = try p.sampleInNeighbors(seeds: [hub], etype: 0, fanout: -1, excluded: excluded, seed: 1)
    XCTAssertEqual(Set(rest.eid), Set(all.eid).subtracting(excluded))
    let few = try p.sampleInNeighbors(seeds: [hub], etype: 0, fanout: 4, excluded: excluded, seed: 1)
    XCTAssertEqual(few.eid.count, 4)
    XCTAssertTrue(Set(few.eid).isDisjoint(with: excluded))
  }

  func maskOf(_ inputEdge: Int) -> UInt8 {
    guard case .u8(let m) = graph.edgeFields[0][0].data else { return 255 }
    return m[inputEdge]
  }

  func testBadRequestsNameWhatIsWrong() throws {
    let p = parts[1]
    XCTAssertThrowsError(try p.sampleInNeighbors(seeds: [parts[0].nodeRange(0).start], etype: 0, fanout: 2, seed: 0)) {
      XCTAssertTrue("\($0)".contains("is not a item node of partition 1"), "\($0)")
    }
    XCTAssertThrowsError(try p.sampleInNeighbors(seeds: [], etype: 3, fanout: 2, seed: 0)) {
      XCTAssertTrue("\($0)".contains("edge type id 3"), "\($0)")
    }
    XCTAssertThrowsError(try p.sampleInNeighbors(seeds: [], etype: 0, fanout: 2, maskField: "nope", seed: 0)) {
      XCTAssertTrue("\($0)".contains("'nope'"), "\($0)")
    }
  }
}
