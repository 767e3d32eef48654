import Collective
import Net
import XCTest

/// Ring all-reduce against the plain sum: world sizes 1…8 × element counts {0, 1, w−1, w, w+1,
/// 1000, 1 000 003} over TCP on 127.0.0.1, each rank its own `TCPRing` on its own thread.
final class AllReduceTests: XCTestCase {
  /// Every count in one ring per world size (one rendezvous each); returns per rank whether
  /// every element of every count matched.
  func runMatrix(_ w: Int, counts: [Int], segmentFloats: Int, memory: Bool = false) {
    let options = CollectiveOptions(timeout: 20, segmentFloats: segmentFloats)
    let body: @Sendable (Communicator) throws -> [String] = { c in
      var problems: [String] = []
      XCTAssertEqual(c.worldSize, w)
      for n in counts {
        var buf = (0..<n).map { testValue($0, c.rank) }
        try buf.withUnsafeMutableBufferPointer { p in
          try c.allReduce(p.baseAddress ?? UnsafeMutablePointer(bitPattern: 4)!, count: n, op: .sum)
        }
        for i in 0..<n where buf[i] != expectedSum(i, w) {
          problems.append("n \(n) [\(i)] = \(buf[i]), expected \(expectedSum(i, w))")
          break
        }
      }
      return problems
    }
    let results = memory ? withMemoryGroup(w, options: options, body) : withTCPRing(w, options: options, body)
    guard let all = values(results) else { return }
    for (r, p) in all.enumerated() { XCTAssertEqual(p, [], "w \(w) seg \(segmentFloats) rank \(r)") }
  }

  func testSmallCountsEveryWorldSizeOverTCP() {
    for w in 1...8 {
      runMatrix(w, counts: [0, 1, max(w - 1, 0), w, w + 1, 1000], segmentFloats: 1 << 18)
    }
  }

  func testSegmentsOfOneFloatOverTCP() {
    for w in 1...8 {
      runMatrix(w, counts: [0, 1, max(w - 1, 0), w, w + 1, 1000], segmentFloats: 1)
    }
  }

  func testMillionFloatsEveryWorldSizeOverTCP() {
    // 1 000 003 floats (not divisible by any w > 1 here), default segments: once per world size.
    for w in 1...8 {
      runMatrix(w, counts: [1_000_003], segmentFloats: 1 << 18)
    }
  }

  func testOddSegmentSizeInMemory() {
    for w in [2, 3, 5, 8] {
      runMatrix(w, counts: [0, 1, w - 1, w, w + 1, 1000, 100_003], segmentFloats: 7, memory: true)
    }
  }

  func testMeanIsTheSumDividedByTheWorldSizeAndIdenticalOnEveryRank() {
    for w in [1, 3, 4] {
      let n = 10_001
      let results = withTCPRing(w, options: .init(timeout: 20, segmentFloats: 1000)) { c -> [Float] in
        var buf = (0..<n).map { testValue($0, c.rank) }
        try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .mean) }
        return buf
      }
      guard let all = values(results) else { return }
      let expected = (0..<n).map { expectedSum($0, w) / Float(w) }
      for r in 0..<w { XCTAssertEqual(all[r], expected, "w \(w) rank \(r)") }
    }
  }
}
