/// Dense ops on the tape: products, bias, activations, dropout, arithmetic.
extension Tape {
  /// `op(a) · op(b)`.
  public func matmul(_ a: Var, _ b: Var, transA: Bool = false, transB: Bool = false) -> Var {
    let (ar, ac) = shape(a), (br, bc) = shape(b)
    let m = transA ? ac : ar, k = transA ? ar : ac
    let k2 = transB ? bc : br, n = transB ? br : bc
    precondition(k == k2, "matmul: inner dimensions \(k) and \(k2) differ")
    let pa = value(a), pb = value(b)
    let (v, out) = output(rows: m, cols: n, inputs: [a, b]) { t, g, _ in
      Kernels.matmulBackward(dA: t.gradPointer(a), dB: t.gradPointer(b), dOut: g, a: pa, b: pb,
                             m: m, k: k, n: n, transA: transA, transB: transB)
    }
    Kernels.matmulForward(out: out, a: pa, b: pb, m: m, k: k, n: n, transA: transA, transB: transB)
    return v
  }

  /// `x[n × in] · w[in × out] + bias[1 × out]`.
  public func linear(_ x: Var, _ w: Var, bias: Var? = nil) -> Var {
    let (n, inDim) = shape(x), (wr, outDim) = shape(w)
    precondition(inDim == wr, "linear: input width \(inDim), weight rows \(wr)")
    if let bias { precondition(shape(bias) == (1, outDim), "linear: bias must be 1×\(outDim)") }
    let px = value(x), pw = value(w), pb = bias.map { value($0) }
    let (v, out) = output(rows: n, cols: outDim, inputs: [x, w] + (bias.map { [$0] } ?? [])) { t, g, _ in
      Kernels.linearBackward(dInp: t.gradPointer(x), dWeight: t.gradPointer(w),
                             dBias: bias.flatMap { t.gradPointer($0) }, dOut: g, inp: px,
                             weight: pw, n: n, inDim: inDim, outDim: outDim)
    }
    Kernels.linearForward(out: out, inp: px, weight: pw, bias: pb.map { UnsafePointer($0) }, n: n,
                          inDim: inDim, outDim: outDim)
    return v
  }

  /// `x + bias` with `bias` of shape 1 × cols broadcast over rows.
  public func addBias(_ x: Var, _ bias: Var) -> Var {
    let (n, d) = shape(x)
    precondition(shape(bias) == (1, d), "addBias: bias must be 1×\(d)")
    let px = value(x), pb = value(bias)
    let (v, out) = output(rows: n, cols: d, inputs: [x, bias]) { t, g, _ in
      if let dx = t.gradPointer(x) { Kernels.axpy(dst: dx, src: g, alpha: 1, count: n * d) }
      if let db = t.gradPointer(bias) { Kernels.biasAddBackward(dBias: db, dOut: g, n: n, dim: d) }
    }
    out.update(from: px, count: n * d)
    Kernels.biasAddForward(out: out, bias: pb, n: n, dim: d)
    return v
  }

  public func relu(_ x: Var) -> Var {
    let (r, c) = shape(x), px = value(x)
    let (v, out) = output(rows: r, cols: c, inputs: [x]) { t, g, o in
      Kernels.reluBackward(dInp: t.gradPointer(x)!, dOut: g, out: o, count: r * c)
    }
    Kernels.reluForward(out: out, inp: px, count: r * c)
    return v
  }

  public func leakyRelu(_ x: Var, slope: Float = 0.01) -> Var {
    let (r, c) = shape(x), px = value(x)
    let (v, out) = output(rows: r, cols: c, inputs: [x]) { t, g, _ in
      Kernels.leakyReluBackward(dInp: t.gradPointer(x)!, dOut: g, inp: px, count: r * c, slope: slope)
    }
    Kernels.leakyReluForward(out: out, inp: px, count: r * c, slope: slope)
    return v
  }

  public func sigmoid(_ x: Var) -> Var {
    let (r, c) = shape(x), px = value(x)
    let (v, out) = output(rows: r, cols: c, inputs: [x]) { t, g, o in
      Kernels.sigmoidBackward(dInp: t.gradPointer(x)!, dOut: g, out: o, count: r * c)
    }
    Kernels.sigmoidForward(out: out, inp: px, count: r * c)
    return v
  }

  public func tanh(_ x: Var) -> Var {
    let (r, c) = shape(x), px = value(x)
    let (v, out) = output(rows: r, cols: c, inputs: [x]) { t, g, o in
      Kernels.tanhBackward(dInp: t.gradPointer(x)!, dOut: g, out: o, count: r * c)
    }
    Kernels.tanhForward(out: out, inp: px, count: r * c)
    return v
  }

  /// Inverted dropout with a mask fixed by `seed`; the identity when `p == 0` or not training.
  public func dropout(_ x: Var, p: Float, seed: UInt64) -> Var {
    if p == 0 || !isTraining { return x }
    let (r, c) = shape(x), px = value(x)
    let mask = workspace.allocate(r * c)
    let (v, out) = output(rows: r, cols: c, inputs: [x]) { t, g, _ in
      Kernels.dropoutBackward(dInp: t.gradPointer(x)!, dOut: g, mask: mask, count: r * c)
    }
    Kernels.dropoutForward(out: out, mask: mask, inp: px, count: r * c, p: p, seed: seed)
    return v
  }

