import XCTest
@testable import Tensor

final class SparseOpTests: XCTestCase {
  let gc = GradCheck()

  func testGatherRowsWithRepeats() {
    let x = randomTensor(5, 3, seed: 1)
    for idx: [Int32] in [[4, 0, 4, 2, 2, 2], [3], []] {
      gc.check([x], op: { t, v in t.gatherRows(v[0], idx) }) { x in
        idx.flatMap { i in x[0][(Int(i) * 3)..<(Int(i) * 3 + 3)] }
      }
    }
  }

  /// dst 0 ← {1, 3, 3}, dst 1 ← {}, dst 2 ← {0}, dst 3 ← {2, 1}
  func sampleCSR() throws -> CSR {
    try CSR(numDst: 4, numSrc: 4, offsets: [0, 3, 3, 4, 6], indices: [1, 3, 3, 0, 2, 1])
  }

  func refSegment(_ x: [Double], _ csr: CSR, dim: Int, mean: Bool) -> [Double] {
    var y = [Double](repeating: 0, count: csr.numDst * dim)
    for d in 0..<csr.numDst {
      let e0 = Int(csr.offsets[d]), e1 = Int(csr.offsets[d + 1])
      for e in e0..<e1 { for j in 0..<dim { y[d * dim + j] += x[Int(csr.indices[e]) * dim + j] } }
      if mean && e1 > e0 { for j in 0..<dim { y[d * dim + j] /= Double(e1 - e0) } }
    }
    return y
  }

  func testSegmentSumAndMean() throws {
    let csr = try sampleCSR()
    let x = randomTensor(4, 3, seed: 2)
    gc.check([x], op: { t, v in t.segmentSum(v[0], csr) }) { self.refSegment($0[0], csr, dim: 3, mean: false) }
    gc.check([x], op: { t, v in t.segmentMean(v[0], csr) }) { self.refSegment($0[0], csr, dim: 3, mean: true) }
  }

  func testSegmentEdgeCases() throws {
    let empty = try CSR(numDst: 0, numSrc: 2, offsets: [0], indices: [])
    let x = randomTensor(2, 3, seed: 3)
    gc.check([x], op: { t, v in t.segmentMean(v[0], empty) }) { _ in [] }
    let one = try CSR(numDst: 1, numSrc: 2, offsets: [0, 2], indices: [1, 0])
    gc.check([x], op: { t, v in t.segmentMean(v[0], one) }) { self.refSegment($0[0], one, dim: 3, mean: true) }
    let noEdges = try CSR(numDst: 3, numSrc: 0, offsets: [0, 0, 0, 0], indices: [])
    let t = Tape()
    let y = t.segmentSum(t.constant(Tensor(rows: 0, cols: 4)), noEdges)
    XCTAssertEqual(t.tensor(y), Tensor(rows: 3, cols: 4))
  }

  /// Large enough to take the parallel paths (rows split forward, columns split backward).
  func testSegmentMeanParallelPathsMatchReference() throws {
    Threads.configure(2)
    defer { Threads.configure(nil) }
    // 32: register panels only; 45: a panel plus a scalar tail.
    for dim in [32, 45] { try checkSegmentMeanLarge(dim: dim) }
  }

  func checkSegmentMeanLarge(dim: Int) throws {
    var g = Generator(seed: 4)
    let numSrc = 3000, numDst = 2000
    var dst: [Int32] = [], src: [Int32] = []
    for _ in 0..<20000 {
      dst.append(Int32(g.nextInt(below: numDst)))
      src.append(Int32(g.nextInt(below: numSrc)))
    }
    let csr = try CSR(numDst: numDst, numSrc: numSrc, dst: dst, src: src)
    let x = randomTensor(numSrc, dim, seed: 5)
    let t = Tape()
    let xv = t.leaf(x, requiresGrad: true)
    let y = t.segmentMean(xv, csr)
    let seed = randomTensor(numDst, dim, seed: 6)
    t.backward(from: y, seed: seed)
    let ref = refSegment(x.storage.map(Double.init), csr, dim: dim, mean: true)
    let got = t.tensor(y).storage
    for i in 0..<ref.count { XCTAssertEqual(Double(got[i]), ref[i], accuracy: 1e-5) }
    // Backward reference: dx[src] += dy[dst] / deg(dst)
    var dx = [Double](repeating: 0, count: numSrc * dim)
    for d in 0..<numDst {
      let e0 = Int(csr.offsets[d]), e1 = Int(csr.offsets[d + 1])
      for e in e0..<e1 {
        for j in 0..<dim { dx[Int(csr.indices[e]) * dim + j] += Double(seed.storage[d * dim + j]) / Double(e1 - e0) }
      }
    }
    let gx = t.gradient(of: xv)!.storage
    for i in 0..<dx.count { XCTAssertEqual(Double(gx[i]), dx[i], accuracy: 1e-4) }
  }

