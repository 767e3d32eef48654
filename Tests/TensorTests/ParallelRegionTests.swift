import Dispatch
import Foundation
import XCTest
@testable import Tensor

/// `Threads.insideParallel` is per thread: a parallel region open on one thread (the training
/// loop's background sampler) neither makes another thread's kernels run inline nor changes
/// how they split, while every body of a region sees itself inside it (nested work inline).
final class ParallelRegionTests: XCTestCase {
  override func setUp() { Threads.configure(2) }
  override func tearDown() { Threads.configure(nil) }

  /// A deep product (split by depth with two workers: partial sums in slice order).
  func deepProduct() -> [UInt32] {
    let m = 64, n = 48, k = 3000
    let a = randomTensor(m, k, seed: 1), b = randomTensor(k, n, seed: 2)
    var c = [Float](repeating: 0, count: m * n)
    a.storage.withUnsafeBufferPointer { ap in
      b.storage.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress, lda: k,
                     b: bp.baseAddress, ldb: n, beta: 0, c: cp.baseAddress, ldc: n)
        }
      }
    }
    return c.map(\.bitPattern)
  }

  func testRegionOnAnotherThreadChangesNothingHere() {
    let alone = deepProduct()
    // One call (inside a region) rounds differently from the depth split: a product computed
    // while this thread wrongly believed itself inside a region would show.
    var inline = [Float](repeating: 0, count: 64 * 48)
    let a = randomTensor(64, 3000, seed: 1), b = randomTensor(3000, 48, seed: 2)
    Threads.insideParallel = true
    a.storage.withUnsafeBufferPointer { ap in
      b.storage.withUnsafeBufferPointer { bp in
        inline.withUnsafeMutableBufferPointer { cp in
          BLAS.sgemm(transA: false, transB: false, m: 64, n: 48, k: 3000, alpha: 1, a: ap.baseAddress, lda: 3000,
                     b: bp.baseAddress, ldb: 48, beta: 0, c: cp.baseAddress, ldc: 48)
        }
      }
    }
    Threads.insideParallel = false
    XCTAssertGreaterThan(zip(inline.map(\.bitPattern), alone).filter { $0 != $1 }.count, 0,
                         "inline and split products differ (else this test proves nothing)")

    let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
    final class Seen: @unchecked Sendable { var inside: [Bool] = [false, false] }
    let seen = Seen()
    let t = Thread {
      parallelTasks(2) { i in
        seen.inside[i] = Threads.insideParallel
        if i == 0 { entered.signal(); release.wait() }
      }
      finished.signal()
    }
    t.start()
    entered.wait()
    XCTAssertFalse(Threads.insideParallel, "another thread's region is not this thread's")
    let during = deepProduct()
    release.signal()
    finished.wait()
    XCTAssertEqual(zip(during, alone).filter { $0 != $1 }.count, 0, "the same split, the same bits")
    XCTAssertEqual(seen.inside, [true, true], "every body of a region runs inside it")
    XCTAssertFalse(Threads.insideParallel)
  }
}
