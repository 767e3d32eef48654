import XCTest
@testable import Tensor

/// Finite-difference gradient checking in Double.
///
/// Each check has a Float op under test (built on the tape) and a Double reference of the same
/// function. The scalar checked is `L(x) = Σ ref(x) ⊙ R` for a fixed random `R`; its gradient is
/// computed by central differences on the Double reference (h = 1e−6) and compared with the
/// tape's analytic gradient (seeded with `R`). The forward value is compared with the reference
/// too. Tolerance: |analytic − numeric| ≤ atol + rtol·|numeric| per element.
struct GradCheck {
  var rtol: Double = 2e-3
  var atol: Double = 2e-4
  var h: Double = 1e-6

  func check(
    _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
    requiresGrad: [Bool]? = nil,
    op: (Tape, [Var]) -> Var,
    reference: ([[Double]]) -> [Double]
  ) {
    let needs = requiresGrad ?? Array(repeating: true, count: inputs.count)
    let tape = Tape()
    let vars = zip(inputs, needs).map { tape.leaf($0, requiresGrad: $1) }
    let out = op(tape, vars)
    let (or, oc) = tape.shape(out)
    let xs = inputs.map { $0.storage.map(Double.init) }
    let refOut = reference(xs)
    XCTAssertEqual(refOut.count, or * oc, "reference output size", file: file, line: line)
    let got = tape.tensor(out)
    for i in 0..<min(refOut.count, got.count) {
      XCTAssertEqual(Double(got.storage[i]), refOut[i], accuracy: atol + rtol * abs(refOut[i]),
                     "forward[\(i)]", file: file, line: line)
    }
    var g = Generator(seed: 99)
    let r = (0..<(or * oc)).map { _ in Double(g.nextFloat() * 2 - 1) }
    if tape.requiresGrad(out) {
      tape.backward(from: out, seed: Tensor(rows: or, cols: oc, storage: r.map(Float.init)))
    }
    func loss(_ x: [[Double]]) -> Double { zip(reference(x), r).reduce(0) { $0 + $1.0 * $1.1 } }
    for (k, x) in xs.enumerated() where needs[k] {
      let analytic = tape.gradient(of: vars[k])?.storage ?? [Float](repeating: 0, count: x.count)
      var xp = xs
      for i in 0..<x.count {
        xp[k][i] = x[i] + h
        let lp = loss(xp)
        xp[k][i] = x[i] - h
        let lm = loss(xp)
        xp[k][i] = x[i]
        let numeric = (lp - lm) / (2 * h)
        XCTAssertEqual(Double(analytic[i]), numeric, accuracy: atol + rtol * abs(numeric),
                       "d input\(k)[\(i)]", file: file, line: line)
      }
    }
  }
}

func randomTensor(_ rows: Int, _ cols: Int, seed: UInt64, scale: Float = 1) -> Tensor {
  var g = Generator(seed: seed)
  return Tensor(rows: rows, cols: cols,
                storage: (0..<(rows * cols)).map { _ in (g.nextFloat() * 2 - 1) * scale })
}

/// Row-major Double matrix product reference: op(a)[m×k] · op(b)[k×n].
func refMatmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int, transA: Bool, transB: Bool) -> [Double] {
  var c = [Double](repeating: 0, count: m * n)
  for i in 0..<m {
    for j in 0..<n {
      var s = 0.0
      for p in 0..<k {
        let av = transA ? a[p * m + i] : a[i * k + p]
        let bv = transB ? b[j * k + p] : b[p * n + j]
        s += av * bv
      }
      c[i * n + j] = s
    }
  }
  return c
}
