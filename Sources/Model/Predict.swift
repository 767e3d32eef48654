import Tensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Inference helpers over decoder outputs (plain tensors; run the tape with
/// `isRecording = false, isTraining = false` to get them).
public enum Predict {
  /// Row-wise softmax (single-label class probabilities).
  public static func softmax(_ logits: Tensor) -> Tensor {
    var out = Tensor(rows: logits.rows, cols: logits.cols)
    logits.storage.withUnsafeBufferPointer { src in
      out.storage.withUnsafeMutableBufferPointer { dst in
        if logits.count > 0 { Kernels.softmaxRows(out: dst.baseAddress!, logits: src.baseAddress!, n: logits.rows, c: logits.cols) }
      }
    }
    return out
  }

  /// Elementwise logistic sigmoid (multilabel probabilities, or LP scores as probabilities).
  public static func sigmoid(_ logits: Tensor) -> Tensor {
    Tensor(rows: logits.rows, cols: logits.cols, storage: logits.storage.map { Kernels.stableSigmoid($0) })
  }

  /// Class probabilities as GraphStorm's `predict_proba`: sigmoid for multilabel or a
  /// one-column output, softmax otherwise.
  public static func probabilities(_ logits: Tensor, multilabel: Bool) -> Tensor {
    multilabel || logits.cols == 1 ? sigmoid(logits) : softmax(logits)
  }

  /// Hard class ids: the first largest logit per row (a one-column output: logit > 0).
  public static func classIds(_ logits: Tensor) -> [Int32] {
    (0..<logits.rows).map { i in
      if logits.cols == 1 { return logits[i, 0] > 0 ? 1 : 0 }
      var best = 0
      for j in 1..<logits.cols where logits[i, j] > logits[i, best] { best = j }
      return Int32(best)
    }
  }

  /// Multilabel hard labels: 1 where sigmoid(logit) > 0.5, i.e. logit > 0.
  public static func multilabelIds(_ logits: Tensor) -> Tensor {
    Tensor(rows: logits.rows, cols: logits.cols, storage: logits.storage.map { $0 > 0 ? 1 : 0 })
  }

  /// Regression values of a `[n × 1]` output.
  public static func values(_ output: Tensor) -> [Float] {
    precondition(output.cols == 1, "Predict.values: \(output.cols) columns")
    return output.storage
  }
}
