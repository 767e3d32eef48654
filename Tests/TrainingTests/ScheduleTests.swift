import XCTest
@testable import Training

final class ScheduleTests: XCTestCase {
  /// An epoch is the largest task's batch count (all of it); shorter tasks cycle.
  func testEpochLengthAndCycling() {
    let s = Schedule(batchesPerPass: [5, 2, 1], batchSize: [4, 4, 4])
    XCTAssertEqual(s.stepsPerEpoch, 5)
    XCTAssertEqual((0..<5).map { s.position(task: 1, step: $0).batch }, [0, 1, 0, 1, 0])
    XCTAssertEqual((0..<5).map { s.position(task: 1, step: $0).pass }, [0, 0, 1, 1, 2])
    XCTAssertEqual((0..<5).map { s.position(task: 2, step: $0).pass }, [0, 1, 2, 3, 4])
  }

  /// Each pass is a permutation of the items; a new pass (and a new epoch) reshuffles;
  /// the same coordinates give the same batches.
  func testPassesAreFreshShufflesCoveringTheItems() {
    let s = Schedule(batchesPerPass: [3, 2], batchSize: [4, 5])
    let count = 10  // task 1: 2 batches of 5
    let pass0 = (0..<2).flatMap { Array(s.batch(task: 1, epoch: 0, step: $0, count: count, seed: 7, rank: 0)) }
    let pass1 = (2..<4).flatMap { Array(s.batch(task: 1, epoch: 0, step: $0, count: count, seed: 7, rank: 0)) }
    XCTAssertEqual(pass0.sorted(), Array(0..<10))
    XCTAssertEqual(pass1.sorted(), Array(0..<10))
    XCTAssertNotEqual(pass0, pass1)
    let nextEpoch = (0..<2).flatMap { Array(s.batch(task: 1, epoch: 1, step: $0, count: count, seed: 7, rank: 0)) }
    XCTAssertNotEqual(pass0, nextEpoch)
    XCTAssertEqual(pass0, (0..<2).flatMap { Array(s.batch(task: 1, epoch: 0, step: $0, count: count, seed: 7, rank: 0)) })
    // Task 0: 10 items, 3 batches of 4: the last batch is short (drop_last = false).
    XCTAssertEqual((0..<3).map { s.batch(task: 0, epoch: 0, step: $0, count: count, seed: 7, rank: 0).count }, [4, 4, 2])
  }

  /// Ranks split items by owning partition and all run the same number of batches, for sizes
  /// that do not divide.
  func testEqualBatchCountsAcrossRanks() {
    for (n, P, W, B) in [(103, 2, 3, 10), (57, 3, 2, 8), (1000, 4, 4, 64), (31, 1, 4, 3), (10, 2, 4, 4), (5, 3, 7, 2)] {
      var owners: [Int] = []
      for i in 0..<n { owners.append(i * P / n) }  // partition-major like global ids
      let split = RankSplit.split(owners: owners, numParts: P, worldSize: W, batchSize: B)
      XCTAssertEqual(split.flatMap { $0 }.sorted(), Array(0..<n), "every item on exactly one rank")
      let nb = RankSplit.batchesPerPass(counts: split.map(\.count), batchSize: B)
      let perRank = split.map { items -> Int in
        let s = Schedule(batchesPerPass: [nb], batchSize: [B])
        return (0..<s.stepsPerEpoch).filter { !s.batch(task: 0, epoch: 0, step: $0, count: items.count, seed: 1, rank: 0).isEmpty }.count
      }
      XCTAssertEqual(Set(perRank).count, 1, "n=\(n) P=\(P) W=\(W) B=\(B): batches per rank \(perRank)")
      if n >= W { XCTAssertGreaterThan(nb, 0) }
    }
    // Ownership: with W a multiple of P, rank r reads only partition r mod P.
    let owners = (0..<40).map { $0 / 20 }
    let split = RankSplit.byOwnership(owners: owners, numParts: 2, worldSize: 4)
    for r in 0..<4 { XCTAssertTrue(split[r].allSatisfy { owners[$0] == r % 2 }) }
  }
}
