extension Kernels {
  /// PyTorch's `F.normalize` epsilon.
  public static let l2NormEpsilon: Float = 1e-12

  /// `out[i, :] = inp[i, :] / max(‖inp[i, :]‖₂, ε)`; `norms[i]` keeps the divisor for backward.
  public static func l2NormalizeRowsForward(out: Out, norms: Out, inp: In, n: Int, dim: Int) {
    parallelFor(n, grain: max(1, 16384 / max(dim, 1))) { lo, hi in
      for i in lo..<hi {
        let x = inp + i * dim, y = out + i * dim
        var s: Float = 0
        for j in 0..<dim { s += x[j] * x[j] }
        let nrm = max(s.squareRoot(), l2NormEpsilon)
        norms[i] = nrm
        let inv = 1 / nrm
        for j in 0..<dim { y[j] = x[j] * inv }
      }
    }
  }

  /// With `y = x/‖x‖`: `dx += (dy − y·(y·dy)) / ‖x‖`; rows clamped at ε get `dx += dy/ε`.
  public static func l2NormalizeRowsBackward(
    dInp: Out, dOut: In, out: In, norms: In, inp: In, n: Int, dim: Int
  ) {
    parallelFor(n, grain: max(1, 16384 / max(dim, 1))) { lo, hi in
      for i in lo..<hi {
        let dy = dOut + i * dim, y = out + i * dim, dx = dInp + i * dim
        let inv = 1 / norms[i]
        var clamped = norms[i] <= l2NormEpsilon
        if clamped {
          // Recompute to tell a true ε-norm from a clamped one.
          var s: Float = 0
          let x = inp + i * dim
          for j in 0..<dim { s += x[j] * x[j] }
          clamped = s.squareRoot() < l2NormEpsilon
        }
        if clamped {
          for j in 0..<dim { dx[j] += dy[j] * inv }
          continue
        }
        var dot: Float = 0
        for j in 0..<dim { dot += y[j] * dy[j] }
        for j in 0..<dim { dx[j] += (dy[j] - y[j] * dot) * inv }
      }
    }
  }
}
