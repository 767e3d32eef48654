import Foundation

/// The `best` lines of a `metrics.jsonl` (SPEC §7): per task and metric the best validation
/// value, the test value at that point and its step. `gust demo` prints them as a table.
public struct BestMetric: Equatable, Sendable {
  public var taskID: String
  public var metric: String
  public var val: Double?
  public var test: Double?
  public var step: Int?

  public init(taskID: String, metric: String, val: Double?, test: Double?, step: Int?) {
    self.taskID = taskID
    self.metric = metric
    self.val = val
    self.test = test
    self.step = step
  }
}

public enum MetricsSummary {
  /// Parses every `{"kind": "best", …}` line; other lines and unreadable lines are skipped. A
  /// file holding several runs keeps the last run's value per (task, metric).
  public static func best(jsonl text: String) -> [BestMetric] {
    var out: [BestMetric] = []
    for line in text.split(separator: "\n") {
      guard let data = line.data(using: .utf8),
            let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            obj["kind"] as? String == "best", let task = obj["task_id"] as? String, let metric = obj["metric"] as? String
      else { continue }
      let m = BestMetric(taskID: task, metric: metric, val: (obj["val"] as? NSNumber)?.doubleValue,
                         test: (obj["test"] as? NSNumber)?.doubleValue, step: (obj["step"] as? NSNumber)?.intValue)
      if let i = out.firstIndex(where: { $0.taskID == task && $0.metric == metric }) { out[i] = m } else { out.append(m) }
    }
    return out
  }

  /// A plain-text table: task, metric, best val, test at best val, step.
  public static func table(_ rows: [BestMetric]) -> [String] {
    func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "—" }
    let header = ["task", "metric", "val (best)", "test", "step"]
    let cells = rows.map { [$0.taskID, $0.metric, f($0.val), f($0.test), $0.step.map(String.init) ?? "—"] }
    let widths = (0..<header.count).map { c in ([header] + cells).map { $0[c].count }.max()! }
    func line(_ r: [String]) -> String {
      r.enumerated().map { c, s in c < 2 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
        : String(repeating: " ", count: widths[c] - s.count) + s }.joined(separator: "  ")
    }
    return [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + cells.map(line)
  }
}
