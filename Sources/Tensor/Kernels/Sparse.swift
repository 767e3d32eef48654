import CKernels

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

  /// Edges ahead of the current one whose source rows are prefetched: far enough to hide a
  /// memory access, near enough that the lines are still in L1/L2 when used.
  static let prefetchDistance = 16

  /// Prefetches the `span` floats (default: the whole row) of row `indices[e]` of `base`.
  @inline(__always)
  static func prefetchRow(_ base: UnsafePointer<Float>, _ indices: UnsafePointer<Int32>, _ e: Int,
                          end: Int, dim: Int, span: Int? = nil) {
    if e >= end { return }
    let row = base + Int(indices[e]) * dim
    var off = 0
    let n = span ?? dim
    while off < n {
      gust_prefetch_read(row + off)
      off += 16
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
        addRow(dInp + Int(index[i]) * dim + c0, dOut + i * dim + c0, c1 - c0)
      }
    }
  }

  // MARK: Segment sum / mean over a CSR

  /// `out[d, :] = Σ_{e ∈ seg(d)} inp[indices[e], :]` (mean: divided by the segment's length; an
  /// empty segment gives zeros). `out` is `[numDst × dim]`.
  ///
  /// Each destination row is built 32 columns at a time in registers (one pass over its edges
  /// per 32-column panel), so the output is written once instead of once per edge.
  public static func segmentReduceForward(
    out: Out, inp: In, offsets: UnsafePointer<Int32>, indices: UnsafePointer<Int32>,
    numDst: Int, dim: Int, mean: Bool, outStride: Int? = nil
  ) {
    let ldo = outStride ?? dim
    let totalEdges = numDst > 0 ? Int(offsets[numDst]) : 0
    let avgDeg = numDst > 0 ? max(1, totalEdges / numDst) : 1
    parallelFor(numDst, grain: max(1, 8192 / max(1, avgDeg * dim / 8))) { lo, hi in
      for d in lo..<hi {
        let row = out + d * ldo
        let e0 = Int(offsets[d]), e1 = Int(offsets[d + 1])
        let s: Float = mean && e1 > e0 ? 1 / Float(e1 - e0) : 1
        reduceRowPanels(row, inp, indices, e0, e1, dim: dim, scale: s, prefetchEnd: totalEdges)
      }
    }
  }

  /// `row = scale · Σ_{e ∈ e0..<e1} inp[indices[e], :]`, by 32-column register panels.
  @inline(__always)
  static func reduceRowPanels(
    _ row: Out, _ inp: In, _ indices: UnsafePointer<Int32>, _ e0: Int, _ e1: Int, dim: Int,
    scale: Float, prefetchEnd: Int
  ) {
    let raw = UnsafeRawPointer(inp)
    let out = UnsafeMutableRawPointer(row)
    let stride = dim * 4
    var c = 0
    while c + 32 <= dim {
      var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
      let off = c * 4
      for e in e0..<e1 {
        if c == 0 { prefetchRow(inp, indices, e + prefetchDistance, end: prefetchEnd, dim: dim) }
        let p = raw + Int(indices[e]) * stride + off
        a0 += p.loadUnaligned(as: SIMD16<Float>.self)
        a1 += p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
      }
      out.storeBytes(of: a0 * scale, toByteOffset: off, as: SIMD16<Float>.self)
      out.storeBytes(of: a1 * scale, toByteOffset: off + 64, as: SIMD16<Float>.self)
      c += 32
    }
    while c < dim {
      var a: Float = 0
      for e in e0..<e1 { a += inp[Int(indices[e]) * dim + c] }
      row[c] = a * scale
      c += 1
    }
  }

  /// `dInp[s, :] += Σ_{e: src(e) = s} dOut[dst(e), :]` (mean: each term times 1/len(dst(e))),
  /// computed as a gather over the transposed CSR so that every source row is written once:
  /// source `s` owns transposed edges `tOffsets[s] ..< tOffsets[s + 1]`, each naming its
  /// destination in `tIndices`. `offsets` is the forward CSR's (for the segment lengths).
  public static func segmentReduceBackward(
    dInp: Out, dOut: In, tOffsets: UnsafePointer<Int32>, tIndices: UnsafePointer<Int32>,
    offsets: UnsafePointer<Int32>, numSrc: Int, dim: Int, mean: Bool, dOutStride: Int? = nil
  ) {
    let ldg = dOutStride ?? dim
    let totalEdges = numSrc > 0 ? Int(tOffsets[numSrc]) : 0
    let avgDeg = numSrc > 0 ? max(1, totalEdges / numSrc) : 1
    parallelFor(numSrc, grain: max(1, 8192 / max(1, avgDeg * dim / 8))) { lo, hi in
      for s in lo..<hi {
        let e0 = Int(tOffsets[s]), e1 = Int(tOffsets[s + 1])
        if e0 == e1 { continue }
        accumulateRowPanels(dInp + s * dim, dOut, tIndices, e0, e1, dim: dim, mean: mean,
                            offsets: offsets, prefetchEnd: totalEdges, srcStride: ldg)
      }
    }
  }

  /// `row += Σ_{e ∈ e0..<e1} w(e) · src[indices[e], :]`, `w(e) = 1/len(indices[e])` for means.
  @inline(__always)
  static func accumulateRowPanels(
    _ row: Out, _ src: In, _ indices: UnsafePointer<Int32>, _ e0: Int, _ e1: Int, dim: Int,
    mean: Bool, offsets: UnsafePointer<Int32>, prefetchEnd: Int, srcStride: Int
  ) {
    let raw = UnsafeRawPointer(src)
    let out = UnsafeMutableRawPointer(row)
    let stride = srcStride * 4
    var c = 0
    while c + 32 <= dim {
      var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
      let off = c * 4
      for e in e0..<e1 {
        if c == 0 { prefetchRow(src, indices, e + prefetchDistance, end: prefetchEnd, dim: srcStride, span: dim) }
        let d = Int(indices[e])
        let p = raw + d * stride + off
        if mean {
          let w = 1 / Float(offsets[d + 1] - offsets[d])
          a0 += w * p.loadUnaligned(as: SIMD16<Float>.self)
          a1 += w * p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        } else {
          a0 += p.loadUnaligned(as: SIMD16<Float>.self)
          a1 += p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        }
      }
      out.storeBytes(of: out.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self) + a0,
                     toByteOffset: off, as: SIMD16<Float>.self)
      out.storeBytes(of: out.loadUnaligned(fromByteOffset: off + 64, as: SIMD16<Float>.self) + a1,
                     toByteOffset: off + 64, as: SIMD16<Float>.self)
      c += 32
    }
    while c < dim {
      var a: Float = 0
      for e in e0..<e1 {
        let d = Int(indices[e])
        let w: Float = mean ? 1 / Float(offsets[d + 1] - offsets[d]) : 1
        a += w * src[d * srcStride + c]
      }
      row[c] += a
      c += 1
    }
  }

  /// The transposed CSR of a destination-sorted one: for each source, its edges' destinations
  /// in ascending order. `tOffsets` holds `numSrc + 1` entries, `tIndices` one per edge; the
  /// caller provides both (and `cursor`, `numSrc` scratch entries).
  public static func transposeCSR(
    tOffsets: UnsafeMutablePointer<Int32>, tIndices: UnsafeMutablePointer<Int32>,
    cursor: UnsafeMutablePointer<Int32>, offsets: UnsafePointer<Int32>,
    indices: UnsafePointer<Int32>, numDst: Int, numSrc: Int
  ) {
    let numEdges = numDst > 0 ? Int(offsets[numDst]) : 0
    tOffsets.update(repeating: 0, count: numSrc + 1)
    for e in 0..<numEdges { tOffsets[Int(indices[e]) + 1] += 1 }
    for s in 0..<numSrc { tOffsets[s + 1] += tOffsets[s] }
    cursor.update(from: tOffsets, count: numSrc)
    for d in 0..<numDst {
      for e in Int(offsets[d])..<Int(offsets[d + 1]) {
        let s = Int(indices[e])
        tIndices[Int(cursor[s])] = Int32(d)
        cursor[s] += 1
      }
    }
  }
}
