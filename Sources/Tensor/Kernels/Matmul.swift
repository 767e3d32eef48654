extension Kernels {
  // MARK: General product

  /// `out[m × n] = op(a) · op(b)`; `op(a)` is `m × k` (a stored `k × m` when `transA`), `op(b)`
  /// is `k × n` (b stored `n × k` when `transB`).
  public static func matmulForward(
    out: Out, a: In, b: In, m: Int, k: Int, n: Int, transA: Bool, transB: Bool
  ) {
    BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
               a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n, beta: 0, c: out, ldc: n)
  }

  /// Accumulates `dA` (stored like `a`) and `dB` (stored like `b`) from `dOut[m × n]`.
  /// Either gradient may be nil when that input needs none.
  public static func matmulBackward(
    dA: Out?, dB: Out?, dOut: In, a: In, b: In, m: Int, k: Int, n: Int,
    transA: Bool, transB: Bool
  ) {
    if let dA {
      if !transA {
        // dA[m×k] += dOut[m×n] · op(b)ᵀ[n×k]
        BLAS.sgemm(transA: false, transB: !transB, m: m, n: k, k: n, alpha: 1,
                   a: dOut, lda: n, b: b, ldb: transB ? k : n, beta: 1, c: dA, ldc: k)
      } else {
        // dA stored [k×m] += op(b)[k×n] · dOutᵀ[n×m]
        BLAS.sgemm(transA: transB, transB: true, m: k, n: m, k: n, alpha: 1,
                   a: b, lda: transB ? k : n, b: dOut, ldb: n, beta: 1, c: dA, ldc: m)
      }
    }
    if let dB {
      if !transB {
        // dB[k×n] += op(a)ᵀ[k×m] · dOut[m×n]
        BLAS.sgemm(transA: !transA, transB: false, m: k, n: n, k: m, alpha: 1,
                   a: a, lda: transA ? m : k, b: dOut, ldb: n, beta: 1, c: dB, ldc: n)
      } else {
        // dB stored [n×k] += dOutᵀ[n×m] · op(a)[m×k]
        BLAS.sgemm(transA: true, transB: transA, m: n, n: k, k: m, alpha: 1,
                   a: dOut, lda: n, b: a, ldb: transA ? m : k, beta: 1, c: dB, ldc: k)
      }
    }
  }

  // MARK: Linear layer

  /// `out[n × outDim] = inp[n × inDim] · weight[inDim × outDim] (+ bias[outDim])`. The bias is
  /// added to each block of rows right after the product writes it (still in cache).
  public static func linearForward(
    out: Out, inp: In, weight: In, bias: In?, n: Int, inDim: Int, outDim: Int
  ) {
    guard let bias else {
      BLAS.sgemm(transA: false, transB: false, m: n, n: outDim, k: inDim, alpha: 1,
                 a: inp, lda: inDim, b: weight, ldb: outDim, beta: 0, c: out, ldc: outDim)
      return
    }
    BLAS.sgemm(transA: false, transB: false, m: n, n: outDim, k: inDim, alpha: 1,
               a: inp, lda: inDim, b: weight, ldb: outDim, beta: 0, c: out, ldc: outDim) { lo, hi in
      for i in lo..<hi { addRow(out + i * outDim, bias, outDim) }
    }
  }

  /// Accumulates `dInp`, `dWeight`, `dBias` from `dOut[n × outDim]`.
  public static func linearBackward(
    dInp: Out?, dWeight: Out?, dBias: Out?, dOut: In, inp: In, weight: In,
    n: Int, inDim: Int, outDim: Int
  ) {
    if let dInp {
      BLAS.sgemm(transA: false, transB: true, m: n, n: inDim, k: outDim, alpha: 1,
                 a: dOut, lda: outDim, b: weight, ldb: outDim, beta: 1, c: dInp, ldc: inDim)
    }
    if let dWeight {
      BLAS.sgemm(transA: true, transB: false, m: inDim, n: outDim, k: n, alpha: 1,
                 a: inp, lda: inDim, b: dOut, ldb: outDim, beta: 1, c: dWeight, ldc: outDim)
    }
    if let dBias { biasAddBackward(dBias: dBias, dOut: dOut, n: n, dim: outDim) }
  }

  // MARK: Bias

  /// `out[i, :] += bias[dim]` for every row of `out[n × dim]` (in place).
  public static func biasAddForward(out: Out, bias: In, n: Int, dim: Int) {
    parallelFor(n, grain: max(1, 16384 / max(dim, 1))) { lo, hi in
      for i in lo..<hi { addRow(out + i * dim, bias, dim) }
    }
  }

  /// `dBias[dim] += Σ_i dOut[i, :]`. Each column is summed in row order starting from its
  /// `dBias` value (the order of the plain loop), 64 columns at a time in registers; workers
  /// split the columns, so every thread count gives the same bits.
  public static func biasAddBackward(dBias: Out, dOut: In, n: Int, dim: Int) {
    parallelColumns(items: n, dim: dim) { c0, c1 in
      var c = c0
      let raw = UnsafeRawPointer(dOut), acc = UnsafeMutableRawPointer(dBias)
      let stride = dim * 4
      while c + 64 <= c1 {
        let off = c * 4
        var a0 = acc.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self)
        var a1 = acc.loadUnaligned(fromByteOffset: off + 64, as: SIMD16<Float>.self)
        var a2 = acc.loadUnaligned(fromByteOffset: off + 128, as: SIMD16<Float>.self)
        var a3 = acc.loadUnaligned(fromByteOffset: off + 192, as: SIMD16<Float>.self)
        var p = raw + off
        for _ in 0..<n {
          a0 += p.loadUnaligned(as: SIMD16<Float>.self)
          a1 += p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
          a2 += p.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
          a3 += p.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
          p += stride
        }
        acc.storeBytes(of: a0, toByteOffset: off, as: SIMD16<Float>.self)
        acc.storeBytes(of: a1, toByteOffset: off + 64, as: SIMD16<Float>.self)
        acc.storeBytes(of: a2, toByteOffset: off + 128, as: SIMD16<Float>.self)
        acc.storeBytes(of: a3, toByteOffset: off + 192, as: SIMD16<Float>.self)
        c += 64
      }
      while c + 16 <= c1 {
        var a = acc.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self)
        var p = raw + c * 4
        for _ in 0..<n {
          a += p.loadUnaligned(as: SIMD16<Float>.self)
          p += stride
        }
        acc.storeBytes(of: a, toByteOffset: c * 4, as: SIMD16<Float>.self)
        c += 16
      }
      while c < c1 {
        var a = dBias[c]
        for i in 0..<n { a += dOut[i * dim + c] }
        dBias[c] = a
        c += 1
      }
    }
  }
}
