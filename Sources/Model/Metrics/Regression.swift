/// Sums for the regression metrics, exact in Double and additive across batches and ranks.
public struct RegressionCounts: Sendable, Equatable {
  public var sumSquaredError: Double = 0
  public var sumAbsoluteError: Double = 0
  public var count: Int = 0

  public init() {}

  /// Adds predictions and targets of the same shape (flattened: reconstruction features count
  /// every element, as `torch.mean` does).
  public init(predictions: [Float], targets: [Float]) {
    add(predictions: predictions, targets: targets)
  }

  public mutating func add(predictions: [Float], targets: [Float]) {
    precondition(predictions.count == targets.count, "RegressionCounts: \(predictions.count) predictions, \(targets.count) targets")
    for (p, y) in zip(predictions, targets) {
      let d = Double(p) - Double(y)
      sumSquaredError += d * d
      sumAbsoluteError += abs(d)
    }
    count += predictions.count
  }

  public mutating func merge(_ o: RegressionCounts) {
    sumSquaredError += o.sumSquaredError
    sumAbsoluteError += o.sumAbsoluteError
    count += o.count
  }

  public var mse: Double { count == 0 ? 0 : sumSquaredError / Double(count) }
  public var rmse: Double { mse.squareRoot() }
  public var mae: Double { count == 0 ? 0 : sumAbsoluteError / Double(count) }
}
