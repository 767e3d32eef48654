import XCTest
@testable import Tensor

final class BLASTests: XCTestCase {
  /// Every transpose combination against a naive triple loop, with leading dimensions equal to
  /// the stored row lengths, alpha/beta ≠ trivial.
  func testSgemmAgainstNaiveLoop() {
    for (m, n, k) in [(7, 5, 3), (1, 1, 1), (16, 9, 33), (2, 3, 0)] {
      for transA in [false, true] {
        for transB in [false, true] {
          let a = randomTensor(transA ? k : m, transA ? m : k, seed: 1)
          let b = randomTensor(transB ? n : k, transB ? k : n, seed: 2)
          var c = randomTensor(m, n, seed: 3)
          let c0 = c.storage.map(Double.init)
          let ref = refMatmul(a.storage.map(Double.init), b.storage.map(Double.init),
                              m: m, k: k, n: n, transA: transA, transB: transB)
          c.storage.withUnsafeMutableBufferPointer { cp in
            BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                       a: a.storage, lda: transA ? m : k, b: b.storage, ldb: transB ? k : n,
                       beta: 2, c: cp.baseAddress, ldc: n)
          }
          for i in 0..<(m * n) {
            XCTAssertEqual(Double(c.storage[i]), 0.5 * ref[i] + 2 * c0[i], accuracy: 1e-4,
                           "m\(m) n\(n) k\(k) tA\(transA) tB\(transB) [\(i)]")
          }
        }
      }
    }
  }
}

final class DeterminismTests: XCTestCase {
  func testSameSeedSameStreams() {
    var a = Generator(seed: 42), b = Generator(seed: 42), c = Generator(seed: 43)
    let xa = (0..<100).map { _ in a.next() }, xb = (0..<100).map { _ in b.next() }
    XCTAssertEqual(xa, xb)
    XCTAssertNotEqual(xa, (0..<100).map { _ in c.next() })
  }

  func testDeriveSeedSeparatesCoordinates() {
    let s = deriveSeed(base: 7, rank: 1, epoch: 2, task: 3, step: 4)
    XCTAssertEqual(s, deriveSeed(base: 7, rank: 1, epoch: 2, task: 3, step: 4))
    var seen: Set<UInt64> = [s]
    for v in [deriveSeed(base: 7, rank: 2, epoch: 1, task: 3, step: 4),
              deriveSeed(base: 7, rank: 1, epoch: 2, task: 4, step: 3),
              deriveSeed(base: 8, rank: 1, epoch: 2, task: 3, step: 4),
              deriveSeed(base: 7)] {
      XCTAssertTrue(seen.insert(v).inserted)
    }
  }

  func testDropoutMasksBitIdenticalAcrossThreadCounts() {
    let x = Tensor(rows: 300, cols: 100, repeating: 1)
    func mask(threads: Int, seed: UInt64) -> [Float] {
      Threads.configure(threads)
      let t = Tape()
      return t.tensor(t.dropout(t.constant(x), p: 0.3, seed: seed)).storage
    }
    let one = mask(threads: 1, seed: 5)
    XCTAssertEqual(one, mask(threads: 2, seed: 5))
    XCTAssertEqual(one, mask(threads: 1, seed: 5))
    XCTAssertNotEqual(one, mask(threads: 1, seed: 6))
    Threads.configure(nil)
    let dropped = one.filter { $0 == 0 }.count
    XCTAssertEqual(Double(dropped) / Double(one.count), 0.3, accuracy: 0.02)
  }

  func testInitialisationsAreBitIdentical() {
    func xavier(_ seed: UInt64) -> [Float] {
      var g = Generator(seed: seed)
      var w = [Float](repeating: 0, count: 64 * 32)
      w.withUnsafeMutableBufferPointer { Init.xavierUniform($0.baseAddress!, count: $0.count, fanIn: 64, fanOut: 32, generator: &g) }
      return w
    }
    XCTAssertEqual(xavier(1), xavier(1))
    XCTAssertNotEqual(xavier(1), xavier(2))
    let bound = (6.0 / 96.0).squareRoot()
    XCTAssertTrue(xavier(1).allSatisfy { abs(Double($0)) <= bound })
  }

  func testNextIntIsUniformAndInRange() {
    var g = Generator(seed: 3)
    var counts = [Int](repeating: 0, count: 7)
    for _ in 0..<70000 { counts[g.nextInt(below: 7)] += 1 }
    for c in counts { XCTAssertEqual(Double(c), 10000, accuracy: 400) }
  }
}

final class ArenaAndWorkspaceTests: XCTestCase {
  func testArenaViewsShareTwoBuffers() {
    let arena = ParameterArena()
    let a = arena.register("enc.w", rows: 3, cols: 5)
    let b = arena.register("enc.b", rows: 1, cols: 5)
    arena.seal()
    XCTAssertEqual(a.offset, 0)
    XCTAssertEqual(b.offset, 16)
    XCTAssertEqual(arena.count, 21)
    XCTAssertEqual(arena.view(named: "enc.b"), b)
    arena.set(b, Tensor(rows: 1, cols: 5, storage: [1, 2, 3, 4, 5]))
    XCTAssertEqual(arena.values[18], 3)
    // A tape op on parameters accumulates straight into the arena's gradient buffer.
    let t = Tape()
    let x = t.constant(Tensor(rows: 2, cols: 3, repeating: 1))
    let y = t.linear(x, t.parameter(a, in: arena), bias: t.parameter(b, in: arena))
    t.backward(from: t.sumSquares(y))
    XCTAssertEqual(arena.gradientTensor(b).storage, [4, 8, 12, 16, 20])  // 2 rows × 2·y, W = 0
    t.reset()
    t.backward(from: t.sumSquares(t.parameter(b, in: arena)))
    XCTAssertEqual(arena.gradientTensor(b).storage, [6, 12, 18, 24, 30])  // accumulates
    arena.zeroGradients()
    XCTAssertEqual(arena.gradientTensor(b).storage, [0, 0, 0, 0, 0])
  }

  func testWorkspaceReusesOneBlockAfterGrowth() {
    let ws = Workspace(initialCapacity: 1024)
    _ = ws.allocate(1000)
    _ = ws.allocate(5000)
    XCTAssertGreaterThanOrEqual(ws.highWater, 6000)
    ws.reset()
    let q = ws.allocate(6000)
    _ = ws.allocate(10)
    ws.reset()
    XCTAssertEqual(ws.allocate(6000), q)  // steady state: the same block every step
  }
}
