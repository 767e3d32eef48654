import Collective
import Foundation
import Net
import XCTest

/// Ring all-reduce against the plain sum: world sizes 1…8 × element counts {0, 1, w−1, w, w+1,
/// 1000, 1 000 003}, each rank its own `TCPRing` on its own thread on 127.0.0.1 — over
/// shared-memory links (the default there) and over TCP links — and in memory.
final class AllReduceTests: XCTestCase {
  /// Every count in one ring per world size (one rendezvous each); checks every element of
  /// every count on every rank.
  func runMatrix(_ w: Int, counts: [Int], segmentFloats: Int, links: LinkKind, ringBytes: Int = 4 << 20,
                 slotFloats: Int = 1 << 17) {
    let options = CollectiveOptions(timeout: 20, segmentFloats: segmentFloats, sharedMemoryRingBytes: ringBytes,
                                    groupSlotFloats: slotFloats)
    let results = withRing(links, w, options: options) { c -> [String] in
      var problems: [String] = []
      XCTAssertEqual(c.worldSize, w)
      for n in counts {
        var buf = testValues(n, rank: c.rank)
        let t0 = Date()
        try buf.withUnsafeMutableBufferPointer { p in
          try c.allReduce(p.baseAddress ?? UnsafeMutablePointer(bitPattern: 4)!, count: n, op: .sum)
        }
        if n > 100_000 && c.rank == 0 {
          print("\(links) w \(w) n \(n) segment \(segmentFloats): \(Date().timeIntervalSince(t0)) s")
        }
        if let i = firstMismatch(buf, worldSize: w) {
          problems.append("n \(n) [\(i)] = \(buf[i]), expected \(expectedSum(i, w))")
        }
      }
      return problems
    }
    guard let all = values(results) else { return }
    for (r, p) in all.enumerated() { XCTAssertEqual(p, [], "\(links) w \(w) seg \(segmentFloats) rank \(r)") }
  }

  func testSmallCountsEveryWorldSizeOverSharedMemory() {
    for w in 1...8 {
      runMatrix(w, counts: [0, 1, max(w - 1, 0), w, w + 1, 1000], segmentFloats: 1 << 18, links: .sharedMemory)
    }
  }

  /// The shared-memory group path (`ShmGroup`): default slots, and slots of 7 and 1 floats
  /// (pieces end inside and at the SIMD column slices; every rank's slice empty for small pieces).
  func testEveryWorldSizeAndCountOnTheGroupPath() {
    for w in 1...8 {
      let counts = [0, 1, max(w - 1, 0), w, w + 1, 1000, 1_000_003]
      runMatrix(w, counts: counts, segmentFloats: 1 << 18, links: .group)
      runMatrix(w, counts: counts.dropLast() + [20_003], segmentFloats: 1 << 18, links: .group, slotFloats: 7)
      runMatrix(w, counts: [0, 1, w, w + 1, 37], segmentFloats: 1 << 18, links: .group, slotFloats: 1)
      runMatrix(w, counts: [100_003], segmentFloats: 1 << 18, links: .group, slotFloats: 1 << 14)
    }
  }

  func testSmallCountsEveryWorldSizeOverTCP() {
    for w in 1...8 {
      runMatrix(w, counts: [0, 1, max(w - 1, 0), w, w + 1, 1000], segmentFloats: 1 << 18, links: .tcp)
    }
  }

  func testSegmentsOfOneFloatOverSharedMemory() {
    for w in 1...8 {
      runMatrix(w, counts: [0, 1, max(w - 1, 0), w, w + 1, 1000], segmentFloats: 1, links: .sharedMemory)
    }
  }

  func testSegmentsOfOneFloatOverTCP() {
    for w in [2, 3, 5, 8] {
      runMatrix(w, counts: [0, 1, max(w - 1, 0), w, w + 1, 1000], segmentFloats: 1, links: .tcp)
    }
  }

  func testMillionFloatsEveryWorldSizeOverSharedMemory() {
    // 1 000 003 floats (not divisible by any w > 1 here), default segments: once per world size.
    for w in 1...8 {
      runMatrix(w, counts: [1_000_003], segmentFloats: 1 << 18, links: .sharedMemory)
    }
  }

  func testMillionFloatsOverTCP() {
    for w in [2, 3, 4, 7] {
      runMatrix(w, counts: [1_000_003], segmentFloats: 1 << 18, links: .tcp)
    }
  }

  /// The smallest shared-memory ring (4 KiB) with 7-float segments: headers and payloads split
  /// at the ring's end, the writer blocked on a full ring at every message.
  func testTinySharedMemoryRingWithOddSegments() {
    for w in [2, 3, 5] {
      runMatrix(w, counts: [0, 1, w - 1, w + 1, 1000, 20_003], segmentFloats: 7, links: .sharedMemory,
                ringBytes: 4096)
    }
    runMatrix(4, counts: [300_001], segmentFloats: 1 << 18, links: .sharedMemory, ringBytes: 4096)
  }

  /// Segments far larger than what the links buffer (32 MiB messages over TCP, whose buffers
  /// hold a few MiB; 4 MiB over 64 KiB shared-memory rings; 1 MiB over 256 KiB in-memory pipes)
  /// while both neighbours send at once: a rank that blocked in send before receiving would
  /// deadlock here.
  func testSegmentsLargerThanTheLinkBuffersDoNotDeadlock() {
    runMatrix(2, counts: [16 << 20], segmentFloats: 8 << 20, links: .tcp)
    runMatrix(3, counts: [3 << 20], segmentFloats: 1 << 20, links: .tcp)
    runMatrix(2, counts: [4 << 20], segmentFloats: 1 << 20, links: .sharedMemory, ringBytes: 64 << 10)
    runMatrix(3, counts: [3 << 20], segmentFloats: 1 << 20, links: .sharedMemory, ringBytes: 64 << 10)
    runMatrix(2, counts: [1 << 20], segmentFloats: 1 << 18, links: .memory)
    runMatrix(4, counts: [1 << 20], segmentFloats: 1 << 18, links: .memory)
  }

  func testOddSegmentSizeInMemory() {
    for w in [2, 3, 5, 8] {
      runMatrix(w, counts: [0, 1, w - 1, w, w + 1, 1000, 20_003], segmentFloats: 7, links: .memory)
    }
  }

  func testMeanIsTheSumDividedByTheWorldSizeAndIdenticalOnEveryRank() {
    for links in [LinkKind.sharedMemory, .tcp, .group] {
      for w in [1, 3, 4] {
        let n = 10_001
        let results = withRing(links, w, options: .init(timeout: 20, segmentFloats: 1000)) { c -> [Float] in
          var buf = testValues(n, rank: c.rank)
          try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .mean) }
          return buf
        }
        guard let all = values(results) else { return }
        for r in 0..<w {
          XCTAssertNil(firstMismatch(all[r], worldSize: w, divideBy: Float(w)), "\(links) w \(w) rank \(r)")
          XCTAssertEqual(all[r], all[0], "\(links): rank \(r) differs from rank 0")
        }
      }
    }
  }
}
