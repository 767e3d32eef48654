extension Kernels {
  /// `out = a + b` (same shapes).
  public static func addForward(out: Out, a: In, b: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { out[i] = a[i] + b[i] }
    }
  }

  /// `dst += alpha · src`.
  public static func axpy(dst: Out, src: In, alpha: Float, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      if alpha == 1 {
        for i in lo..<hi { dst[i] += src[i] }
      } else {
        for i in lo..<hi { dst[i] += alpha * src[i] }
      }
    }
  }

  /// `out = alpha · inp`.
  public static func scaleForward(out: Out, inp: In, alpha: Float, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { out[i] = alpha * inp[i] }
    }
  }

  /// `out = a ⊙ b`.
  public static func mulForward(out: Out, a: In, b: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { out[i] = a[i] * b[i] }
    }
  }

  /// `dA += dOut ⊙ b`, `dB += dOut ⊙ a`.
  public static func mulBackward(dA: Out?, dB: Out?, dOut: In, a: In, b: In, count n: Int) {
    if let dA { mulAccumulate(dInp: dA, dOut: dOut, other: b, count: n) }
    if let dB { mulAccumulate(dInp: dB, dOut: dOut, other: a, count: n) }
  }

  /// `dInp += dOut ⊙ other`.
  public static func mulAccumulate(dInp: Out, dOut: In, other: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { dInp[i] += dOut[i] * other[i] }
    }
  }

  /// `out[n × 1] = Σ_j a[i, j] · b[i, j]` — the row-wise dot product.
  public static func rowDotForward(out: Out, a: In, b: In, n: Int, dim: Int) {
    parallelFor(n, grain: max(1, 16384 / max(dim, 1))) { lo, hi in
      for i in lo..<hi {
        let ra = a + i * dim, rb = b + i * dim
        var s: Float = 0
        for j in 0..<dim { s += ra[j] * rb[j] }
        out[i] = s
      }
    }
  }

  /// `dA[i, :] += dOut[i] · b[i, :]`, `dB[i, :] += dOut[i] · a[i, :]`.
  public static func rowDotBackward(dA: Out?, dB: Out?, dOut: In, a: In, b: In, n: Int, dim: Int) {
    parallelFor(n, grain: max(1, 16384 / max(dim, 1))) { lo, hi in
      for i in lo..<hi {
        let g = dOut[i]
        if let dA {
          let d = dA + i * dim, rb = b + i * dim
          for j in 0..<dim { d[j] += g * rb[j] }
        }
        if let dB {
          let d = dB + i * dim, ra = a + i * dim
          for j in 0..<dim { d[j] += g * ra[j] }
        }
      }
    }
  }

  /// `out = Σ inp²` over `count` elements, accumulated in Double.
  public static func sumSquaresForward(inp: In, count n: Int) -> Float {
    var s: Double = 0
    for i in 0..<n { s += Double(inp[i]) * Double(inp[i]) }
    return Float(s)
  }

  /// `dInp += 2 · dOut · inp`.
  public static func sumSquaresBackward(dInp: Out, dOut: Float, inp: In, count n: Int) {
    axpy(dst: dInp, src: inp, alpha: 2 * dOut, count: n)
  }

  // MARK: Concatenation along columns

  /// `out[n × Σwidths]` = the parts `[n × widths[p]]` side by side.
  public static func concatColsForward(out: Out, parts: [In], widths: [Int], n: Int) {
    let total = widths.reduce(0, +)
    parallelFor(n, grain: max(1, 16384 / max(total, 1))) { lo, hi in
      for i in lo..<hi {
        var col = 0
        for p in 0..<parts.count {
          let w = widths[p]
          (out + i * total + col).update(from: parts[p] + i * w, count: w)
          col += w
        }
      }
    }
  }

  /// `dParts[p] += the matching column slice of dOut` (nil parts need no gradient).
  public static func concatColsBackward(dParts: [Out?], widths: [Int], dOut: In, n: Int) {
    let total = widths.reduce(0, +)
    parallelFor(n, grain: max(1, 16384 / max(total, 1))) { lo, hi in
      for i in lo..<hi {
        var col = 0
        for p in 0..<dParts.count {
          let w = widths[p]
          if let d = dParts[p] {
            let dst = d + i * w, src = dOut + i * total + col
            for j in 0..<w { dst[j] += src[j] }
          }
          col += w
        }
      }
    }
  }
}

extension Kernels {
  /// `dst[i, 0..<cols] = src[i, 0..<cols]` for `i < rows`, rows `dstStride` / `srcStride` apart.
  public static func copyStridedRows(dst: Out, dstStride: Int, src: In, srcStride: Int, rows: Int, cols: Int) {
    parallelFor(rows, grain: max(1, 16384 / max(cols, 1))) { lo, hi in
      for i in lo..<hi { (dst + i * dstStride).update(from: src + i * srcStride, count: cols) }
    }
  }

  /// `dst[i, 0..<cols] += src[i, 0..<cols]` for `i < rows`, rows `dstStride` / `srcStride` apart.
  public static func addStridedRows(dst: Out, dstStride: Int, src: In, srcStride: Int, rows: Int, cols: Int) {
    parallelFor(rows, grain: max(1, 16384 / max(cols, 1))) { lo, hi in
      for i in lo..<hi { addRow(dst + i * dstStride, src + i * srcStride, cols) }
    }
  }
}
