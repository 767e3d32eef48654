import Config
import Foundation
import Graph
import Model
import Outputs
import Tensor

/// `gust infer` (and `gust train` with `save_embed_path`): SPEC §5, reference §9.
extension Trainer {
  /// Output settings for this run (nil without a partition config path in the options).
  func outputSettings() throws -> OutputSettings {
    guard let p = options.partConfigPath else {
      throw TrainingError(.badInput, "writing outputs needs the partition config path (RunOptions.partConfigPath)")
    }
    return OutputSettings(config: tc, partConfigPath: p, graph: graph.partitionConfig)
  }

  /// A checkpoint for inference must hold exactly this YAML's tasks: the error names the task
  /// ids the YAML has and the checkpoint lacks (missing) and the other way round (extra).
  public func checkCheckpointTasks(_ dir: String) throws {
    let s = try Checkpoint.loadState(dir: dir)
    let mine = plan.tasks.map(\.id)
    let missing = mine.filter { !s.taskIDs.contains($0) }, extra = s.taskIDs.filter { !mine.contains($0) }
    guard missing.isEmpty && extra.isEmpty else {
      var parts: [String] = []
      if !missing.isEmpty { parts.append("missing from the checkpoint: \(missing.joined(separator: ", "))") }
      if !extra.isEmpty { parts.append("in the checkpoint but not in the YAML: \(extra.joined(separator: ", "))") }
      throw TrainingError(.badInput, "--restore-model-path \(dir) was saved for other tasks; " + parts.joined(separator: "; "))
    }
  }

  /// Restores `restore_model_path` (checked against the YAML's tasks), scores every task with a
  /// test mask (unless `no_validation`), writes node/edge task predictions to
  /// `save_prediction_path` and embeddings to `save_embed_path` when set. Returns the metrics.
  public func inferAndSave() throws -> [String: [EvalMetric: (val: Double?, test: Double?)]] {
    guard let r = tc.restoreModelPath else {
      throw TrainingError(.badInput, "inference needs restore_model_path (--restore-model-path): without it the model would be random")
    }
    try checkCheckpointTasks(r)
    try restore(from: r)
    let needsOutputs = tc.savePredictionPath != nil || tc.saveEmbedPath != nil
    let settings = needsOutputs ? try outputSettings() : nil
    var res: [String: [EvalMetric: (val: Double?, test: Double?)]] = [:]
    let ev = Evaluator(model: model, builder: builder)
    try outputErrors {
      if let p = tc.savePredictionPath { try OutputFiles.makeDirectory(p) }
      if let p = tc.saveEmbedPath { try OutputFiles.makeDirectory(p) }
    }
    // One layer-wise pass for the embedding files and every prediction task that samples as
    // it does (eval_fanout on every edge type, no masks, the last self-loop kept).
    let shared = plan.tasks.filter {
      Self.hasPredictions($0.spec.kind) && !$0.spec.kind.skipsLastSelfLoop && $0.evalSampling == embeddingSampling
    }
    var clock = PhaseClock()
    let cache = try sharedPass(seeds: try sharedPassSeeds(withSlice: settings != nil && tc.saveEmbedPath != nil, tasks: shared))
    if PhaseTimes.enabled, cache != nil {
      log.info(String(format: "layer-wise pass (embeddings + %d prediction task(s)): %.2f s", shared.count, clock.lap()))
    }
    var predicted = 0
    for (t, task) in plan.tasks.enumerated() {
      var acc: MetricAccumulator?
      if Self.hasPredictions(task.spec.kind) {
        acc = try outputErrors { try predict(task, path: tc.savePredictionPath, settings: settings, cache: cache) }
        predicted += 1
      } else if validation, let items = testItems[t], log.isLeader {
        // Link prediction and reconstruction: scored, no prediction files (as GraphStorm).
        acc = try ev.evaluate(task, items: items, seed: deriveSeed(base: options.seed, task: t, salt: 0x54455354), tape: tape)
      }
      guard let acc else { continue }
      var m: [EvalMetric: (val: Double?, test: Double?)] = [:]
      for metric in task.config.evalMetrics { m[metric] = (nil, acc.value(metric)) }
      res[task.id] = m
    }
    if tc.savePredictionPath != nil && predicted == 0 {
      log.info("warning: save_prediction_path is set but no task is a node or edge classification/regression task: no predictions written")
    }
    lastEvaluation = res
    if !res.isEmpty { report(res, title: "test metrics of \(r):", splits: [.test]) }
    if let p = tc.saveEmbedPath, let settings { try saveEmbeddings(to: p, settings: settings, cache: cache) }
    if log.isLeader {
      if let p = tc.savePredictionPath, predicted > 0 { log.info("predictions: \(p)") }
      if let p = tc.saveEmbedPath { log.info("embeddings: \(p)") }
    }
    return res
  }

  /// `gust train` with `save_embed_path`: the embeddings of the best kept checkpoint (by the
  /// selection score), or of the final model when none was kept, written after training.
  public func saveEmbeddingsAfterTraining(_ summary: RunSummary) throws {
    guard let p = tc.saveEmbedPath, !summary.interrupted else { return }
    if let best = summary.bestCheckpoint {
      try restore(from: best)
      log.info("embeddings of the best model (\(best))")
    } else {
      log.info("embeddings of the final model (no checkpoint kept)")
    }
    try saveEmbeddings(to: p, settings: try outputSettings())
  }
}
