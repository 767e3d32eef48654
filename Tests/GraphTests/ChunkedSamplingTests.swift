import Foundation
import XCTest
@testable import Graph

/// `sampleInNeighbors` in chunks (any order, any threads) gives the one-pass answer: with and
/// without a mask, exclusions and fanouts.
final class ChunkedSamplingTests: XCTestCase {
  func testChunkedSamplingEqualsOnePass() throws {
    let root = NSTemporaryDirectory() + "gust-chunked-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: root) }
    var s: UInt64 = 99
    func rnd(_ n: Int) -> Int { s = SampleStream.mix(s); return Int(s % UInt64(n)) }
    let n = 5000
    var src: [Int64] = [], dst: [Int64] = [], mask: [UInt8] = []
    for i in 0..<60000 {
      src.append(Int64(rnd(n))); dst.append(Int64(i % 11 == 0 ? 7 : rnd(n))); mask.append(UInt8(rnd(3) == 0 ? 0 : 1))
    }
    let graph = GraphData(ntypes: ["item"], numNodes: [n], nodeFields: [[]],
                          etypes: [EdgeType("item", "links", "item")], src: [src], dst: [dst],
                          edgeFields: [[Field(name: "m", kind: .mask, width: 1, data: .u8(mask))]])
    _ = try GraphWriter.write(graph, assignment: [[Int32](repeating: 0, count: n)], numParts: 1, partMethod: "random",
                              graphName: "g", seed: 0, root: root)
    let p = try Partition(configPath: "\(root)/g.json", partId: 0)
    let seeds = (0..<Int64(n)).map { ($0 * 7919) % Int64(n) }  // every node, shuffled
    let excluded = (0..<3000).map { _ in Int64(rnd(60000)) }.sorted()
    // Chunks run in reverse order: the answer must not depend on which chunk runs first.
    let reversed: (Int, (Int) -> Void) -> Void = { k, body in for i in stride(from: k - 1, through: 0, by: -1) { body(i) } }
    for fanout in [3, 10, -1] {
      for maskField in [nil, "m"] as [String?] {
        for ex in [[], excluded] {
          let one = try p.sampleInNeighbors(seeds: seeds, etype: 0, fanout: fanout, maskField: maskField, excluded: ex, seed: 5)
          let chunked = try p.sampleInNeighbors(seeds: seeds, etype: 0, fanout: fanout, maskField: maskField, excluded: ex,
                                                seed: 5, parallel: reversed)
          XCTAssertEqual(one, chunked, "fanout \(fanout) mask \(maskField ?? "-") excluded \(ex.count)")
          XCTAssertGreaterThan(one.eid.count, 0)
          // Exclusions and the mask are honoured.
          XCTAssertTrue(Set(one.eid).isDisjoint(with: ex))
        }
      }
    }
  }
}
