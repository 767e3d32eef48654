import Config
import Model
import Tensor

/// What one task's evaluation accumulates over its batches; metrics are exact functions of it
/// (counts merge across batches, and later across ranks).
public enum MetricAccumulator {
  case classification(confusion: ConfusionCounts, scores: [Float], labels: [Int32], numClasses: Int)
  case multilabel(scores: [Float], targets: [Float], numClasses: Int)
  case regression(RegressionCounts)
  case ranking(RankingCounts)

  public static func make(for task: TaskPlan) -> MetricAccumulator {
    switch task.spec.kind {
    case .nodeClassification(_, let c), .edgeClassification(_, _, let c):
      return c.multilabel ? .multilabel(scores: [], targets: [], numClasses: c.numClasses)
        : .classification(confusion: ConfusionCounts(numClasses: c.numClasses), scores: [], labels: [], numClasses: c.numClasses)
    case .linkPrediction:
      let ks = task.config.evalMetrics.compactMap { m -> Int? in if case .hitAt(let k) = m { return k } else { return nil } }
      return .ranking(RankingCounts(hitsAt: ks))
    default:
      return .regression(RegressionCounts())
    }
  }

  /// The value of `metric` (nil when it cannot be computed, e.g. ROC-AUC with one class).
  public func value(_ metric: EvalMetric) -> Double? {
    switch self {
    case .classification(let cm, let scores, let labels, let k):
      let probs = Tensor(rows: labels.count, cols: k, storage: scores)
      switch metric {
      case .accuracy: return cm.accuracy
      case .f1Score: return cm.macroF1
      case .rocAuc: return Metrics.rocAUC(scores: probs, labels: labels)
      case .precisionRecall: return Metrics.precisionRecallAUC(scores: probs, labels: labels)
      default: return nil
      }
    case .multilabel(let scores, let targets, let k):
      let n = k == 0 ? 0 : scores.count / k
      let s = Tensor(rows: n, cols: k, storage: scores), y = Tensor(rows: n, cols: k, storage: targets)
      switch metric {
      case .accuracy, .rocAuc: return Metrics.multilabelRocAUC(scores: s, targets: y)  // GraphStorm: accuracy = mean ROC-AUC
      case .precisionRecall:
        let per = (0..<k).compactMap { c in
          Metrics.precisionRecallAUC(scores: (0..<n).map { s[$0, c] }, positive: (0..<n).map { y[$0, c] > 0.5 })
        }
        return per.isEmpty ? nil : per.reduce(0, +) / Double(per.count)
      case .f1Score:
        var f1s: [Double] = []
        for c in 0..<k {
          var cm = ConfusionCounts(numClasses: 2)
          cm.add(predicted: (0..<n).map { s[$0, c] > 0.5 ? 1 : 0 }, labels: (0..<n).map { y[$0, c] > 0.5 ? 1 : 0 })
          f1s.append(cm.f1(1))
        }
        return f1s.isEmpty ? nil : f1s.reduce(0, +) / Double(f1s.count)
      default: return nil
      }
    case .regression(let r):
      switch metric {
      case .rmse: return r.rmse
      case .mse: return r.mse
      case .mae: return r.mae
      default: return nil
      }
    case .ranking(let r):
      switch metric {
      case .mrr: return r.mrr
      case .hitAt(let k): return r.hitRate(at: k)
      default: return nil
      }
    }
  }

  public var count: Int {
    switch self {
    case .classification(let cm, _, _, _): return cm.total
    case .multilabel(let s, _, let k): return k == 0 ? 0 : s.count / k
    case .regression(let r): return r.count
    case .ranking(let r): return r.count
    }
  }
}

/// Mini-batch evaluation of the model on a task's val or test items (SPEC §4): blocks sampled
/// with `eval_fanout` (every neighbour with `use_mini_batch_infer: false`), the task's leakage
/// rules kept (its own embedding pass), dropout off, nothing recorded.
public struct Evaluator {
  public let model: MultiTaskModel
  public let builder: BatchBuilder

  public init(model: MultiTaskModel, builder: BatchBuilder) {
    self.model = model
    self.builder = builder
  }

  /// Accumulates `task`'s metrics over `items` in batches of `eval_batch_size`; batch `b`
  /// samples with `deriveSeed(base: seed, step: firstBatch + b)` (its global index when `items`
  /// is one rank's run of a set's batches).
  public func evaluate(_ task: TaskPlan, items: TaskItems, seed: UInt64, tape: Tape, firstBatch: Int = 0) throws -> MetricAccumulator {
    var acc = MetricAccumulator.make(for: task)
    let head = model.heads[task.index]
    let bs = max(1, task.config.evalBatchSize)
    var lo = 0, b = 0
    let wasRecording = tape.isRecording, wasTraining = tape.isTraining
    tape.isRecording = false
    tape.isTraining = false
    defer { tape.isRecording = wasRecording; tape.isTraining = wasTraining; tape.reset() }
    while lo < items.count {
      let hi = min(items.count, lo + bs)
      tape.reset()
      let batchItems = items.subset(Array(lo..<hi)[...])
      let batch = try builder.build(task: task, items: batchItems, training: false, seed: deriveSeed(base: seed, step: firstBatch + b))
      let (inputs, _) = try builder.inputs(tape, flow: batch.flow, gradients: false, inPlace: true)
      let emb = model.embed(tape, flow: batch.flow, inputs: inputs,
                            options: ForwardOptions(skipLastSelfLoop: task.spec.kind.skipsLastSelfLoop))
      try accumulate(&acc, head: head, tape: tape, embeddings: emb, batch: batch)
      lo = hi
      b += 1
    }
    return acc
  }

  /// The decoder's output for one evaluation batch folded into `acc`.
  public func accumulate(_ acc: inout MetricAccumulator, head: TaskHead, tape: Tape, embeddings emb: [String: Var],
                         batch: TaskBatch) throws {
    switch acc {
    case .ranking(var r):
      guard case .links(let links) = batch.rows else { preconditionFailure("link prediction batch without links") }
      let embs = head.linkEmbeddings(tape, emb)
      for l in links where l.count > 0 {
        let (pos, neg) = head.linkScores(tape, embeddings: embs, batch: l)
        r.add(positive: tape.tensor(pos).storage, negatives: tape.tensor(neg))
      }
      acc = .ranking(r)
    case .classification(var cm, var scores, var labels, let k):
      let logits = tape.tensor(head.outputs(tape, embeddings: emb, rows: batch.rows))
      guard case .classes(let y) = batch.targets else { preconditionFailure("classification batch without classes") }
      cm.add(predicted: Predict.classIds(logits), labels: y)
      scores += Predict.probabilities(logits, multilabel: false).storage
      labels += y
      acc = .classification(confusion: cm, scores: scores, labels: labels, numClasses: k)
    case .multilabel(var scores, var targets, let k):
      let logits = tape.tensor(head.outputs(tape, embeddings: emb, rows: batch.rows))
      guard case .multiHot(let y) = batch.targets else { preconditionFailure("multilabel batch without targets") }
      scores += Predict.sigmoid(logits).storage
      targets += y.storage
      acc = .multilabel(scores: scores, targets: targets, numClasses: k)
    case .regression(var r):
      let out = tape.tensor(head.outputs(tape, embeddings: emb, rows: batch.rows))
      guard case .values(let y) = batch.targets else { preconditionFailure("regression batch without values") }
      r.add(predictions: out.storage, targets: y.storage)
      acc = .regression(r)
    }
  }
}
