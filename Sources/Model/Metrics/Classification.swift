import Tensor

/// A confusion matrix: exact counts that add across batches and ranks (`merge`), from which
/// accuracy, per-class precision/recall/F1 and macro F1 follow.
///
/// F1 follows GraphStorm's `compute_f1_score`: sklearn `classification_report`'s **macro
/// average** — the unweighted mean of per-class F1 over every class that occurs in the labels
/// or in the predictions — for any number of classes, two included (not sklearn
/// `f1_score`'s `average='binary'` default). An undefined precision, recall or F1 counts as 0
/// (sklearn's `zero_division` default).
public struct ConfusionCounts: Sendable, Equatable {
  public let numClasses: Int
  /// `[true class × predicted class]`, row-major.
  public private(set) var matrix: [Int]

  public init(numClasses: Int) {
    precondition(numClasses > 0, "ConfusionCounts: numClasses \(numClasses)")
    self.numClasses = numClasses
    matrix = [Int](repeating: 0, count: numClasses * numClasses)
  }

  /// Counts as stored in `matrix` (`[true class × predicted class]`, row-major): counts sent between ranks.
  public init(numClasses: Int, matrix: [Int]) {
    precondition(matrix.count == numClasses * numClasses && matrix.allSatisfy { $0 >= 0 },
                 "ConfusionCounts: \(matrix.count) counts for \(numClasses) classes")
    self.numClasses = numClasses
    self.matrix = matrix
  }

  /// Counts from hard predictions (see `Predict.classIds` for logits).
  public init(predicted: [Int32], labels: [Int32], numClasses: Int) {
    self.init(numClasses: numClasses)
    add(predicted: predicted, labels: labels)
  }

  public mutating func add(predicted: [Int32], labels: [Int32]) {
    precondition(predicted.count == labels.count, "ConfusionCounts: \(predicted.count) predictions, \(labels.count) labels")
    for (p, y) in zip(predicted, labels) {
      precondition(p >= 0 && Int(p) < numClasses && y >= 0 && Int(y) < numClasses,
                   "ConfusionCounts: class outside 0..<\(numClasses)")
      matrix[Int(y) * numClasses + Int(p)] += 1
    }
  }

  public mutating func merge(_ other: ConfusionCounts) {
    precondition(other.numClasses == numClasses, "ConfusionCounts: merging \(other.numClasses) into \(numClasses) classes")
    for i in 0..<matrix.count { matrix[i] += other.matrix[i] }
  }

  public subscript(label: Int, predicted: Int) -> Int { matrix[label * numClasses + predicted] }

  public var total: Int { matrix.reduce(0, +) }
  public var correct: Int { (0..<numClasses).reduce(0) { $0 + self[$1, $1] } }
  /// Correct / total (0 for no samples).
  public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

  public func truePositives(_ c: Int) -> Int { self[c, c] }
  /// Samples predicted as `c`.
  public func predictedCount(_ c: Int) -> Int { (0..<numClasses).reduce(0) { $0 + self[$1, c] } }
  /// Samples labelled `c` (sklearn's support).
  public func support(_ c: Int) -> Int { (0..<numClasses).reduce(0) { $0 + self[c, $1] } }

  public func precision(_ c: Int) -> Double {
    let p = predictedCount(c)
    return p == 0 ? 0 : Double(truePositives(c)) / Double(p)
  }

  public func recall(_ c: Int) -> Double {
    let s = support(c)
    return s == 0 ? 0 : Double(truePositives(c)) / Double(s)
  }

  public func f1(_ c: Int) -> Double {
    // 2·tp / (2·tp + fp + fn), the same as 2PR/(P+R) and 0 when undefined.
    let tp = truePositives(c), denom = predictedCount(c) + support(c)
    return denom == 0 ? 0 : 2 * Double(tp) / Double(denom)
  }

  /// The classes sklearn's report lists: those present in labels or predictions.
  public var presentClasses: [Int] { (0..<numClasses).filter { support($0) > 0 || predictedCount($0) > 0 } }

  /// Per-class F1 of every class `0..<numClasses` (GraphStorm's `per_class_f1_score`).
  public var perClassF1: [Double] { (0..<numClasses).map { f1($0) } }

  /// Macro-average F1 over `presentClasses` (0 with no samples).
  public var macroF1: Double {
    let cs = presentClasses
    return cs.isEmpty ? 0 : cs.reduce(0) { $0 + f1($1) } / Double(cs.count)
  }
}