  /// The kernels against plain Float loops that add in the same order, so the comparison is
  /// exact: forward per destination `Σ_e x[src(e)]` in edge order times `1/len`; backward
  /// `dx[src(e)] += w · dy[d]` edge by edge onto a non-zero `dx`. Widths cover every panel kind
  /// (64, 32, 16 columns, scalar tail); strided output / gradient rows; 1 and 2 threads give
  /// the same bits.
  /// Both builds of the segment kernels (portable Swift loops and, where the CPU has it, the
  /// AVX2 C build) against plain sequential float loops, bit for bit, on 1 and 2 threads.
  func testSegmentKernelsMatchSequentialFloatLoops() {
    let wide = Kernels.segmentUsesAVX2
    defer { Threads.configure(nil); Kernels.segmentUsesAVX2 = wide }
    for avx2 in wide ? [false, true] : [false] {
      Kernels.segmentUsesAVX2 = avx2
      checkSegmentKernelsAgainstLoops(label: avx2 ? "avx2" : "portable")
    }
    if !wide { print("SparseOpTests: this CPU has no AVX2; only the portable segment kernels were checked") }
  }

  func checkSegmentKernelsAgainstLoops(label: String) {
    for dim in [1, 16, 37, 64, 117, 128] {
      for mean in [false, true] {
        let csr = randomCSR(numDst: 400, numSrc: 500, maxDeg: 9, seed: UInt64(dim))  // 2 threads split columns from dim 64 on
        let x = randomTensor(csr.numSrc, dim, seed: 11).storage
        let stride = dim + 3  // output / gradient rows inside a wider matrix
        let dy = randomTensor(csr.numDst, stride, seed: 12).storage
        let dx0 = randomTensor(csr.numSrc, dim, seed: 13).storage
        var yRef = [Float](repeating: 0, count: csr.numDst * stride), dxRef = dx0
        for d in 0..<csr.numDst {
          let e0 = Int(csr.offsets[d]), e1 = Int(csr.offsets[d + 1])
          let w: Float = mean && e1 > e0 ? 1 / Float(e1 - e0) : 1
          for j in 0..<dim {
            var a: Float = 0
            for e in e0..<e1 { a += x[Int(csr.indices[e]) * dim + j] }
            yRef[d * stride + j] = a * w
          }
          for e in e0..<e1 {
            for j in 0..<dim { dxRef[Int(csr.indices[e]) * dim + j] += mean ? w * dy[d * stride + j] : dy[d * stride + j] }
          }
        }
        var results: [[Float]] = []
        for threads in [1, 2] {
          Threads.configure(threads)
          var y = [Float](repeating: 0, count: csr.numDst * stride), dx = dx0
          x.withUnsafeBufferPointer { xb in
            dy.withUnsafeBufferPointer { gb in
              csr.offsets.withUnsafeBufferPointer { ob in
                csr.indices.withUnsafeBufferPointer { ib in
                  y.withUnsafeMutableBufferPointer { yb in
                    Kernels.segmentReduceForward(out: yb.baseAddress!, inp: xb.baseAddress!, offsets: ob.baseAddress!,
                                                 indices: ib.baseAddress!, numDst: csr.numDst, dim: dim, mean: mean,
                                                 outStride: stride)
                  }
                  dx.withUnsafeMutableBufferPointer { db in
                    Kernels.segmentReduceBackward(dInp: db.baseAddress!, dOut: gb.baseAddress!, offsets: ob.baseAddress!,
                                                  indices: ib.baseAddress!, numDst: csr.numDst, dim: dim, mean: mean,
                                                  dOutStride: stride)
                  }
                }
              }
            }
          }
          XCTAssertEqual(y, yRef, "\(label) forward dim \(dim) mean \(mean) threads \(threads)")
          XCTAssertEqual(dx, dxRef, "\(label) backward dim \(dim) mean \(mean) threads \(threads)")
          results.append(dx)
        }
        XCTAssertEqual(results[0], results[1])
      }
    }
  }

  func testTransposeListsDestinationsPerSource() throws {
    let tr = try sampleCSR().transposed()
    // sources: 0 ← dst {2}, 1 ← dst {0, 3}, 2 ← dst {3}, 3 ← dst {0, 0}
    XCTAssertEqual(tr.offsets, [0, 1, 3, 4, 6])
    XCTAssertEqual(tr.indices, [2, 0, 3, 3, 0, 0])
  }

  func testCSRFromPairsSortsByDestinationStably() throws {
    let csr = try CSR(numDst: 3, numSrc: 5, dst: [2, 0, 2, 1, 0], src: [4, 3, 1, 0, 2])
    XCTAssertEqual(csr.offsets, [0, 2, 3, 5])
    XCTAssertEqual(csr.indices, [3, 2, 0, 4, 1])
  }

  func testCSRRejectsBadInput() {
    XCTAssertThrowsError(try CSR(numDst: 2, numSrc: 2, offsets: [0, 1], indices: [0])) {
      XCTAssertEqual($0 as? CSR.Invalid, .offsetsCount(expected: 3, got: 2))
    }
    XCTAssertThrowsError(try CSR(numDst: 2, numSrc: 2, offsets: [0, 2, 1], indices: [0])) {
      XCTAssertEqual($0 as? CSR.Invalid, .offsetsNotMonotone(at: 2))
    }
    XCTAssertThrowsError(try CSR(numDst: 1, numSrc: 2, offsets: [0, 1], indices: [2])) {
      XCTAssertEqual($0 as? CSR.Invalid, .sourceOutOfRange(edge: 0, source: 2, numSrc: 2))
    }
    XCTAssertThrowsError(try CSR(numDst: 1, numSrc: 2, offsets: [0, 2], indices: [1])) {
      XCTAssertEqual($0 as? CSR.Invalid, .lastOffset(expected: 1, got: 2))
    }
  }
}
