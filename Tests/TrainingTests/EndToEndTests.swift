import Config
import Foundation
import Graph
import Model
import XCTest
@testable import Training

final class EndToEndTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic() }
  override class func tearDown() { graph.remove() }

  /// Trivial baselines on the test split: majority class, mean value (train mean), random ranking.
  func baselines(_ t: Trainer) throws -> [String: Double] {
    var out: [String: Double] = [:]
    for (i, task) in t.plan.tasks.enumerated() {
      guard let test = t.testItems[i] else { continue }
      let train = t.trainItems[i]
      switch try t.builder.targets(task, test) {
      case .classes(let y):
        var counts: [Int32: Int] = [:]
        for v in y { counts[v, default: 0] += 1 }
        out[task.id] = Double(counts.values.max()!) / Double(y.count)
      case .values(let y):
        guard case .values(let tr) = try t.builder.targets(task, train) else { continue }
        var mse = 0.0
        for c in 0..<y.cols {
          let mean = (0..<tr.rows).reduce(0.0) { $0 + Double(tr[$1, c]) } / Double(tr.rows)
          for r in 0..<y.rows { mse += pow(Double(y[r, c]) - mean, 2) }
        }
        mse /= Double(y.count)
        out[task.id] = task.config.majorMetric == .rmse ? mse.squareRoot() : mse
      case .none:
        guard case .linkPrediction(let lp) = task.config.kind else { continue }
        let m = 2 * lp.numNegativeEdgesEval + 1  // uniform rank among 2k + 1 candidates
        out[task.id] = (1...m).reduce(0.0) { $0 + 1 / Double($1) } / Double(m)
      default: continue
      }
    }
    return out
  }

  /// Every task kind trains together and beats its trivial baseline clearly on the test split;
  /// metrics.jsonl has SPEC §7's lines.
  func testEveryTaskKindBeatsItsBaseline() throws {
    let s = Self.graph!
    let metrics = s.root + "/ws/metrics.jsonl"
    var lines: [String] = []
    let (t, _) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 8, extra: "eval_frequency: 7"), seed: 3) {
      $0.metricsPath = metrics
      $0.print = { lines.append($0) }
    }
    let summary = try t.run()
    XCTAssertEqual(summary.epochsCompleted, 8)
    let base = try baselines(t)
    var report: [String] = []
    for task in t.plan.tasks {
      let m = task.config.majorMetric
      guard let (_, test) = summary.lastEvaluation[task.id]?[m], let v = test, let b = base[task.id] else {
        XCTFail("\(task.id): no test \(m)"); continue
      }
      report.append("\(task.id) \(m): \(v) vs baseline \(b)")
      switch m {
      case .accuracy: XCTAssertGreaterThan(v, b + 0.2, task.id)
      case .mrr: XCTAssertGreaterThan(v, 1.5 * b, task.id)
      case .rmse, .mse: XCTAssertLessThan(v, 0.7 * b, task.id)
      default: XCTFail("unexpected metric \(m)")
      }
    }
    print(report.joined(separator: "\n"))
    XCTAssertTrue(lines.contains { $0.contains("steps/s") && $0.contains("ETA") }, "progress lines")
    XCTAssertTrue(lines.contains { $0.hasPrefix("evaluation at epoch") }, "metrics table")
    try checkMetricsFile(metrics, tasks: t.plan.tasks.map(\.id), epochs: 8)
  }

  /// SPEC §7: train (per task and "total"), eval (per task, split, metric), epoch, best.
  func checkMetricsFile(_ path: String, tasks: [String], epochs: Int) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var kinds: [String: Int] = [:]
    var trainTasks = Set<String>(), evalSplits = Set<String>()
    for line in text.split(separator: "\n") {
      let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
      let kind = try XCTUnwrap(o["kind"] as? String)
      kinds[kind, default: 0] += 1
      let keys = Set(o.keys)
      switch kind {
      case "train":
        XCTAssertEqual(keys, ["kind", "epoch", "step", "task_id", "loss"])
        XCTAssertNotNil(o["loss"] as? Double)
        trainTasks.insert(o["task_id"] as! String)
      case "eval":
        XCTAssertEqual(keys, ["kind", "epoch", "step", "split", "task_id", "metric", "value"])
        evalSplits.insert(o["split"] as! String)
        XCTAssertTrue(tasks.contains(o["task_id"] as! String))
      case "epoch":
        XCTAssertEqual(keys, ["kind", "epoch", "seconds", "steps"])
        XCTAssertGreaterThan(o["steps"] as! Int, 0)
      case "best":
        XCTAssertEqual(keys, ["kind", "task_id", "metric", "val", "test", "step"])
      default:
        XCTFail("unknown kind \(kind)")
      }
    }
    XCTAssertEqual(kinds["epoch"], epochs)
    XCTAssertEqual(kinds["best"], tasks.count)
    XCTAssertEqual(trainTasks, Set(tasks + ["total"]))
    XCTAssertEqual(evalSplits, ["val", "test"])
  }
}
