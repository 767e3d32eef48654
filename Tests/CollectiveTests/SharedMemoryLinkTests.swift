import Collective
import Foundation
import Net
import XCTest

/// Shared-memory links specifically: that a ring on one host really uses them, that their
/// objects leave /dev/shm at the rendezvous and the mappings go at close, and that ranks
/// disagreeing on `sharedMemory` fail the rendezvous naming each other.
/// Mappings of Gust ring segments in this process (/proc/self/maps lines).
func ringMappings() -> [String] {
  // Read to the end (proc files report size 0; a sized read could stop early).
  let data = FileHandle(forReadingAtPath: "/proc/self/maps").map { h in
    defer { try? h.close() }
    return h.readDataToEndOfFile()
  } ?? Data()
  let maps = String(decoding: data, as: UTF8.self)
  return maps.split(separator: "\n").map(String.init).filter { $0.contains("/gust-ring-") }
}

final class SharedMemoryLinkTests: XCTestCase {
  func testRingOnOneHostMapsUnlinkedSegmentsAndReleasesThemAtClose() {
    XCTAssertEqual(ringMappings(), [])
    let w = 3
    let results = withRing(.sharedMemory, w) { c -> ([String], [String], Bool) in
      var buf = testValues(100_003, rank: c.rank)
      try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: 100_003, op: .sum) }
      try c.barrier()  // every rank connected and reduced before anyone looks
      let seen = (ringObjects(), ringMappings())
      try c.barrier()  // nobody closes before everyone looked
      return (seen.0, seen.1, firstMismatch(buf, worldSize: w) == nil)
    }
    guard let all = values(results) else { return }
    for (r, (objects, mappings, right)) in all.enumerated() {
      XCTAssertTrue(right, "rank \(r)")
      XCTAssertEqual(objects, [], "rank \(r): ring objects left in /dev/shm after the rendezvous")
      // Each rank maps its own segment, its left neighbour's and its right neighbour's first page.
      XCTAssertEqual(mappings.count, 3 * w, "rank \(r): \(mappings)")
      XCTAssertTrue(mappings.allSatisfy { $0.hasSuffix("(deleted)") }, "\(mappings)")
    }
    XCTAssertEqual(ringMappings(), [], "mappings left after close")
    XCTAssertEqual(ringObjects(), [])
  }

  /// The group path: one more mapping per rank (rank 0's group segment), its name unlinked once
  /// every rank mapped it, everything released at close; results identical on every rank.
  func testGroupSegmentIsUnlinkedAfterTheRendezvousAndReleasedAtClose() {
    XCTAssertEqual(ringMappings(), [])
    let w = 4, n = 1_000_003
    let results = withRing(.group, w) { c -> ([String], [String], [Float]) in
      var buf = testValues(n, rank: c.rank)
      try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .mean) }
      try c.barrier()
      let seen = (ringObjects(), ringMappings())
      try c.barrier()
      return (seen.0, seen.1, buf)
    }
    guard let all = values(results) else { return }
    for (r, (objects, mappings, buf)) in all.enumerated() {
      XCTAssertEqual(objects, [], "rank \(r): objects left in /dev/shm after the rendezvous")
      XCTAssertEqual(mappings.count, 4 * w, "rank \(r): \(mappings)")
      XCTAssertEqual(mappings.filter { $0.contains("-group-") }.count, w, "rank \(r)")
      XCTAssertTrue(mappings.allSatisfy { $0.hasSuffix("(deleted)") }, "\(mappings)")
      XCTAssertNil(firstMismatch(buf, worldSize: w, divideBy: Float(w)), "rank \(r)")
      XCTAssertTrue(buf == all[0].2, "rank \(r) differs from rank 0")
    }
    XCTAssertEqual(ringMappings(), [], "mappings left after close")
    XCTAssertEqual(ringObjects(), [])
  }

  func testTCPLinksMapNothing() {
    let results = withRing(.tcp, 2) { c -> Int in
      try c.barrier()
      let n = ringMappings().count
      try c.barrier()
      return n
    }
    XCTAssertEqual(values(results), [0, 0])
  }

  /// Rank 1 turns shared memory off, ranks 0 and 2 keep it: every rank fails the rendezvous
  /// naming a neighbour it disagrees with, and the segments ranks 0 and 2 created are gone.
  func testRanksDisagreeingOnSharedMemoryFailTheRendezvousNamingEachOther() {
    let w = 3
    let listeners = (0..<w).map { _ in try! TCPRing.listen(on: try! Endpoint(parsing: "127.0.0.1:0")) }
    let endpoints = listeners.map(\.endpoint)
    let shared = Shared(listeners)
    let secret = try! Secret(bytes: Array("collective-test-secret".utf8))
    let results = onThreads(w) { r -> Void in
      let c = try TCPRing.connect(rank: r, endpoints: endpoints, secret: secret,
                                  options: .init(timeout: 5, sharedMemory: r != 1), listener: shared.value[r])
      c.close()
    }
    let expected = [1, 0, 1]  // each rank's neighbour that answers differently (rank 1 hears rank 0 first)
    for (r, res) in results.enumerated() {
      guard case .failure(let e as CollectiveError) = res else { XCTFail("rank \(r): \(res)"); continue }
      XCTAssertEqual(e.code, .rendezvous, "rank \(r): \(e)")
      XCTAssertEqual(e.peerRank, expected[r], "rank \(r): \(e)")
      XCTAssertEqual(e.peer, endpoints[expected[r]].description, "rank \(r): \(e)")
      XCTAssertTrue("\(e)".contains("sharedMemory must be the same on every rank"), "\(e)")
    }
    XCTAssertEqual(ringObjects(), [], "segments left in /dev/shm after a failed rendezvous")
    XCTAssertEqual(ringMappings(), [])
  }
}