  /// `a + b` (same shapes).
  public func add(_ a: Var, _ b: Var) -> Var {
    let (r, c) = shape(a)
    precondition(shape(b) == (r, c), "add: shapes \(shape(a)) and \(shape(b)) differ")
    let (v, out) = output(rows: r, cols: c, inputs: [a, b]) { t, g, _ in
      if let da = t.gradPointer(a) { Kernels.axpy(dst: da, src: g, alpha: 1, count: r * c) }
      if let db = t.gradPointer(b) { Kernels.axpy(dst: db, src: g, alpha: 1, count: r * c) }
    }
    Kernels.addForward(out: out, a: value(a), b: value(b), count: r * c)
    return v
  }

  /// `alpha · x`.
  public func scale(_ x: Var, _ alpha: Float) -> Var {
    let (r, c) = shape(x)
    let (v, out) = output(rows: r, cols: c, inputs: [x]) { t, g, _ in
      Kernels.axpy(dst: t.gradPointer(x)!, src: g, alpha: alpha, count: r * c)
    }
    Kernels.scaleForward(out: out, inp: value(x), alpha: alpha, count: r * c)
    return v
  }

  /// `Σ weights[i] · terms[i]` of 1×1 scalars (the weighted multi-task loss).
  public func weightedSum(_ terms: [Var], weights: [Float]) -> Var {
    precondition(terms.count == weights.count, "weightedSum: \(terms.count) terms, \(weights.count) weights")
    for s in terms { precondition(shape(s) == (1, 1), "weightedSum takes 1×1 scalars") }
    let (v, out) = output(rows: 1, cols: 1, inputs: terms) { t, g, _ in
      for (s, w) in zip(terms, weights) { t.gradPointer(s)?[0] += w * g[0] }
    }
    var total: Float = 0
    for (s, w) in zip(terms, weights) { total += w * value(s)[0] }
    out[0] = total
    return v
  }

  /// `Σ x²` as a 1×1 scalar (the L2 penalty's building block).
  public func sumSquares(_ x: Var) -> Var {
    let (r, c) = shape(x), px = value(x)
    let (v, out) = output(rows: 1, cols: 1, inputs: [x]) { t, g, _ in
      Kernels.sumSquaresBackward(dInp: t.gradPointer(x)!, dOut: g[0], inp: px, count: r * c)
    }
    out[0] = Kernels.sumSquaresForward(inp: px, count: r * c)
    return v
  }

  /// `a ⊙ b` (same shapes).
  public func mul(_ a: Var, _ b: Var) -> Var {
    let (r, c) = shape(a)
    precondition(shape(b) == (r, c), "mul: shapes \(shape(a)) and \(shape(b)) differ")
    let pa = value(a), pb = value(b)
    let (v, out) = output(rows: r, cols: c, inputs: [a, b]) { t, g, _ in
      Kernels.mulBackward(dA: t.gradPointer(a), dB: t.gradPointer(b), dOut: g, a: pa, b: pb, count: r * c)
    }
    Kernels.mulForward(out: out, a: pa, b: pb, count: r * c)
    return v
  }

  /// Row-wise dot product: `[n × d] · [n × d] → [n × 1]`.
  public func rowDot(_ a: Var, _ b: Var) -> Var {
    let (n, d) = shape(a)
    precondition(shape(b) == (n, d), "rowDot: shapes \(shape(a)) and \(shape(b)) differ")
    let pa = value(a), pb = value(b)
    let (v, out) = output(rows: n, cols: 1, inputs: [a, b]) { t, g, _ in
      Kernels.rowDotBackward(dA: t.gradPointer(a), dB: t.gradPointer(b), dOut: g, a: pa, b: pb, n: n, dim: d)
    }
    Kernels.rowDotForward(out: out, a: pa, b: pb, n: n, dim: d)
    return v
  }

  /// `x / max(‖x‖₂, ε)` per row.
  public func l2NormalizeRows(_ x: Var) -> Var {
    let (n, d) = shape(x), px = value(x)
    let norms = workspace.allocate(n)
    let (v, out) = output(rows: n, cols: d, inputs: [x]) { t, g, o in
      Kernels.l2NormalizeRowsBackward(dInp: t.gradPointer(x)!, dOut: g, out: o, norms: norms,
                                      inp: px, n: n, dim: d)
    }
    Kernels.l2NormalizeRowsForward(out: out, norms: norms, inp: px, n: n, dim: d)
    return v
  }

  /// The same elements read as `rows × cols` (row-major order kept; a copy, so the result is
  /// an ordinary node). `rows · cols` must equal the input's element count.
  public func reshape(_ x: Var, rows: Int, cols: Int) -> Var {
    let (r, c) = shape(x), px = value(x)
    precondition(rows >= 0 && cols >= 0 && rows * cols == r * c,
                 "reshape: \(r)×\(c) cannot be read as \(rows)×\(cols)")
    let (v, out) = output(rows: rows, cols: cols, inputs: [x]) { t, g, _ in
      Kernels.axpy(dst: t.gradPointer(x)!, src: g, alpha: 1, count: r * c)
    }
    if r * c > 0 { out.update(from: px, count: r * c) }
    return v
  }

  /// The parts side by side: `[n × w₀] ‖ [n × w₁] ‖ … → [n × Σw]`.
  public func concatCols(_ parts: [Var]) -> Var {
    precondition(!parts.isEmpty, "concatCols of nothing")
    let n = shape(parts[0]).rows
    let widths = parts.map { shape($0).cols }
    for p in parts { precondition(shape(p).rows == n, "concatCols: row counts differ") }
    let ptrs = parts.map { UnsafePointer(value($0)) }
    let (v, out) = output(rows: n, cols: widths.reduce(0, +), inputs: parts) { t, g, _ in
      Kernels.concatColsBackward(dParts: parts.map { t.gradPointer($0) }, widths: widths, dOut: g, n: n)
    }
    Kernels.concatColsForward(out: out, parts: ptrs, widths: widths, n: n)
    return v
  }
}
