#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Losses. Each forward returns the scalar loss (accumulated in Double) and stores what its
/// backward needs in caller-provided buffers; each backward takes `dLoss`, the gradient of the
/// scalar, and accumulates into the logits' or predictions' gradient. Reductions follow
/// PyTorch's defaults (`reduction='mean'`), so losses match GraphStorm's numerically.
extension Kernels {
  // MARK: Softmax + cross-entropy (fused)

  /// `probs[n × c] = softmax(logits)` row-wise; returns
  /// `Σ_i w[y_i]·(−log p_i[y_i]) / Σ_i w[y_i]` (w ≡ 1 without class weights; 0 when n == 0).
  /// Labels must lie in `0..<c` (checked by the caller).
  public static func softmaxCrossEntropyForward(
    probs: Out, logits: In, labels: UnsafePointer<Int32>, classWeights: In?, n: Int, c: Int
  ) -> Float {
    softmaxRows(out: probs, logits: logits, n: n, c: c)
    var loss: Double = 0, wsum: Double = 0
    for i in 0..<n {
      let y = Int(labels[i])
      let w = Double(classWeights?[y] ?? 1)
      loss -= w * log(max(Double(probs[i * c + y]), 1e-30))
      wsum += w
    }
    return wsum > 0 ? Float(loss / wsum) : 0
  }

  /// `dLogits[i, :] += dLoss · w[y_i] / Σw · (p_i − onehot(y_i))`.
  public static func softmaxCrossEntropyBackward(
    dLogits: Out, dLoss: Float, probs: In, labels: UnsafePointer<Int32>, classWeights: In?,
    n: Int, c: Int
  ) {
    var wsum: Double = 0
    for i in 0..<n { wsum += Double(classWeights?[Int(labels[i])] ?? 1) }
    if wsum == 0 { return }
    let base = Double(dLoss) / wsum
    for i in 0..<n {
      let y = Int(labels[i])
      let g = Float(base * Double(classWeights?[y] ?? 1))
      let d = dLogits + i * c, p = probs + i * c
      for j in 0..<c { d[j] += g * p[j] }
      d[y] -= g
    }
  }

  /// Row-wise softmax, max-subtracted.
  public static func softmaxRows(out: Out, logits: In, n: Int, c: Int) {
    parallelFor(n, grain: max(1, 8192 / max(c, 1))) { lo, hi in
      for i in lo..<hi {
        let x = logits + i * c, p = out + i * c
        var m = -Float.infinity
        for j in 0..<c { m = max(m, x[j]) }
        var s: Float = 0
        for j in 0..<c {
          let e = expf(x[j] - m)
          p[j] = e
          s += e
        }
        let inv = 1 / s
        for j in 0..<c { p[j] *= inv }
      }
    }
  }

  // MARK: Binary cross-entropy with logits

  /// Mean over all `count` elements of
  /// `−w·[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))]`, with `pw` = `posWeight[j]` and
  /// `w` = `weight[j]` for column `j = i mod cols` (1 without them), in PyTorch's overflow-free
  /// form (`BCEWithLogitsLoss(weight:pos_weight:)`, `reduction='mean'`: divided by `count`).
  public static func bceWithLogitsForward(
    logits: In, targets: In, posWeight: In?, weight: In? = nil, count n: Int, cols: Int
  ) -> Float {
    if n == 0 { return 0 }
    var s: Double = 0
    for i in 0..<n {
      let x = Double(logits[i]), y = Double(targets[i])
      let pw = Double(posWeight?[i % cols] ?? 1)
      let w = Double(weight?[i % cols] ?? 1)
      let lw = (pw - 1) * y + 1
      s += w * ((1 - y) * x + lw * (log1p(exp(-abs(x))) + max(-x, 0)))
    }
    return Float(s / Double(n))
  }

  /// `dLogits += dLoss/count · w · ((1 − y) − lw · σ(−x))`, `lw = (pw − 1)·y + 1`.
  public static func bceWithLogitsBackward(
    dLogits: Out, dLoss: Float, logits: In, targets: In, posWeight: In?, weight: In? = nil,
    count n: Int, cols: Int
  ) {
    if n == 0 { return }
    let scale = dLoss / Float(n)
    for i in 0..<n {
      let y = targets[i]
      let pw = posWeight?[i % cols] ?? 1
      let w = weight?[i % cols] ?? 1
      let lw = (pw - 1) * y + 1
      dLogits[i] += scale * w * ((1 - y) - lw * stableSigmoid(-logits[i]))
    }
  }

  // MARK: Mean squared error

  /// `mean((pred − target)²)` over `count` elements.
  public static func mseForward(pred: In, target: In, count n: Int) -> Float {
    if n == 0 { return 0 }
    var s: Double = 0
    for i in 0..<n {
      let d = Double(pred[i]) - Double(target[i])
      s += d * d
    }
    return Float(s / Double(n))
  }

  /// `dPred += dLoss · 2 (pred − target) / count`.
  public static func mseBackward(dPred: Out, dLoss: Float, pred: In, target: In, count n: Int) {
    if n == 0 { return }
    let s = 2 * dLoss / Float(n)
    for i in 0..<n { dPred[i] += s * (pred[i] - target[i]) }
  }
}
