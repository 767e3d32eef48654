import XCTest
@testable import Tensor

final class LossTests: XCTestCase {
  let gc = GradCheck()

  func refSoftmaxCE(_ x: [Double], labels: [Int32], weights: [Double]?, c: Int) -> Double {
    let n = labels.count
    var loss = 0.0, wsum = 0.0
    for i in 0..<n {
      let row = Array(x[(i * c)..<(i * c + c)])
      let m = row.max()!
      let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
      let w = weights?[Int(labels[i])] ?? 1
      loss += w * (lse - row[Int(labels[i])])
      wsum += w
    }
    return wsum > 0 ? loss / wsum : 0
  }

  func testSoftmaxCrossEntropy() {
    for (labels, c) in [([Int32(2), 0, 1, 2, 3], 4), ([1], 3), ([], 3)] {
      let x = randomTensor(labels.count, c, seed: 1, scale: 3)
      gc.check([x], op: { t, v in t.softmaxCrossEntropy(v[0], labels: labels) }) {
        [self.refSoftmaxCE($0[0], labels: labels, weights: nil, c: c)]
      }
      let w: [Float] = (0..<c).map { 0.5 + Float($0) }
      gc.check([x], op: { t, v in t.softmaxCrossEntropy(v[0], labels: labels, classWeights: w) }) {
        [self.refSoftmaxCE($0[0], labels: labels, weights: w.map(Double.init), c: c)]
      }
    }
  }

  func testSoftmaxCrossEntropyKnownValue() {
    // Uniform logits over 4 classes: loss = ln 4 whatever the label.
    let t = Tape()
    let l = t.softmaxCrossEntropy(t.constant(Tensor(rows: 2, cols: 4, repeating: 7)), labels: [0, 3])
    XCTAssertEqual(t.scalar(l), Float(Foundation.log(4.0)), accuracy: 1e-6)
  }

  func refBCE(_ x: [Double], _ y: [Double], pw: [Double]?, cols: Int, weight: [Double]? = nil) -> Double {
    if x.isEmpty { return 0 }
    var s = 0.0
    for i in 0..<x.count {
      let p = 1 / (1 + Foundation.exp(-x[i]))
      let w = pw?[i % cols] ?? 1
      let cw = weight?[i % cols] ?? 1
      s -= cw * (w * y[i] * Foundation.log(p) + (1 - y[i]) * Foundation.log(1 - p))
    }
    return s / Double(x.count)
  }

  func testBCEWithLogitsClassWeights() {
    for (r, c) in [(4, 3), (1, 1), (0, 2)] {
      let x = randomTensor(r, c, seed: 12, scale: 3)
      var g = Generator(seed: 13)
      let y = Tensor(rows: r, cols: c, storage: (0..<(r * c)).map { _ in g.nextFloat() < 0.5 ? 0 : 1 })
      let w: [Float] = (0..<c).map { 0.25 + Float($0) }
      let pw: [Float] = (0..<c).map { 2 - 0.5 * Float($0) }
      gc.check([x, y], requiresGrad: [true, false],
               op: { t, v in t.bceWithLogits(v[0], targets: v[1], weight: w) }) {
        [self.refBCE($0[0], $0[1], pw: nil, cols: c, weight: w.map(Double.init))]
      }
      gc.check([x, y], requiresGrad: [true, false],
               op: { t, v in t.bceWithLogits(v[0], targets: v[1], posWeight: pw, weight: w) }) {
        [self.refBCE($0[0], $0[1], pw: pw.map(Double.init), cols: c, weight: w.map(Double.init))]
      }
    }
  }

  func testBCEWithLogits() {
    for (r, c) in [(4, 3), (1, 1), (0, 2)] {
      let x = randomTensor(r, c, seed: 2, scale: 4)
      var g = Generator(seed: 3)
      let y = Tensor(rows: r, cols: c, storage: (0..<(r * c)).map { _ in g.nextFloat() < 0.5 ? 0 : 1 })
      gc.check([x, y], requiresGrad: [true, false], op: { t, v in t.bceWithLogits(v[0], targets: v[1]) }) {
        [self.refBCE($0[0], $0[1], pw: nil, cols: c)]
      }
      let pw: [Float] = (0..<c).map { 1 + Float($0) }
      gc.check([x, y], requiresGrad: [true, false],
               op: { t, v in t.bceWithLogits(v[0], targets: v[1], posWeight: pw) }) {
        [self.refBCE($0[0], $0[1], pw: pw.map(Double.init), cols: c)]
      }
    }
  }

  func testBCEIsFiniteForHugeLogits() {
    let t = Tape()
    let x = t.leaf(Tensor(rows: 1, cols: 2, storage: [500, -500]), requiresGrad: true)
    let l = t.bceWithLogits(x, targets: t.constant(Tensor(rows: 1, cols: 2, storage: [0, 1])))
    XCTAssertEqual(t.scalar(l), 500, accuracy: 1e-3)
    t.backward(from: l)
    XCTAssertEqual(t.gradient(of: x)!.storage, [0.5, -0.5])
  }

  func testMSE() {
    for (r, c) in [(5, 2), (1, 1), (0, 1)] {
      let p = randomTensor(r, c, seed: 4), y = randomTensor(r, c, seed: 5)
      gc.check([p, y], op: { t, v in t.mse(v[0], v[1]) }) { x in
        x[0].isEmpty ? [0] : [zip(x[0], x[1]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(x[0].count)]
      }
    }
  }
}
