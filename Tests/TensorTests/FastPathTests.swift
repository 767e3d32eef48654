import XCTest
@testable import Tensor

/// The performance paths of issue 6: split products, the fused aggregation of an RGCN layer,
/// stacked weights, CSR shortcuts and the SIMD ReLU backward.
final class FastPathTests: XCTestCase {
  let gc = GradCheck()

  func product(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, beta: Float, threads: Int) -> [Float] {
    Threads.configure(threads)
    defer { Threads.configure(nil) }
    let a = randomTensor(transA ? k : m, transA ? m : k, seed: 1), b = randomTensor(transB ? n : k, transB ? k : n, seed: 2)
    var c = randomTensor(m, n, seed: 3).storage
    a.storage.withUnsafeBufferPointer { ap in
      b.storage.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress, lda: transA ? m : k,
                     b: bp.baseAddress, ldb: transB ? k : n, beta: beta, c: cp.baseAddress, ldc: n)
        }
      }
    }
    return c
  }

  /// Tall products split by rows give exactly one call's result; deep ones split by depth agree
  /// to rounding, for every transpose combination and beta.
  func testSplitProductsMatchOneCall() {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
      for beta: Float in [0, 1] {
        let tall1 = product(ta, tb, m: 1100, n: 64, k: 64, beta: beta, threads: 1)
        let tall2 = product(ta, tb, m: 1100, n: 64, k: 64, beta: beta, threads: 2)
        XCTAssertEqual(tall1, tall2, "rows split, transA \(ta) transB \(tb) beta \(beta)")
        let deep1 = product(ta, tb, m: 64, n: 48, k: 3000, beta: beta, threads: 1)
        let deep2 = product(ta, tb, m: 64, n: 48, k: 3000, beta: beta, threads: 2)
        for (x, y) in zip(deep1, deep2) { XCTAssertEqual(x, y, accuracy: 1e-3 * max(1, abs(x))) }
      }
    }
  }

  /// The linear layer adds its bias to each block of product rows as the product finishes it
  /// (`rowEpilogue`): exactly one sgemm call plus a plain bias loop, for 1 and 2 threads, with
  /// a last partial block (2500 rows in blocks of 1024).
  func testLinearBiasEpilogueMatchesProductThenBias() {
    let m = 2500, k = 48, n = 64
    let x = randomTensor(m, k, seed: 1).storage, w = randomTensor(k, n, seed: 2).storage
    let b = randomTensor(1, n, seed: 3).storage
    var ref = [Float](repeating: 0, count: m * n)
    Threads.configure(1)
    defer { Threads.configure(nil) }
    BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: x, lda: k, b: w, ldb: n, beta: 0,
               c: &ref, ldc: n)
    for i in 0..<m { for j in 0..<n { ref[i * n + j] += b[j] } }
    for threads in [1, 2] {
      Threads.configure(threads)
      var out = [Float](repeating: .nan, count: m * n)
      out.withUnsafeMutableBufferPointer { o in
        Kernels.linearForward(out: o.baseAddress!, inp: x, weight: w, bias: b, n: m, inDim: k, outDim: n)
      }
      XCTAssertEqual(out, ref, "threads \(threads)")
    }
  }

  /// Bias gradients: each column summed in row order onto its previous value — the plain loop's
  /// bits — for widths covering the 64- and 16-column panels and the scalar tail, 1 and 2 threads.
  func testBiasBackwardMatchesPlainLoop() {
    defer { Threads.configure(nil) }
    for dim in [1, 16, 37, 64, 130] {
      let rows = 1200
      let g = randomTensor(rows, dim, seed: UInt64(dim)).storage
      var ref = randomTensor(1, dim, seed: 99).storage
      let start = ref
      for i in 0..<rows { for j in 0..<dim { ref[j] += g[i * dim + j] } }
      for threads in [1, 2] {
        Threads.configure(threads)
        var db = start
        db.withUnsafeMutableBufferPointer { Kernels.biasAddBackward(dBias: $0.baseAddress!, dOut: g, n: rows, dim: dim) }
        XCTAssertEqual(db, ref, "dim \(dim) threads \(threads)")
      }
    }
  }

  /// A seed becomes the output's gradient when it has none yet (borrowed, not copied), and adds
  /// to it otherwise, also when the previous backward borrowed it.
  func testBackwardSeedCopiesOrAccumulates() {
    let x = randomTensor(3, 5, seed: 1), s = randomTensor(3, 5, seed: 2)
    let t = Tape()
    let v = t.leaf(x, requiresGrad: true)
    let y = t.relu(v)
    t.backward(from: y, seed: s)
    XCTAssertEqual(t.gradient(of: y), s)
    let once = zip(x.storage, s.storage).map { $0 > 0 ? $1 : 0 }
    XCTAssertEqual(t.gradient(of: v)!.storage, once)
    t.backward(from: v, seed: s)  // a leaf with a gradient buffer already: accumulates
    let want = zip(once, s.storage).map { $0 + $1 }
    XCTAssertEqual(t.gradient(of: v)!.storage, want)
    // From the same root again: its borrowed gradient is copied first, then the seed added.
    t.backward(from: y, seed: s)
    XCTAssertEqual(t.gradient(of: y)!.storage, s.storage.map { $0 + $0 })
    let again = want.indices.map { want[$0] + (x.storage[$0] > 0 ? s.storage[$0] + s.storage[$0] : 0) }
    XCTAssertEqual(t.gradient(of: v)!.storage, again)
    XCTAssertEqual(s, randomTensor(3, 5, seed: 2), "the seed is never written")
    t.reset()
    let w = t.leaf(x, requiresGrad: true)
    let z = t.relu(w)
    XCTAssertNil(t.gradient(of: z), "reset forgets a borrowed seed")
  }

  func refMean(_ x: [Double], _ csr: CSR, dim: Int) -> [[Double]] {
    (0..<csr.numDst).map { d in
      let e0 = Int(csr.offsets[d]), e1 = Int(csr.offsets[d + 1])
      var row = [Double](repeating: 0, count: dim)
      for e in e0..<e1 { for j in 0..<dim { row[j] += x[Int(csr.indices[e]) * dim + j] } }
      return e1 > e0 ? row.map { $0 / Double(e1 - e0) } : row
    }
  }

  /// `[mean_a(x) ‖ mean_b(y) ‖ x[0..<n]]` against a Double reference, gradients included; a
  /// wide case takes the SIMD panels and the parallel paths.
  func testSegmentMeanConcatGradients() throws {
    for (nd, dx, dy, ns) in [(3, 3, 2, 5), (300, 40, 33, 700)] {
      Threads.configure(2)
      defer { Threads.configure(nil) }
      let a = randomCSR(numDst: nd, numSrc: ns, maxDeg: 4, seed: 5), b = randomCSR(numDst: nd, numSrc: ns + 1, maxDeg: 3, seed: 6)
      let x = randomTensor(ns, dx, seed: 7), y = randomTensor(ns + 1, dy, seed: 8)
      let check = nd < 10 ? gc : GradCheck(rtol: 2e-3, atol: 2e-4, h: 1e-6)
      if nd >= 10 {
        // Forward and gradients against the composed reference ops on the tape.
        let t = Tape()
        let vx = t.leaf(x, requiresGrad: true), vy = t.leaf(y, requiresGrad: true)
        let fused = t.segmentMeanConcat([.init(vx, a), .init(vy, b), .init(vx, nil)], rows: nd)
        let seed = randomTensor(nd, 2 * dx + dy, seed: 9)
        t.backward(from: fused, seed: seed)
        let t2 = Tape()
        let wx = t2.leaf(x, requiresGrad: true), wy = t2.leaf(y, requiresGrad: true)
        let composed = t2.concatCols([t2.segmentMean(wx, a), t2.segmentMean(wy, b), t2.gatherRows(wx, (0..<Int32(nd)).map { $0 })])
        t2.backward(from: composed, seed: seed)
        XCTAssertLessThan(t.tensor(fused).maxAbsDifference(t2.tensor(composed)), 1e-6)
        XCTAssertLessThan(t.gradient(of: vx)!.maxAbsDifference(t2.gradient(of: wx)!), 1e-5)
        XCTAssertLessThan(t.gradient(of: vy)!.maxAbsDifference(t2.gradient(of: wy)!), 1e-5)
        continue
      }
      check.check([x, y], op: { t, v in
        t.segmentMeanConcat([.init(v[0], a), .init(v[1], b), .init(v[0], nil)], rows: nd)
      }) { xs in
        let ma: [[Double]] = self.refMean(xs[0], a, dim: dx), mb: [[Double]] = self.refMean(xs[1], b, dim: dy)
        var out: [Double] = []
        for i in 0..<nd {
          out += ma[i]
          out += mb[i]
          out += xs[0][(i * dx)..<((i + 1) * dx)]
        }
        return out
      }
    }
  }

  func testConcatRowsGradients() {
    let a = randomTensor(2, 3, seed: 1), b = randomTensor(4, 3, seed: 2)
    gc.check([a, b], op: { t, v in t.concatRows([v[0], v[1], v[0]]) }) { xs in xs[0] + xs[1] + xs[0] }
  }

  /// A block re-pointed at table rows reads the same rows: mean over the table with the remapped
  /// CSR equals the mean over the gathered rows.
  func testRemappedSourcesReadTheSameRows() throws {
    let csr = randomCSR(numDst: 50, numSrc: 80, maxDeg: 6, seed: 3)
    var g = Generator(seed: 4)
    let map = (0..<80).map { _ in Int32(g.nextInt(below: 200)) }
    let table = randomTensor(200, 37, seed: 5)
    let t = Tape()
    let tv = t.constant(table)
    let direct = t.segmentMean(tv, csr.remappingSources(map, numSrc: 200))
    let gathered = t.segmentMean(t.gatherRows(tv, map), csr)
    XCTAssertEqual(t.tensor(direct), t.tensor(gathered))
  }

  /// Destination-grouped pairs (a sampler's output) skip the sort and give the sorted CSR.
  func testCSRFromGroupedPairsEqualsSorted() throws {
    let dst: [Int32] = [0, 0, 2, 2, 2, 3], src: [Int32] = [4, 1, 0, 3, 3, 2]
    let grouped = try CSR(numDst: 5, numSrc: 5, dst: dst, src: src)
    XCTAssertEqual(grouped.offsets, [0, 2, 2, 5, 6, 6])
    XCTAssertEqual(grouped.indices, src)
    let shuffled = try CSR(numDst: 5, numSrc: 5, dst: [2, 0, 3, 2, 0, 2], src: [0, 4, 2, 3, 1, 3])
    XCTAssertEqual(shuffled.offsets, grouped.offsets)
    XCTAssertEqual(shuffled.indices, [4, 1, 0, 3, 3, 2])
  }

  func testReluBackwardMatchesScalarRule() {
    let n = 1000  // SIMD body and a scalar tail
    let out = randomTensor(1, n, seed: 1).storage.enumerated().map { $0.offset % 7 == 0 ? 0 : $0.element }
    let dOut = randomTensor(1, n, seed: 2).storage
    var dIn = randomTensor(1, n, seed: 3).storage
    let expect = (0..<n).map { dIn[$0] + (out[$0] > 0 ? dOut[$0] : 0) }
    dIn.withUnsafeMutableBufferPointer { d in
      Kernels.reluBackward(dInp: d.baseAddress!, dOut: dOut, out: out, count: n)
    }
    XCTAssertEqual(dIn, expect)
  }
}

/// Random destination-sorted CSR, 0…maxDeg sources per destination.
func randomCSR(numDst: Int, numSrc: Int, maxDeg: Int, seed: UInt64) -> CSR {
  var g = Generator(seed: seed)
  var offsets: [Int32] = [0], indices: [Int32] = []
  for _ in 0..<numDst {
    let deg = g.nextInt(below: maxDeg + 1)
    for _ in 0..<deg { indices.append(Int32(g.nextInt(below: numSrc))) }
    offsets.append(Int32(indices.count))
  }
  return try! CSR(numDst: numDst, numSrc: numSrc, offsets: offsets, indices: indices)
}
