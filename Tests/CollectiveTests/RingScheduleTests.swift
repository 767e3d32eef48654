import XCTest
@testable import Collective

/// The pure schedule, simulated without links: every rank's sends delivered to its right
/// neighbour's receives in order must reproduce the plain sum, and the dependencies must hold.
final class RingScheduleTests: XCTestCase {
  func testChunksCoverTheBufferInBalancedOrder() {
    for w in 1...8 {
      for n in [0, 1, w - 1, w, w + 1, 1000, 1_000_003] {
        let s = RingSchedule(worldSize: w, rank: 0, count: n, segmentFloats: 7)
        var next = 0
        for i in 0..<w {
          let c = s.chunk(i)
          XCTAssertEqual(c.lowerBound, next)
          XCTAssertTrue(c.count == n / w || c.count == n / w + 1)
          next = c.upperBound
        }
        XCTAssertEqual(next, n)
      }
    }
  }

  func testStepChunksFollowGloosRing() {
    // w = 4, rank 1: reduce-scatter sends 1, 0, 3 and receives 0, 3, 2 (owns 2);
    // all-gather sends 2, 1, 0 and receives 1, 0, 3.
    let s = RingSchedule(worldSize: 4, rank: 1, count: 40, segmentFloats: 100)
    XCTAssertEqual(s.stepCount, 6)
    XCTAssertEqual((0..<6).map { s.sendChunk(step: $0) }, [1, 0, 3, 2, 1, 0])
    XCTAssertEqual((0..<6).map { s.receiveChunk(step: $0) }, [0, 3, 2, 1, 0, 3])
    XCTAssertEqual(s.ownedChunk, 2)
    XCTAssertEqual((0..<6).map { s.phase(ofStep: $0) },
                   [.reduceScatter, .reduceScatter, .reduceScatter, .allGather, .allGather, .allGather])
    // One chunk of 10 floats in segments of 4: 4, 4, 2.
    let seg = RingSchedule(worldSize: 4, rank: 1, count: 40, segmentFloats: 4)
    XCTAssertEqual(seg.sendCount, 18)
    XCTAssertEqual((0..<3).map { seg.send($0).range }, [10..<14, 14..<18, 18..<20])
    XCTAssertEqual(seg.send(3), RingSchedule.Message(step: 1, chunk: 0, segment: 0, range: 0..<4))
    XCTAssertEqual(seg.receivesBefore(send: 0), 0)
    XCTAssertEqual(seg.receivesBefore(send: 3), 1)  // forwards receive 0 (step 0, segment 0)
    XCTAssertEqual(seg.receivesBefore(send: 5), 3)
    XCTAssertEqual(seg.receive(2), RingSchedule.Message(step: 0, chunk: 0, segment: 2, range: 8..<10))
  }

  func testOneRankHasNoMessages() {
    let s = RingSchedule(worldSize: 1, rank: 0, count: 10, segmentFloats: 3)
    XCTAssertEqual(s.stepCount, 0)
    XCTAssertEqual(s.sendCount, 0)
    XCTAssertEqual(s.receiveCount, 0)
  }

  func value(_ i: Int, _ r: Int) -> Float { Float((i * 7 + r * 13) % 17) - 8 }

  /// Runs every rank's schedule in lock-step rounds on plain arrays (a send is delivered when its
  /// dependency allows it), the way the driver pipelines it.
  func simulate(w: Int, n: Int, seg: Int) -> [[Float]] {
    var buffers: [[Float]] = (0..<w).map { r in (0..<n).map { i in value(i, r) } }
    let schedules = (0..<w).map { RingSchedule(worldSize: w, rank: $0, count: n, segmentFloats: seg) }
    for r in 0..<w {
      // Message counts line up: what r sends, r+1 receives.
      XCTAssertEqual(schedules[r].sendCount, schedules[(r + 1) % w].receiveCount)
    }
    var sent = [Int](repeating: 0, count: w), received = [Int](repeating: 0, count: w)
    var moved = true
    while moved {
      moved = false
      for r in 0..<w where sent[r] < schedules[r].sendCount {
        let s = schedules[r]
        guard received[r] >= s.receivesBefore(send: sent[r]) else { continue }
        let out = s.send(sent[r])
        let dst = (r + 1) % w
        let inbound = schedules[dst].receive(received[dst])
        XCTAssertEqual(out.range, inbound.range)
        XCTAssertEqual(out.step, inbound.step)
        for i in out.range {
          if schedules[dst].phase(ofStep: inbound.step) == .reduceScatter {
            buffers[dst][i] += buffers[r][i]
          } else {
            buffers[dst][i] = buffers[r][i]
          }
        }
        sent[r] += 1
        received[dst] += 1
        moved = true
      }
    }
    for r in 0..<w {
      XCTAssertEqual(sent[r], schedules[r].sendCount, "rank \(r) stuck")
      XCTAssertEqual(received[r], schedules[r].receiveCount, "rank \(r) stuck")
    }
    return buffers
  }

  func testSimulatedRingEqualsThePlainSum() {
    for w in 1...8 {
      for n in [0, 1, w - 1, w, w + 1, 1000] {
        for seg in [1, 3, 1 << 18] {
          var expected = [Float](repeating: 0, count: n)
          for i in 0..<n { for r in 0..<w { expected[i] += value(i, r) } }
          let result = simulate(w: w, n: n, seg: seg)
          for r in 0..<w { XCTAssertEqual(result[r], expected, "w \(w) n \(n) seg \(seg) rank \(r)") }
        }
      }
    }
  }
}
