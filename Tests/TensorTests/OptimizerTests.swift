import XCTest
@testable import Tensor

final class OptimizerTests: XCTestCase {
  /// Three Adam steps on a 3-parameter problem, values computed by hand (PyTorch's algorithm
  /// in double precision: g += wd·p; m, v updates; p −= lr/bc1 · m / (√v/√bc2 + eps)).
  func testAdamFirstThreeSteps() {
    let arena = ParameterArena()
    let w = arena.register("w", rows: 1, cols: 3)
    arena.seal()
    arena.set(w, Tensor(rows: 1, cols: 3, storage: [1, -2, 0.5]))
    let adam = Adam(arena: arena, lr: 0.1, weightDecay: 0.01)
    let grads: [[Float]] = [[0.1, -0.2, 0.3], [0.05, 0.1, -0.3], [-0.2, 0, 0.6]]
    let expected: [[Float]] = [
      [0.9000000, -1.9000000, 0.4000000],
      [0.8057718, -1.8628463, 0.4037653],
      [0.8196539, -1.8291519, 0.3531818],
    ]
    for (g, e) in zip(grads, expected) {
      arena.zeroGradients()
      for j in 0..<3 { arena.gradient(w)[j] = g[j] }
      adam.step(arena)
      let p = arena.tensor(w).storage
      for j in 0..<3 { XCTAssertEqual(p[j], e[j], accuracy: 2e-6) }
    }
    XCTAssertEqual(adam.stepCount, 3)
  }

  func testAdamLeavesAlignmentPaddingAtZero() {
    let arena = ParameterArena()
    let a = arena.register("a", rows: 1, cols: 3)
    let b = arena.register("b", rows: 2, cols: 2)
    arena.seal()
    XCTAssertEqual(b.offset, 16)
    for j in 0..<arena.count { arena.gradients[j] = 1 }
    let adam = Adam(arena: arena, lr: 0.1, weightDecay: 0.1)
    adam.step(arena)
    XCTAssertEqual(arena.tensor(a).storage, [-0.1, -0.1, -0.1])
  }

  /// Sparse Adam: rows pushed twice in one call are summed first; untouched rows keep no state;
  /// each row's bias correction uses its own step count.
  func testSparseAdamPerRowSteps() {
    var table: [Float] = [0, 0, 1, 1, 2, 2, 3, 3]  // 4 rows × 2
    let opt = SparseAdam(numRows: 4, dim: 2, lr: 0.1)
    let g1: [Float] = [1, 2, 3, -4, -0.5, 0.5]
    table.withUnsafeMutableBufferPointer { t in
      opt.step(table: t.baseAddress!, rows: [2, 0, 2], grads: g1)
    }
    // Row 2 gradient = [0.5, 2.5] → moves −lr·sign; row 0 gradient [3, −4] likewise.
    XCTAssertEqual(table[0], -0.1, accuracy: 1e-6)
    XCTAssertEqual(table[1], 0.1, accuracy: 1e-6)
    XCTAssertEqual(table[4], 1.9, accuracy: 1e-6)
    XCTAssertEqual(table[5], 1.9, accuracy: 1e-6)
    XCTAssertEqual(table[2], 1); XCTAssertEqual(table[6], 3)
    XCTAssertEqual(opt.touchedRows, 2)
    XCTAssertEqual(opt.slotOf, [0, -1, 1, -1])  // slots in row order
    // Second call touches row 0 again (its step 2) and row 3 for the first time (its step 1).
    table.withUnsafeMutableBufferPointer { t in
      opt.step(table: t.baseAddress!, rows: [3, 0], grads: [1, 1, 3, -4])
    }
    XCTAssertEqual(table[6], 2.9, accuracy: 1e-6)  // first step of row 3: −lr·sign
    XCTAssertEqual(table[0], -0.2, accuracy: 1e-6) // same gradient again: m̂ = g, v̂ = g²
    XCTAssertEqual(opt.steps, [2, 1, 1])
  }

  func testSGDWithMomentumMatchesPyTorchRecurrence() {
    var p: [Float] = [1, 2]
    let sgd = SGD(count: 2, lr: 0.1, momentum: 0.9)
    let g: [Float] = [1, -1]
    p.withUnsafeMutableBufferPointer { sgd.step(params: $0.baseAddress!, grads: g, count: 2) }
    XCTAssertEqual(p[0], 0.9, accuracy: 1e-6)   // buf = g
    p.withUnsafeMutableBufferPointer { sgd.step(params: $0.baseAddress!, grads: g, count: 2) }
    XCTAssertEqual(p[0], 0.71, accuracy: 1e-6)  // buf = 0.9·1 + 1 = 1.9
    XCTAssertEqual(p[1], 2.29, accuracy: 1e-6)
  }

  func testClipGradientNorm() {
    var g: [Float] = [3, 4]
    let n = g.withUnsafeMutableBufferPointer { clipGradientNorm($0.baseAddress!, count: 2, maxNorm: 1) }
    XCTAssertEqual(n, 5)
    XCTAssertEqual(g[0], 0.6, accuracy: 1e-6)
    XCTAssertEqual(g[1], 0.8, accuracy: 1e-6)
    var small: [Float] = [0.3, 0.4]
    _ = small.withUnsafeMutableBufferPointer { clipGradientNorm($0.baseAddress!, count: 2, maxNorm: 1) }
    XCTAssertEqual(small, [0.3, 0.4])
  }
}
