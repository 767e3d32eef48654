import CKernels

/// Gathers and the message-passing primitive: destination-sorted segment reductions over a CSR.
///
/// A block's edges are sorted by destination: destination `d` owns edges
/// `offsets[d] ..< offsets[d + 1]`, and edge `e` reads source row `indices[e]`. Forward passes
/// split destination ranges across workers (each writes only its own rows); backward passes
/// scatter into source rows, so they split the feature columns instead.
///
/// Both directions are memory-bound at GNN widths: each edge touches one random source row
/// (a read forward, a read-modify-write backward). What keeps them near the machine's random-row
/// rate: one pass over a segment's edges per 64-column register panel (backward: the scaled
/// gradient panel held in registers), whole rows prefetched a few edges ahead of use, no per-edge
/// division, no transpose, and huge-page-backed buffers
/// (`Workspace`), without which nearly every row read misses the TLB.
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

  /// Whether the segment kernels run their AVX2 build (`CKernels/segment.c`: the same loops and
  /// the same bits, ~1.1× faster here) instead of the portable Swift loops, which Swift compiles
  /// for baseline x86-64 (SSE2). On when the CPU has AVX2; tests turn it off to check both.
  nonisolated(unsafe) public static var segmentUsesAVX2 = gust_segment_avx2_available() != 0

  /// Edges ahead of the current one whose source rows are prefetched (into L1, whole rows):
  /// far enough to hide most of an L3 hit, near enough that the rows in flight fit the core's
  /// miss buffers. A second, farther stage into L2 measured slower here (~0.85×), so there is one.
  static let prefetchDistance = 12

  /// Prefetches the `span` floats (default: the whole row) of row `indices[e]` of `base`.
  @inline(__always)
  static func prefetchRow(_ base: UnsafePointer<Float>, _ indices: UnsafePointer<Int32>, _ e: Int,
                          end: Int, dim: Int, span: Int? = nil) {
    if e >= end { return }
    let n = span ?? dim
    let row = UnsafeRawPointer(base + Int(indices[e]) &* dim)
    var off = 0
    while off < n &* 4 {
      gust_prefetch_read(row + off)
      off &+= 64
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
  /// Each destination row is built in register panels (`reduceRowPanels`), so the output is
  /// written once instead of once per edge. `outStride` (default `dim`) spaces the output rows.
  public static func segmentReduceForward(
    out: Out, inp: In, offsets: UnsafePointer<Int32>, indices: UnsafePointer<Int32>,
    numDst: Int, dim: Int, mean: Bool, outStride: Int? = nil
  ) {
    let ldo = outStride ?? dim
    let totalEdges = numDst > 0 ? Int(offsets[numDst]) : 0
    let avgDeg = numDst > 0 ? max(1, totalEdges / numDst) : 1
    let wide = segmentUsesAVX2
    parallelFor(numDst, grain: max(1, 8192 / max(1, avgDeg * dim / 8))) { lo, hi in
      if wide {
        gust_segment_forward_avx2(out, ldo, inp, offsets, indices, lo, hi, dim, mean ? 1 : 0, prefetchDistance)
        return
      }
      for d in lo..<hi {
        let row = out + d * ldo
        let e0 = Int(offsets[d]), e1 = Int(offsets[d + 1])
        let s: Float = mean && e1 > e0 ? 1 / Float(e1 - e0) : 1
        reduceRowPanels(row, inp, indices, e0, e1, dim: dim, scale: s, prefetchEnd: totalEdges)
      }
    }
  }

  /// `row = scale · Σ_{e ∈ e0..<e1} inp[indices[e], :]`, by register panels of 64 columns
  /// (then one of 32, one of 16 and a scalar tail): one pass over the segment's edges per panel.
  @inline(__always)
  static func reduceRowPanels(
    _ row: Out, _ inp: In, _ indices: UnsafePointer<Int32>, _ e0: Int, _ e1: Int, dim: Int,
    scale: Float, prefetchEnd: Int
  ) {
    let raw = UnsafeRawPointer(inp), out = UnsafeMutableRawPointer(row)
    let stride = dim * 4
    var c = 0
    var first = true
    while c + 64 <= dim {
      sumPanel(SIMD16<Float>.self, out, raw, indices, e0, e1, stride: stride, offset: c * 4, scale: scale,
               prefetch: first ? (inp, prefetchEnd, dim) : nil)
      first = false
      c += 64
    }
    if c + 32 <= dim {
      sumPanel(SIMD8<Float>.self, out, raw, indices, e0, e1, stride: stride, offset: c * 4, scale: scale,
               prefetch: first ? (inp, prefetchEnd, dim) : nil)
      first = false
      c += 32
    }
    if c + 16 <= dim {
      sumPanel(SIMD4<Float>.self, out, raw, indices, e0, e1, stride: stride, offset: c * 4, scale: scale,
               prefetch: first ? (inp, prefetchEnd, dim) : nil)
      c += 16
    }
    while c < dim {
      var a: Float = 0
      for e in e0..<e1 { a += inp[Int(indices[e]) * dim + c] }
      row[c] = a * scale
      c += 1
    }
  }

  /// One panel of `4 × V.scalarCount` columns at byte `offset`: `out = scale · Σ_e src[e]`, the
  /// sum kept in four vector registers. With `prefetch`, whole source rows `prefetchDistance`
  /// edges ahead are requested (the first panel of a row does this for all of them).
  @inline(__always)
  static func sumPanel<V: SIMD>(
    _: V.Type, _ out: UnsafeMutableRawPointer, _ raw: UnsafeRawPointer, _ indices: UnsafePointer<Int32>,
    _ e0: Int, _ e1: Int, stride: Int, offset: Int, scale: Float,
    prefetch: (base: In, end: Int, dim: Int)?
  ) where V.Scalar == Float {
    let w = MemoryLayout<V>.size
    var a0 = V(), a1 = V(), a2 = V(), a3 = V()
    for e in e0..<e1 {
      if let pf = prefetch { prefetchRow(pf.base, indices, e + prefetchDistance, end: pf.end, dim: pf.dim) }
      let p = raw + Int(indices[e]) * stride + offset
      a0 += p.loadUnaligned(as: V.self)
      a1 += p.loadUnaligned(fromByteOffset: w, as: V.self)
      a2 += p.loadUnaligned(fromByteOffset: 2 * w, as: V.self)
      a3 += p.loadUnaligned(fromByteOffset: 3 * w, as: V.self)
    }
    let s = V(repeating: scale)
    out.storeBytes(of: a0 * s, toByteOffset: offset, as: V.self)
    out.storeBytes(of: a1 * s, toByteOffset: offset + w, as: V.self)
    out.storeBytes(of: a2 * s, toByteOffset: offset + 2 * w, as: V.self)
    out.storeBytes(of: a3 * s, toByteOffset: offset + 3 * w, as: V.self)
  }

  /// `dInp[indices[e], :] += w(d) · dOut[d, :]` for every edge `e` of every destination `d`
  /// (`w(d) = 1/len(d)` for means, else 1): the scatter that is the adjoint of the segment
  /// reduction, over the forward CSR itself (no transpose). Workers split the columns (in
  /// multiples of 8 floats), so each element of `dInp` receives its terms in edge order whatever
  /// the thread count: the result is bit-identical for every `Threads.count`. `dInp` has
  /// `numSrc × dim` floats; `dOut` rows are `dOutStride` (default `dim`) apart.
  public static func segmentReduceBackward(
    dInp: Out, dOut: In, offsets: UnsafePointer<Int32>, indices: UnsafePointer<Int32>,
    numDst: Int, dim: Int, mean: Bool, dOutStride: Int? = nil
  ) {
    let ldg = dOutStride ?? dim
    let totalEdges = numDst > 0 ? Int(offsets[numDst]) : 0
    let wide = segmentUsesAVX2
    parallelColumns(items: totalEdges, dim: dim) { c0, c1 in
      if wide {
        gust_segment_backward_avx2(dInp, dOut, ldg, offsets, indices, numDst, c0, c1, dim, mean ? 1 : 0,
                                   prefetchDistance)
        return
      }
      let base = UnsafeMutableRawPointer(dInp + c0)
      for d in 0..<numDst {
        let e0 = Int(offsets[d]), e1 = Int(offsets[d + 1])
        if e0 == e1 { continue }
        let w: Float = mean ? 1 / Float(e1 - e0) : 1
        scatterRowPanels(base, UnsafeRawPointer(dOut + d * ldg + c0), indices, e0, e1, columns: c1 - c0,
                         dim: dim, scale: w, prefetchEnd: totalEdges)
      }
    }
  }

  /// `inp[indices[e], 0..<columns] += scale · g[0..<columns]` for `e ∈ e0..<e1` (`inp` rows are
  /// `dim` floats apart), by register panels as in `reduceRowPanels`: the scaled gradient panel
  /// stays in registers while the segment's source rows are updated.
  @inline(__always)
  static func scatterRowPanels(
    _ inp: UnsafeMutableRawPointer, _ g: UnsafeRawPointer, _ indices: UnsafePointer<Int32>, _ e0: Int,
    _ e1: Int, columns: Int, dim: Int, scale: Float, prefetchEnd: Int
  ) {
    let stride = dim * 4
    let pf = (base: UnsafePointer(inp.assumingMemoryBound(to: Float.self)), end: prefetchEnd, dim: dim, span: columns)
    var c = 0
    var first = true
    while c + 64 <= columns {
      scatterPanel(SIMD16<Float>.self, inp, g, indices, e0, e1, stride: stride, offset: c * 4, scale: scale,
                   prefetch: first ? pf : nil)
      first = false
      c += 64
    }
    if c + 32 <= columns {
      scatterPanel(SIMD8<Float>.self, inp, g, indices, e0, e1, stride: stride, offset: c * 4, scale: scale,
                   prefetch: first ? pf : nil)
      first = false
      c += 32
    }
    if c + 16 <= columns {
      scatterPanel(SIMD4<Float>.self, inp, g, indices, e0, e1, stride: stride, offset: c * 4, scale: scale,
                   prefetch: first ? pf : nil)
      c += 16
    }
    let gs = g.assumingMemoryBound(to: Float.self)
    while c < columns {
      let v = scale * gs[c]
      for e in e0..<e1 {
        let p = (inp + Int(indices[e]) * stride).assumingMemoryBound(to: Float.self)
        p[c] += v
      }
      c += 1
    }
  }

  /// One panel of `4 × V.scalarCount` columns at byte `offset`: `src[e] += scale · g` for every
  /// edge, the scaled `g` kept in four vector registers (`scale · g` then one add per element:
  /// the same rounding as `addScaledRow`). With `prefetch`, `span` floats of the rows
  /// `prefetchDistance` edges ahead are requested (the first panel does this for all panels).
  @inline(__always)
  static func scatterPanel<V: SIMD>(
    _: V.Type, _ inp: UnsafeMutableRawPointer, _ g: UnsafeRawPointer, _ indices: UnsafePointer<Int32>,
    _ e0: Int, _ e1: Int, stride: Int, offset: Int, scale: Float,
    prefetch: (base: In, end: Int, dim: Int, span: Int)?
  ) where V.Scalar == Float {
    let w = MemoryLayout<V>.size
    let s = V(repeating: scale)
    let g0 = s * g.loadUnaligned(fromByteOffset: offset, as: V.self)
    let g1 = s * g.loadUnaligned(fromByteOffset: offset + w, as: V.self)
    let g2 = s * g.loadUnaligned(fromByteOffset: offset + 2 * w, as: V.self)
    let g3 = s * g.loadUnaligned(fromByteOffset: offset + 3 * w, as: V.self)
    for e in e0..<e1 {
      if let pf = prefetch {
        prefetchRow(pf.base, indices, e + prefetchDistance, end: pf.end, dim: pf.dim, span: pf.span)
      }
      let p = inp + Int(indices[e]) * stride + offset
      p.storeBytes(of: p.loadUnaligned(as: V.self) + g0, as: V.self)
      p.storeBytes(of: p.loadUnaligned(fromByteOffset: w, as: V.self) + g1, toByteOffset: w, as: V.self)
      p.storeBytes(of: p.loadUnaligned(fromByteOffset: 2 * w, as: V.self) + g2, toByteOffset: 2 * w, as: V.self)
      p.storeBytes(of: p.loadUnaligned(fromByteOffset: 3 * w, as: V.self) + g3, toByteOffset: 3 * w, as: V.self)
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