public enum Metrics {
  /// Fraction of equal entries.
  public static func accuracy(predicted: [Int32], labels: [Int32]) -> Double {
    precondition(predicted.count == labels.count, "accuracy: \(predicted.count) predictions, \(labels.count) labels")
    if labels.isEmpty { return 0 }
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }

  /// Area under the ROC curve of `scores` for the binary labels `positive`: the Mann–Whitney
  /// statistic with tied scores given their average rank (equal to sklearn's trapezoidal
  /// `roc_auc_score`, ties included). nil when only one class is present.
  public static func rocAUC(scores: [Float], positive: [Bool]) -> Double? {
    precondition(scores.count == positive.count, "rocAUC: \(scores.count) scores, \(positive.count) labels")
    let p = positive.filter { $0 }.count, n = positive.count - p
    if p == 0 || n == 0 { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
      let avgRank = Double(i + j + 2) / 2  // ranks are 1-based: (i+1 + j+1) / 2
      for k in i...j where positive[order[k]] { rankSum += avgRank }
      i = j + 1
    }
    return (rankSum - Double(p) * Double(p + 1) / 2) / (Double(p) * Double(n))
  }

  /// ROC-AUC of class scores `[n × c]` (probabilities or logits) against class ids: for two
  /// classes (or one score column) the AUC of the positive class's score; for more, sklearn's
  /// `multi_class='ovr'` macro average over the classes that have both positives and negatives
  /// (sklearn raises — and GraphStorm reports −1 — when a class is absent; Gust skips it).
  public static func rocAUC(scores: Tensor, labels: [Int32]) -> Double? {
    precondition(scores.rows == labels.count, "rocAUC: \(scores.rows) rows, \(labels.count) labels")
    if scores.cols <= 2 {
      let col = scores.cols - 1
      return rocAUC(scores: (0..<scores.rows).map { scores[$0, col] }, positive: labels.map { $0 == 1 })
    }
    let aucs = (0..<scores.cols).compactMap { c in
      rocAUC(scores: (0..<scores.rows).map { scores[$0, c] }, positive: labels.map { Int($0) == c })
    }
    return aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count)
  }

  /// Mean per-column ROC-AUC of multilabel scores against 0/1 targets, over the columns with
  /// both classes (GraphStorm's `accuracy` for multilabel tasks).
  public static func multilabelRocAUC(scores: Tensor, targets: Tensor) -> Double? {
    precondition(scores.rows == targets.rows && scores.cols == targets.cols, "multilabelRocAUC: shapes differ")
    let aucs = (0..<scores.cols).compactMap { c in
      rocAUC(scores: (0..<scores.rows).map { scores[$0, c] }, positive: (0..<targets.rows).map { targets[$0, c] == 1 })
    }
    return aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count)
  }

  /// Area under the precision–recall curve as GraphStorm computes `precision_recall`:
  /// sklearn's `precision_recall_curve` (one point per distinct score threshold, plus
  /// (recall 0, precision 1)) integrated by the trapezoidal rule (`auc`). nil without positives.
  public static func precisionRecallAUC(scores: [Float], positive: [Bool]) -> Double? {
    precondition(scores.count == positive.count, "precisionRecallAUC: \(scores.count) scores, \(positive.count) labels")
    let p = positive.filter { $0 }.count
    if p == 0 { return nil }
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var tp = 0, fp = 0
    var prevRecall = 0.0, prevPrecision = 1.0, area = 0.0
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
      for k in i...j { if positive[order[k]] { tp += 1 } else { fp += 1 } }
      let recall = Double(tp) / Double(p), precision = Double(tp) / Double(tp + fp)
      area += (recall - prevRecall) * (precision + prevPrecision) / 2
      prevRecall = recall
      prevPrecision = precision
      i = j + 1
    }
    return area
  }

  /// PR-AUC of class scores against class ids: binary as sklearn (positive class = 1, its
  /// score column); for more classes the macro mean of one-vs-rest PR-AUCs over the classes
  /// with positives (GraphStorm fails there).
  public static func precisionRecallAUC(scores: Tensor, labels: [Int32]) -> Double? {
    precondition(scores.rows == labels.count, "precisionRecallAUC: \(scores.rows) rows, \(labels.count) labels")
    if scores.cols <= 2 {
      let col = scores.cols - 1
      return precisionRecallAUC(scores: (0..<scores.rows).map { scores[$0, col] }, positive: labels.map { $0 == 1 })
    }
    let v = (0..<scores.cols).compactMap { c in
      precisionRecallAUC(scores: (0..<scores.rows).map { scores[$0, c] }, positive: labels.map { Int($0) == c })
    }
    return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
  }
}
