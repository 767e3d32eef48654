/// An evaluation metric (GraphStorm's names, lower-cased). The first of a task's metrics is its
/// major metric, the one model selection uses.
public enum EvalMetric: Hashable, Sendable, CustomStringConvertible {
  // classification
  case accuracy, f1Score, precisionRecall, rocAuc
  // regression
  case rmse, mse, mae
  // link prediction
  case mrr
  /// The fraction of positives ranked within the top k (link prediction).
  case hitAt(Int)

  public enum Family: String, Sendable {
    case classification, regression, linkPrediction = "link prediction"
  }

  public var family: Family {
    switch self {
    case .accuracy, .f1Score, .precisionRecall, .rocAuc: return .classification
    case .rmse, .mse, .mae: return .regression
    case .mrr, .hitAt: return .linkPrediction
    }
  }

  /// Whether a larger value is better (model selection, early stopping).
  public var higherIsBetter: Bool { family != .regression }

  /// GraphStorm's name: `accuracy`, `hit_at_10`, …
  public var description: String {
    switch self {
    case .accuracy: return "accuracy"
    case .f1Score: return "f1_score"
    case .precisionRecall: return "precision_recall"
    case .rocAuc: return "roc_auc"
    case .rmse: return "rmse"
    case .mse: return "mse"
    case .mae: return "mae"
    case .mrr: return "mrr"
    case .hitAt(let k): return "hit_at_\(k)"
    }
  }

  static let named: [String: EvalMetric] = [
    "accuracy": .accuracy, "f1_score": .f1Score, "precision_recall": .precisionRecall,
    "roc_auc": .rocAuc, "rmse": .rmse, "mse": .mse, "mae": .mae, "mrr": .mrr,
  ]

  /// Metrics GraphStorm knows that Gust does not compute.
  static let graphStormOnly: Set<String> = [
    "per_class_roc_auc", "per_class_f1_score", "precision", "recall", "amri",
  ]
  static let graphStormOnlyPrefixes = ["fscore_at_", "precision_at_recall_", "recall_at_precision_"]

  /// Parses one name (already lower-cased); `family` restricts it to the task's kind.
  static func parse(_ name: String, family: Family, path: String, line: Int?) throws -> EvalMetric {
    var metric = named[name]
    if metric == nil, name.hasPrefix("hit_at_") {
      guard let k = Int(name.dropFirst("hit_at_".count)), k > 0 else {
        throw ConfigError(
          .invalidValue, path: path, "'\(name)': k in hit_at_<k> must be an integer > 0",
          line: line)
      }
      metric = .hitAt(k)
    }
    let allowed = allNames(family)
    guard let metric else {
      if graphStormOnly.contains(name) || graphStormOnlyPrefixes.contains(where: name.hasPrefix) {
        throw ConfigError(
          .unsupported, path: path,
          "metric '\(name)' is not supported by Gust (\(family.rawValue) metrics: \(allowed.joined(separator: ", ")))",
          line: line)
      }
      throw ConfigError(
        .invalidValue, path: path,
        "unknown metric '\(name)' (\(family.rawValue) metrics: \(allowed.joined(separator: ", ")))",
        suggestion: closestName(to: name, in: allowed), line: line)
    }
    if case .hitAt = metric, family == .classification {
      throw ConfigError(
        .unsupported, path: path,
        "hit_at_<k> for classification is not supported by Gust (it is a link-prediction metric)",
        line: line)
    }
    guard metric.family == family else {
      throw ConfigError(
        .invalidValue, path: path,
        "'\(name)' is a \(metric.family.rawValue) metric; this task takes \(family.rawValue) metrics: \(allowed.joined(separator: ", "))",
        line: line)
    }
    return metric
  }

  static func allNames(_ family: Family) -> [String] {
    var n = named.filter { $0.value.family == family }.map(\.key).sorted()
    if family == .linkPrediction { n.append("hit_at_<k>") }
    return n
  }
}
