import XCTest
@testable import Tensor

final class DenseOpTests: XCTestCase {
  let gc = GradCheck()
  /// Shapes exercised by every elementwise op: ordinary, one row, zero rows.
  let shapes = [(5, 4), (1, 7), (0, 3)]

  func testMatmulAllTransposes() {
    for (m, k, n) in [(4, 3, 5), (1, 6, 2), (0, 3, 2), (3, 0, 2)] {
      for transA in [false, true] {
        for transB in [false, true] {
          let a = randomTensor(transA ? k : m, transA ? m : k, seed: 1)
          let b = randomTensor(transB ? n : k, transB ? k : n, seed: 2)
          gc.check([a, b], op: { t, v in t.matmul(v[0], v[1], transA: transA, transB: transB) }) { x in
            refMatmul(x[0], x[1], m: m, k: k, n: n, transA: transA, transB: transB)
          }
        }
      }
    }
  }

  func testLinearWithBias() {
    for (n, i, o) in [(6, 4, 3), (1, 5, 2), (0, 4, 3)] {
      let x = randomTensor(n, i, seed: 3), w = randomTensor(i, o, seed: 4), b = randomTensor(1, o, seed: 5)
      gc.check([x, w, b], op: { t, v in t.linear(v[0], v[1], bias: v[2]) }) { x in
        var y = refMatmul(x[0], x[1], m: n, k: i, n: o, transA: false, transB: false)
        for r in 0..<n { for c in 0..<o { y[r * o + c] += x[2][c] } }
        return y
      }
    }
  }

  func testAddBias() {
    for (r, c) in shapes {
      gc.check([randomTensor(r, c, seed: 6), randomTensor(1, c, seed: 7)],
               op: { t, v in t.addBias(v[0], v[1]) }) { x in
        (0..<(r * c)).map { x[0][$0] + x[1][$0 % c] }
      }
    }
  }

  func testActivations() {
    for (r, c) in shapes {
      // Keep inputs away from relu's kink so central differences are exact.
      var x = randomTensor(r, c, seed: 8, scale: 2)
      for i in 0..<x.count where abs(x.storage[i]) < 0.05 { x.storage[i] = 0.3 }
      gc.check([x], op: { t, v in t.relu(v[0]) }) { x in x[0].map { max($0, 0) } }
      gc.check([x], op: { t, v in t.leakyRelu(v[0], slope: 0.2) }) { x in x[0].map { $0 > 0 ? $0 : 0.2 * $0 } }
      gc.check([x], op: { t, v in t.sigmoid(v[0]) }) { x in x[0].map { 1 / (1 + Foundation.exp(-$0)) } }
      gc.check([x], op: { t, v in t.tanh(v[0]) }) { x in x[0].map { Foundation.tanh($0) } }
    }
  }

  func testReshape() {
    for (r, c, nr, nc) in [(3, 4, 6, 2), (1, 6, 3, 2), (2, 3, 1, 6), (0, 3, 0, 5)] {
      gc.check([randomTensor(r, c, seed: 31)], op: { t, v in t.reshape(v[0], rows: nr, cols: nc) }) { x in
        x[0]
      }
    }
    let t = Tape()
    let y = t.reshape(t.constant(Tensor(rows: 2, cols: 2, storage: [1, 2, 3, 4])), rows: 1, cols: 4)
    XCTAssertEqual(t.shape(y).rows, 1)
    XCTAssertEqual(t.tensor(y).storage, [1, 2, 3, 4])
  }

  func testSigmoidIsStableForLargeInputs() {
    let t = Tape()
    let y = t.sigmoid(t.constant(Tensor(rows: 1, cols: 4, storage: [-200, -90, 90, 200])))
    XCTAssertEqual(t.tensor(y).storage, [0, Float(Foundation.exp(-90.0)), 1, 1])
  }

