import Collective
import Foundation
import Net
import XCTest

/// Dead, closed and stalled peers, and a wrong secret: named errors within the timeout.
final class FailureTests: XCTestCase {
  /// Rank `victim` closes its links in the middle of a large all-reduce (after the first one
  /// succeeded); every other rank fails within the timeout naming it.
  func testRankClosingItsLinksIsNamedByEveryOtherRank() {
    for links in LinkKind.allCases {
      let w = 4, victim = 2, n = 4_000_000
      let options = CollectiveOptions(timeout: 2, segmentFloats: 1 << 14)
      let body: @Sendable (Communicator) throws -> Double = { c in
        var buf = [Float](repeating: 1, count: n)
        try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: 1000, op: .sum) }
        if c.rank == victim {
          usleep(20_000)
          c.close()
          return 0
        }
        let t0 = Date()
        do {
          try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .sum) }
        } catch let e as CollectiveError {
          XCTAssertEqual(e.peerRank, victim, "rank \(c.rank) (\(links)): \(e)")
          XCTAssertTrue("\(e)".contains("rank \(victim)"), "\(e)")
          return Date().timeIntervalSince(t0)
        }
        XCTFail("rank \(c.rank) finished an all-reduce with a closed rank")
        return -1
      }
      let results = withRing(links, w, options: options, body)
      guard let times = values(results) else { return }
      for (r, t) in times.enumerated() where r != victim {
        XCTAssertGreaterThanOrEqual(t, 0)
        XCTAssertLessThan(t, 3.5, "rank \(r) took \(t) s to fail (\(links))")
      }
    }
  }

  /// A rank that stops taking part (alive, links open, silent): its right neighbour names it
  /// after the timeout, and the others fail soon after.
  func testStalledRankIsNamedAfterTheTimeout() {
    for links in [LinkKind.sharedMemory, .tcp, .group] { stalledRank(links) }
  }

  func stalledRank(_ links: LinkKind) {
    let w = 3, victim = 1
    let release = DispatchSemaphore(value: 0)
    let results = withRing(links, w, options: .init(timeout: 1)) { c -> (Double, CollectiveError?) in
      if c.rank == victim {
        _ = release.wait(timeout: .now() + 5)  // never calls the all-reduce
        return (0, nil)
      }
      var buf = [Float](repeating: 1, count: 100_000)
      let t0 = Date()
      do {
        try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: 100_000, op: .sum) }
      } catch let e as CollectiveError {
        let t = Date().timeIntervalSince(t0)
        if c.rank == (victim + 1) % w || true { release.signal() }
        return (t, e)
      }
      return (-1, nil)
    }
    guard let all = values(results) else { return }
    let right = all[(victim + 1) % w]
    XCTAssertEqual(right.1?.peerRank, victim, "\(links): \(String(describing: right.1))")
    XCTAssertEqual(right.1?.code, .timeout, "\(links)")
    let words = links == .group ? "did not reach the shared-memory barrier" : "sent nothing for"
    XCTAssertTrue(right.1.map { "\($0)".contains(words) } ?? false, "\(String(describing: right.1))")
    if links == .group {
      for r in 0..<w where r != victim { XCTAssertEqual(all[r].1?.peerRank, victim, "group rank \(r)") }
    }
    for r in 0..<w where r != victim {
      XCTAssertNotNil(all[r].1, "\(links) rank \(r)")
      XCTAssertLessThan(all[r].0, 3, "\(links) rank \(r)")
    }
  }

  func testWrongSecretFailsTheHandshake() {
    let good = try! Secret(bytes: Array("collective-test-secret".utf8))
    let bad = try! Secret(bytes: Array("another-job".utf8))
    let results = withTCPRing(3, options: .init(timeout: 1.5), secrets: [good, bad, good]) { _ in 0 }
    // Rank 1 (wrong secret) is refused by rank 2; rank 2 never hears from a valid rank 1.
    guard case .failure(let e1 as CollectiveError) = results[1] else { return XCTFail("\(results[1])") }
    XCTAssertEqual(e1.code, .rendezvous)
    XCTAssertEqual(e1.peerRank, 2)
    XCTAssertTrue("\(e1)".contains("authentication") || "\(e1)".contains("secret"), "\(e1)")
    // Rank 2 refuses rank 1's wrong proof — unless rank 0, failing first on its own link to
    // rank 1, closed its listener and cut rank 2's handshake short: then rank 2 names rank 0 and
    // rank 0 names rank 1. Either way the rank with the wrong secret is named by a neighbour.
    guard case .failure(let e2 as CollectiveError) = results[2] else { return XCTFail("\(results[2])") }
    XCTAssertEqual(e2.code, .rendezvous)
    if e2.peerRank == 1 {
      XCTAssertTrue("\(e2)".contains("wrong proof"), "\(e2)")
    } else {
      XCTAssertEqual(e2.peerRank, 0, "\(e2)")
      guard case .failure(let e0 as CollectiveError) = results[0] else { return XCTFail("\(results[0])") }
      XCTAssertEqual(e0.peerRank, 1, "\(e0)")
    }
  }

  func testMissingPeerFailsTheRendezvousNamingIt() {
    // Rank 1 of 2 never starts: rank 0 gives up within the timeout naming it.
    let listener = try! TCPRing.listen(on: try! Endpoint(parsing: "127.0.0.1:0"))
    let silent = try! TCPRing.listen(on: try! Endpoint(parsing: "127.0.0.1:0"))
    let endpoints = [listener.endpoint, silent.endpoint]
    silent.close()
    let secret = try! Secret(bytes: [1, 2, 3])
    let t0 = Date()
    XCTAssertThrowsError(try TCPRing.connect(rank: 0, endpoints: endpoints, secret: secret,
                                             options: .init(timeout: 0.5), listener: listener)) { e in
      guard let e = e as? CollectiveError else { return XCTFail("\(e)") }
      XCTAssertEqual(e.code, .rendezvous)
      XCTAssertEqual(e.peerRank, 1)
      XCTAssertEqual(e.peer, endpoints[1].description)
    }
    XCTAssertLessThan(Date().timeIntervalSince(t0), 2)
  }
}
