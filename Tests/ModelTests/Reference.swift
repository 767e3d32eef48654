import Foundation
import XCTest
@testable import Model
import Tensor

/// A Double-precision matrix and the handful of operations the reference model needs, written
/// as plainly as possible (no shared code with the library).
struct DM {
  var r: Int, c: Int
  var a: [Double]
  init(_ r: Int, _ c: Int, _ a: [Double]? = nil) {
    self.r = r; self.c = c
    self.a = a ?? [Double](repeating: 0, count: r * c)
    precondition(self.a.count == r * c)
  }
  init(_ t: Tensor) { self.init(t.rows, t.cols, t.storage.map(Double.init)) }
  subscript(i: Int, j: Int) -> Double {
    get { a[i * c + j] }
    set { a[i * c + j] = newValue }
  }
}

func mm(_ x: DM, _ y: DM, transB: Bool = false) -> DM {
  let k = x.c, n = transB ? y.r : y.c
  precondition((transB ? y.c : y.r) == k)
  var o = DM(x.r, n)
  for i in 0..<x.r { for j in 0..<n {
    var s = 0.0
    for p in 0..<k { s += x[i, p] * (transB ? y[j, p] : y[p, j]) }
    o[i, j] = s
  } }
  return o
}
func addM(_ x: DM, _ y: DM) -> DM { DM(x.r, x.c, zip(x.a, y.a).map { $0 + $1 }) }
func addRow(_ x: DM, _ b: [Double]) -> DM { DM(x.r, x.c, x.a.indices.map { x.a[$0] + b[$0 % x.c] }) }
func reluM(_ x: DM) -> DM { DM(x.r, x.c, x.a.map { max($0, 0) }) }
func gatherM(_ x: DM, _ rows: [Int32]) -> DM {
  DM(rows.count, x.c, rows.flatMap { Array(x.a[(Int($0) * x.c)..<(Int($0) * x.c + x.c)]) })
}
func concatM(_ xs: [DM]) -> DM {
  let n = xs[0].r
  var o: [Double] = []
  for i in 0..<n { for x in xs { o += x.a[(i * x.c)..<(i * x.c + x.c)] } }
  return DM(n, xs.reduce(0) { $0 + $1.c }, o)
}
func segMean(_ x: DM, _ csr: CSR) -> DM {
  var o = DM(csr.numDst, x.c)
  for d in 0..<csr.numDst {
    let lo = Int(csr.offsets[d]), hi = Int(csr.offsets[d + 1])
    if hi == lo { continue }
    for e in lo..<hi { for j in 0..<x.c { o[d, j] += x[Int(csr.indices[e]), j] } }
    for j in 0..<x.c { o[d, j] /= Double(hi - lo) }
  }
  return o
}
func rowDotM(_ x: DM, _ y: DM) -> [Double] { (0..<x.r).map { i in (0..<x.c).reduce(0) { $0 + x[i, $1] * y[i, $1] } } }
func l2rows(_ x: DM) -> DM {
  var o = x
  for i in 0..<x.r {
    let n = max((0..<x.c).reduce(0) { $0 + x[i, $1] * x[i, $1] }.squareRoot(), 1e-12)
    for j in 0..<x.c { o[i, j] = x[i, j] / n }
  }
  return o
}
func refSoftmaxCE(_ x: DM, _ y: [Int32], _ w: [Double]?) -> Double {
  var loss = 0.0, ws = 0.0
  for i in 0..<x.r {
    let row = (0..<x.c).map { x[i, $0] }
    let m = row.max()!
    let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
    let wi = w?[Int(y[i])] ?? 1
    loss += wi * (lse - row[Int(y[i])]); ws += wi
  }
  return ws > 0 ? loss / ws : 0
}
func refBCE(_ x: DM, _ y: DM, pw: [Double]? = nil, w: [Double]? = nil) -> Double {
  if x.a.isEmpty { return 0 }
  var s = 0.0
  // −log σ(x) = softplus(−x), −log(1 − σ(x)) = softplus(x): exact for large |x| too.
  func softplus(_ z: Double) -> Double { max(z, 0) + log1p(exp(-abs(z))) }
  for i in 0..<x.a.count {
    let col = i % x.c
    s += (w?[col] ?? 1) * ((pw?[col] ?? 1) * y.a[i] * softplus(-x.a[i]) + (1 - y.a[i]) * softplus(x.a[i]))
  }
  return s / Double(x.a.count)
}
func refMSE(_ x: DM, _ y: DM) -> Double {
  x.a.isEmpty ? 0 : zip(x.a, y.a).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(x.a.count)
}

