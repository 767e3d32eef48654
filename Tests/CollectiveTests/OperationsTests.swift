import Collective
import Net
import XCTest

/// Broadcast from every root, all-gather, barrier, over shared-memory and TCP links and in
/// memory; argument checks.
final class OperationsTests: XCTestCase {
  func testBroadcastFromEveryRootOverSharedMemory() { broadcastFromEveryRoot(.sharedMemory, worldSizes: [1, 2, 3, 5, 8]) }

  func testBroadcastFromEveryRootOverTCP() { broadcastFromEveryRoot(.tcp, worldSizes: [2, 3, 5]) }

  func broadcastFromEveryRoot(_ links: LinkKind, worldSizes: [Int]) {
    for w in worldSizes {
      let counts = [0, 1, w - 1, w + 1, 1000]
      let results = withRing(links, w, options: .init(timeout: 20, segmentFloats: 64)) { c -> [String] in
        var problems: [String] = []
        for root in 0..<w {
          for n in counts {
            var buf = (0..<n).map { testValue($0, c.rank) }
            try buf.withUnsafeMutableBufferPointer {
              try c.broadcast($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 4)!, count: n, root: root)
            }
            if let i = (0..<n).first(where: { buf[$0] != testValue($0, root) }) {
              problems.append("root \(root) n \(n): [\(i)] = \(buf[i])")
            }
          }
        }
        return problems
      }
      guard let all = values(results) else { return }
      for (r, p) in all.enumerated() { XCTAssertEqual(p, [], "\(links) w \(w) rank \(r)") }
    }
  }

  func testBroadcastWithSegmentsOfOne() {
    for links in LinkKind.allCases {
      let w = 4, n = 333
      let results = withRing(links, w, options: .init(timeout: 10, segmentFloats: 1)) { c -> [Float] in
        var buf = (0..<n).map { testValue($0, c.rank) }
        try buf.withUnsafeMutableBufferPointer { try c.broadcast($0.baseAddress!, count: n, root: 2) }
        return buf
      }
      guard let all = values(results) else { return }
      for r in 0..<w { XCTAssertEqual(all[r], (0..<n).map { testValue($0, 2) }, "\(links) rank \(r)") }
    }
  }

  func testAllGatherGivesEveryRanksArrayInRankOrder() {
    for w in [1, 2, 3, 8] {
      for links in LinkKind.allCases {
        let body: @Sendable (Communicator) throws -> ([[Double]], [[Double]]) = { c in
          let d = Double(c.rank)
          let mine: [Double] = [d, d * 0.5 + 1e-9, -(d * d)]
          return (try c.allGather(mine), try c.allGather([]))
        }
        let results = withRing(links, w, body)
        guard let all = values(results) else { return }
        var expected: [[Double]] = []
        for r in 0..<w {
          let d = Double(r)
          expected.append([d, d * 0.5 + 1e-9, -(d * d)])
        }
        for r in 0..<w {
          XCTAssertEqual(all[r].0, expected, "w \(w) \(links) rank \(r)")
          XCTAssertEqual(all[r].1, Array(repeating: [], count: w))
        }
      }
    }
  }

  /// No rank leaves a barrier before the last one has entered it.
  func testBarrierWaitsForTheLastRank() {
    for w in [1, 2, 5] {
      for links in LinkKind.allCases {
        let entered = Shared(Counter())
        let body: @Sendable (Communicator) throws -> Int = { c in
          for round in 0..<3 {
            if c.rank == round % c.worldSize { usleep(50_000) }  // a late rank each round
            entered.value.add()
            try c.barrier()
            let seen = entered.value.value
            if seen < (round + 1) * c.worldSize { return seen }
          }
          return -1
        }
        let results = withRing(links, w, body)
        guard let all = values(results) else { return }
        XCTAssertEqual(all, Array(repeating: -1, count: w), "w \(w) \(links)")
      }
    }
  }

  func testMismatchedCountsAndOrderAreNamedErrors() {
    // Rank 1 passes 11 floats where the others pass 10: whichever neighbour sees it first names
    // the other side of that link, and every rank fails with that error.
    for links in [LinkKind.memory, .sharedMemory, .group] {
      let results = withRing(links, 3, options: .init(timeout: 5)) { c -> Void in
        var buf = [Float](repeating: 1, count: 11)
        try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: c.rank == 1 ? 11 : 10, op: .sum) }
      }
      for (r, res) in results.enumerated() {
        guard case .failure(let e as CollectiveError) = res else { XCTFail("rank \(r) did not fail: \(res)"); continue }
        XCTAssertTrue(e.peerRank == 0 || e.peerRank == 1 || e.peerRank == 2, "rank \(r): \(e)")
        XCTAssertEqual(e.code, .badArgument, "rank \(r): \(e)")
        XCTAssertTrue("\(e)".contains("10 floats") && "\(e)".contains("11 floats"), "\(e)")
      }
    }
    // Rank 0 calls barrier where the others call allGather.
    let order = withMemoryGroup(3, options: .init(timeout: 5)) { c -> Void in
      if c.rank == 0 { try c.barrier() } else { _ = try c.allGather([1]) }
    }
    for (r, res) in order.enumerated() {
      guard case .failure(let e as CollectiveError) = res else { XCTFail("rank \(r) did not fail"); continue }
      XCTAssertNotNil(e.peerRank, "\(e)")
      XCTAssertTrue("\(e)".contains("barrier") || "\(e)".contains("allGather"), "\(e)")
    }
  }

  func testBadArgumentsAreRefusedBeforeAnyIO() {
    let results = withMemoryGroup(2) { c -> [CollectiveError.Code?] in
      var x: Float = 0
      var codes: [CollectiveError.Code?] = []
      do { try c.allReduce(&x, count: -1, op: .sum) } catch let e as CollectiveError { codes.append(e.code) }
      do { try c.broadcast(&x, count: 1, root: 2) } catch let e as CollectiveError { codes.append(e.code) }
      try c.barrier()  // still usable
      return codes
    }
    guard let all = values(results) else { return }
    for codes in all { XCTAssertEqual(codes, [.badArgument, .badArgument]) }
  }
}

final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var n = 0
  func add() { lock.lock(); n += 1; lock.unlock() }
  var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
