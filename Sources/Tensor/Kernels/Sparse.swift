/// Gathers and the message-passing primitive: destination-sorted segment reductions over a CSR.
///
/// A block's edges are sorted by destination: destination `d` owns edges
/// `offsets[d] ..< offsets[d + 1]`, and edge `e` reads source row `indices[e]`. Forward passes
/// split destination ranges across workers (each writes only its own rows); backward passes
/// scatter into source rows, so they split the feature columns instead.
extension Kernels {
  /// Splits `0..<dim` into column ranges and runs `body(c0, c1)` for each in parallel when the
  /// work (`items × dim`) is large enough.
  @inline(__always)
  static func parallelColumns(items: Int, dim: Int, _ body: (Int, Int) -> Void) {
    let threads = Threads.count
    if threads <= 1 || items * dim < (1 << 16) || dim < 2 * 8 {
      body(0, dim)
      return
    }
    // Column ranges in multiples of 8 floats so workers do not share a 32-byte span.
    let parts = min(threads, dim / 8)
    let per = ((dim + parts - 1) / parts + 7) & ~7
    parallelFor(parts, grain: 1) { lo, hi in
      for p in lo..<hi {
        let c0 = p * per, c1 = min(dim, c0 + per)
        if c0 < c1 { body(c0, c1) }
      }
    }
  }

  // MARK: Row gather (index select)

  /// `out[i, :] = inp[index[i], :]` for `i < n`; `out` is `[n × dim]`.
  public static func gatherRowsForward(out: Out, inp: In, index: UnsafePointer<Int32>, n: Int,
                                       dim: Int) {
    parallelFor(n, grain: max(1, 16384 / max(dim, 1))) { lo, hi in
      for i in lo..<hi {
        (out + i * dim).update(from: inp + Int(index[i]) * dim, count: dim)
      }
    }
  }

  /// `dInp[index[i], :] += dOut[i, :]` (repeated indices accumulate).
  public static func gatherRowsBackward(dInp: Out, dOut: In, index: UnsafePointer<Int32>, n: Int,
                                        dim: Int) {
    parallelColumns(items: n, dim: dim) { c0, c1 in
      for i in 0..<n {
        let dst = dInp + Int(index[i]) * dim, src = dOut + i * dim
        for j in c0..<c1 { dst[j] += src[j] }
      }
    }
  }

  // MARK: Segment sum / mean over a CSR

  /// `out[d, :] = Σ_{e ∈ seg(d)} inp[indices[e], :]` (mean: divided by the segment's length; an
  /// empty segment gives zeros). `out` is `[numDst × dim]`.
  public static func segmentReduceForward(
    out: Out, inp: In, offsets: UnsafePointer<Int32>, indices: UnsafePointer<Int32>,
    numDst: Int, dim: Int, mean: Bool
  ) {
    let avgDeg = numDst > 0 ? max(1, Int(offsets[numDst]) / numDst) : 1
    parallelFor(numDst, grain: max(1, 8192 / max(1, avgDeg * dim / 8))) { lo, hi in
      for d in lo..<hi {
        let row = out + d * dim
        let e0 = Int(offsets[d]), e1 = Int(offsets[d + 1])
        if e0 == e1 {
          row.update(repeating: 0, count: dim)
          continue
        }
        row.update(from: inp + Int(indices[e0]) * dim, count: dim)
        var e = e0 + 1
        while e < e1 {
          let src = inp + Int(indices[e]) * dim
          for j in 0..<dim { row[j] += src[j] }
          e += 1
        }
        if mean {
          let s = 1 / Float(e1 - e0)
          for j in 0..<dim { row[j] *= s }
        }
      }
    }
  }

  /// `dInp[indices[e], :] += dOut[d, :]` for every edge `e` of segment `d` (mean: times
  /// 1/len(d)).
  public static func segmentReduceBackward(
    dInp: Out, dOut: In, offsets: UnsafePointer<Int32>, indices: UnsafePointer<Int32>,
    numDst: Int, dim: Int, mean: Bool
  ) {
    let numEdges = numDst > 0 ? Int(offsets[numDst]) : 0
    parallelColumns(items: numEdges, dim: dim) { c0, c1 in
      for d in 0..<numDst {
        let e0 = Int(offsets[d]), e1 = Int(offsets[d + 1])
        if e0 == e1 { continue }
        let g = dOut + d * dim
        if mean {
          let s = 1 / Float(e1 - e0)
          for e in e0..<e1 {
            let dst = dInp + Int(indices[e]) * dim
            for j in c0..<c1 { dst[j] += s * g[j] }
          }
        } else {
          for e in e0..<e1 {
            let dst = dInp + Int(indices[e]) * dim
            for j in c0..<c1 { dst[j] += g[j] }
          }
        }
      }
    }
  }
}