/// Named parameter values in Double, read from an arena.
typealias PD = [String: DM]
func paramsD(_ arena: ParameterArena) -> PD {
  var p: PD = [:]
  for (n, v) in zip(arena.names, arena.views) { p[n] = DM(arena.tensor(v)) }
  return p
}

func randomTensor(_ rows: Int, _ cols: Int, seed: UInt64, scale: Float = 1) -> Tensor {
  var g = Generator(seed: seed)
  return Tensor(rows: rows, cols: cols, storage: (0..<(rows * cols)).map { _ in (g.nextFloat() * 2 - 1) * scale })
}

/// A random CSR with `numDst` destinations, each with 0…maxDeg sources.
func randomCSR(numDst: Int, numSrc: Int, maxDeg: Int, seed: UInt64) -> CSR {
  var g = Generator(seed: seed)
  var offsets: [Int32] = [0], idx: [Int32] = []
  for _ in 0..<numDst {
    let deg = g.nextInt(below: maxDeg + 1)
    for _ in 0..<deg { idx.append(Int32(g.nextInt(below: numSrc))) }
    offsets.append(Int32(idx.count))
  }
  return try! CSR(numDst: numDst, numSrc: numSrc, offsets: offsets, indices: idx)
}

/// Gradient check of a Float computation over arena parameters and leaf inputs against
/// central differences of a Double reference of the same function. The checked scalar is
/// `Σ ref ⊙ R` for a fixed random `R` (the tape is seeded with `R`).
struct ModelGradCheck {
  var rtol = 3e-3
  var atol = 3e-4
  var h = 1e-6

  func check(arena: ParameterArena, inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
             forward: (Tape, [Var]) -> Var, reference: (PD, [DM]) -> [Double]) {
    arena.zeroGradients()
    let tape = Tape()
    let leaves = inputs.map { tape.leaf($0, requiresGrad: true) }
    let out = forward(tape, leaves)
    let (or, oc) = tape.shape(out)
    let p0 = paramsD(arena)
    let x0 = inputs.map { DM($0) }
    let ref = reference(p0, x0)
    XCTAssertEqual(ref.count, or * oc, "reference size", file: file, line: line)
    let got = tape.tensor(out).storage
    for i in 0..<min(ref.count, got.count) {
      XCTAssertEqual(Double(got[i]), ref[i], accuracy: atol + rtol * abs(ref[i]), "forward[\(i)]", file: file, line: line)
    }
    var g = Generator(seed: 77)
    let r = (0..<(or * oc)).map { _ in Double(g.nextFloat() * 2 - 1) }
    tape.backward(from: out, seed: Tensor(rows: or, cols: oc, storage: r.map(Float.init)))
    func loss(_ p: PD, _ x: [DM]) -> Double { zip(reference(p, x), r).reduce(0) { $0 + $1.0 * $1.1 } }
    var checked = 0
    for (name, v) in zip(arena.names, arena.views) {
      let analytic = arena.gradientTensor(v).storage
      var p = p0
      for i in 0..<v.count {
        let orig = p[name]!.a[i]
        p[name]!.a[i] = orig + h; let lp = loss(p, x0)
        p[name]!.a[i] = orig - h; let lm = loss(p, x0)
        p[name]!.a[i] = orig
        let numeric = (lp - lm) / (2 * h)
        XCTAssertEqual(Double(analytic[i]), numeric, accuracy: atol + rtol * abs(numeric),
                       "d \(name)[\(i)]", file: file, line: line)
        checked += 1
      }
    }
    for (k, leaf) in leaves.enumerated() {
      let analytic = tape.gradient(of: leaf)?.storage ?? [Float](repeating: 0, count: inputs[k].count)
      var x = x0
      for i in 0..<inputs[k].count {
        let orig = x[k].a[i]
        x[k].a[i] = orig + h; let lp = loss(p0, x)
        x[k].a[i] = orig - h; let lm = loss(p0, x)
        x[k].a[i] = orig
        let numeric = (lp - lm) / (2 * h)
        XCTAssertEqual(Double(analytic[i]), numeric, accuracy: atol + rtol * abs(numeric),
                       "d input\(k)[\(i)]", file: file, line: line)
        checked += 1
      }
    }
    XCTAssertGreaterThan(checked, 0, file: file, line: line)
  }
}
