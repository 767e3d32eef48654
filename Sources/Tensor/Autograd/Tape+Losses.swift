/// Losses on the tape: each returns a 1×1 scalar.
extension Tape {
  /// Mean (or class-weighted mean) softmax cross-entropy of `logits[n × c]` against class ids.
  /// Labels must lie in `0..<c` (checked here); `classWeights` has `c` entries.
  public func softmaxCrossEntropy(_ logits: Var, labels: [Int32], classWeights: [Float]? = nil) -> Var {
    let (n, c) = shape(logits), pl = value(logits)
    precondition(labels.count == n, "softmaxCrossEntropy: \(labels.count) labels for \(n) rows")
    for (i, y) in labels.enumerated() {
      precondition(y >= 0 && Int(y) < c, "softmaxCrossEntropy: label[\(i)] = \(y) outside 0..<\(c)")
    }
    if let classWeights { precondition(classWeights.count == c, "softmaxCrossEntropy: \(classWeights.count) class weights for \(c) classes") }
    let probs = workspace.allocate(n * c)
    let (v, out) = output(rows: 1, cols: 1, inputs: [logits]) { t, g, _ in
      labels.withUnsafeBufferPointer { lb in
        withOptionalBuffer(classWeights) { wb in
          Kernels.softmaxCrossEntropyBackward(dLogits: t.gradPointer(logits)!, dLoss: g[0], probs: probs,
                                              labels: lb.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                              classWeights: wb, n: n, c: c)
        }
      }
    }
    out[0] = labels.withUnsafeBufferPointer { lb in
      withOptionalBuffer(classWeights) { wb in
        Kernels.softmaxCrossEntropyForward(probs: probs, logits: pl,
                                           labels: lb.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                           classWeights: wb, n: n, c: c)
      }
    }
    return v
  }

  /// Mean binary cross-entropy with logits; `targets` is a tensor of the logits' shape;
  /// `posWeight` (PyTorch's `pos_weight`) and `weight` (its per-class `weight`) have one entry
  /// per column.
  public func bceWithLogits(_ logits: Var, targets: Var, posWeight: [Float]? = nil,
                            weight: [Float]? = nil) -> Var {
    let (n, c) = shape(logits), pl = value(logits), pt = value(targets)
    precondition(shape(targets) == (n, c), "bceWithLogits: targets \(shape(targets)) for logits \(n)×\(c)")
    if let posWeight { precondition(posWeight.count == c, "bceWithLogits: \(posWeight.count) weights for \(c) columns") }
    if let weight { precondition(weight.count == c, "bceWithLogits: \(weight.count) class weights for \(c) columns") }
    let (v, out) = output(rows: 1, cols: 1, inputs: [logits]) { t, g, _ in
      withOptionalBuffer(posWeight) { pwb in
        withOptionalBuffer(weight) { wb in
          Kernels.bceWithLogitsBackward(dLogits: t.gradPointer(logits)!, dLoss: g[0], logits: pl,
                                        targets: pt, posWeight: pwb, weight: wb, count: n * c, cols: c)
        }
      }
    }
    out[0] = withOptionalBuffer(posWeight) { pwb in
      withOptionalBuffer(weight) { wb in
        Kernels.bceWithLogitsForward(logits: pl, targets: pt, posWeight: pwb, weight: wb,
                                     count: n * c, cols: c)
      }
    }
    return v
  }

  /// Mean squared error between `pred` and `target` (same shapes; both may need gradients).
  public func mse(_ pred: Var, _ target: Var) -> Var {
    let (n, c) = shape(pred), pp = value(pred), pt = value(target)
    precondition(shape(target) == (n, c), "mse: target \(shape(target)) for prediction \(n)×\(c)")
    let (v, out) = output(rows: 1, cols: 1, inputs: [pred, target]) { t, g, _ in
      if let dp = t.gradPointer(pred) {
        Kernels.mseBackward(dPred: dp, dLoss: g[0], pred: pp, target: pt, count: n * c)
      }
      if let dt = t.gradPointer(target) {
        Kernels.mseBackward(dPred: dt, dLoss: g[0], pred: pt, target: pp, count: n * c)
      }
    }
    out[0] = Kernels.mseForward(pred: pp, target: pt, count: n * c)
    return v
  }
}

@inline(__always)
func withOptionalBuffer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let a else { return body(nil) }
  return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