  func testAddScaleMulRowDot() {
    for (r, c) in shapes {
      let a = randomTensor(r, c, seed: 9), b = randomTensor(r, c, seed: 10)
      gc.check([a, b], op: { t, v in t.add(v[0], v[1]) }) { x in zip(x[0], x[1]).map { $0 + $1 } }
      gc.check([a], op: { t, v in t.scale(v[0], -1.5) }) { x in x[0].map { -1.5 * $0 } }
      gc.check([a, b], op: { t, v in t.mul(v[0], v[1]) }) { x in zip(x[0], x[1]).map { $0 * $1 } }
      gc.check([a, b], op: { t, v in t.rowDot(v[0], v[1]) }) { x in
        (0..<r).map { i in (0..<c).reduce(0.0) { $0 + x[0][i * c + $1] * x[1][i * c + $1] } }
      }
    }
  }

  func testSumSquaresAndWeightedSum() {
    let a = randomTensor(3, 4, seed: 11)
    gc.check([a], op: { t, v in t.sumSquares(v[0]) }) { x in [x[0].reduce(0) { $0 + $1 * $1 }] }
    let s = [Tensor(rows: 1, cols: 1, storage: [0.7]), Tensor(rows: 1, cols: 1, storage: [-1.2])]
    gc.check(s, op: { t, v in t.weightedSum(v, weights: [0.5, 2]) }) { x in [0.5 * x[0][0] + 2 * x[1][0]] }
  }

  func testL2NormalizeRows() {
    for (r, c) in shapes {
      let a = randomTensor(r, c, seed: 12)
      gc.check([a], op: { t, v in t.l2NormalizeRows(v[0]) }) { x in
        var y = x[0]
        for i in 0..<r {
          let n = max((0..<c).reduce(0.0) { $0 + x[0][i * c + $1] * x[0][i * c + $1] }.squareRoot(), 1e-12)
          for j in 0..<c { y[i * c + j] /= n }
        }
        return y
      }
    }
  }

  func testL2NormalizeZeroRowGivesZerosAndFiniteGradient() {
    let t = Tape()
    let x = t.leaf(Tensor(rows: 1, cols: 3), requiresGrad: true)
    let y = t.l2NormalizeRows(x)
    XCTAssertEqual(t.tensor(y).storage, [0, 0, 0])
    t.backward(from: t.sumSquares(y))
    XCTAssertTrue(t.gradient(of: x)!.storage.allSatisfy { $0.isFinite })
  }

  func testConcatCols() {
    for r in [4, 1, 0] {
      let a = randomTensor(r, 2, seed: 13), b = randomTensor(r, 3, seed: 14), c = randomTensor(r, 1, seed: 15)
      gc.check([a, b, c], op: { t, v in t.concatCols(v) }) { x in
        var y: [Double] = []
        for i in 0..<r { y += x[0][(i * 2)..<(i * 2 + 2)] + x[1][(i * 3)..<(i * 3 + 3)] + [x[2][i]] }
        return y
      }
    }
  }

  func testDropoutGradientUsesItsMask() {
    let x = randomTensor(6, 5, seed: 16)
    let t = Tape()
    let v = t.leaf(x, requiresGrad: true)
    let y = t.dropout(v, p: 0.4, seed: 77)
    let out = t.tensor(y)
    t.backward(from: t.sumSquares(y))
    let g = t.gradient(of: v)!
    var kept = 0
    for i in 0..<x.count {
      if out.storage[i] == 0 {
        XCTAssertEqual(g.storage[i], 0)
      } else {
        kept += 1
        XCTAssertEqual(out.storage[i], x.storage[i] / 0.6, accuracy: 1e-6)
        // d/dx Σ (x·m)² = 2·x·m²
        XCTAssertEqual(g.storage[i], 2 * x.storage[i] / 0.36, accuracy: 1e-5)
      }
    }
    XCTAssertGreaterThan(kept, 5)
    XCTAssertLessThan(kept, 30)
  }

  func testDropoutIsIdentityWhenEvaluating() {
    let t = Tape()
    t.isTraining = false
    let x = t.constant(randomTensor(3, 3, seed: 17))
    XCTAssertEqual(t.dropout(x, p: 0.5, seed: 1), x)
  }

  func testNoGradientWhenNotRecording() {
    let t = Tape()
    t.isRecording = false
    let x = t.leaf(randomTensor(2, 2, seed: 18), requiresGrad: true)
    let y = t.relu(x)
    XCTAssertFalse(t.requiresGrad(y))
  }
}
