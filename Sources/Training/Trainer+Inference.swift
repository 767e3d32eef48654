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

  /// Restores `restore_model_path` (the layers of `restore_model_layers`; checked against the
  /// YAML's tasks when `decoder` is among them), scores every task with a
  /// test mask (unless `no_validation`), writes node/edge task predictions to
  /// `save_prediction_path` and embeddings to `save_embed_path` when set. Returns the metrics.
  public func inferAndSave() throws -> [String: [EvalMetric: (val: Double?, test: Double?)]] {
    guard let r = tc.restoreModelPath else {
      throw TrainingError(.badInput, "inference needs restore_model_path (--restore-model-path): without it the model would be random")
    }
    // `restore_model_layers`; the task check runs only when `decoder` is restored.
    try restoreOnEveryRank(from: r)
    let needsOutputs = tc.savePredictionPath != nil || tc.saveEmbedPath != nil
    let settings = needsOutputs ? try outputSettings() : nil
    var res: [String: [EvalMetric: (val: Double?, test: Double?)]] = [:]
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
        // Only a task that samples as the shared pass did may take its rows.
        let rows = shared.contains { $0.index == task.index } ? cache : nil
        acc = try outputErrors { try predict(task, path: tc.savePredictionPath, settings: settings, cache: rows) }
        predicted += 1
      } else if validation, let items = testItems[t] {
        // Link prediction and reconstruction: scored, no prediction files (as GraphStorm). Every
        // rank its global batches (seeded by their global index, as `evaluateShared`), their
        // nodes' rows from a layer-wise pass, the accumulators reduced across ranks.
        let share = Self.evaluationShare(items, batchSize: task.config.evalBatchSize, rank: options.rank, worldSize: options.worldSize)
        if let local = try evaluateLayerwise(task, items: share.items, seed: evaluationSeed(task: t, split: .test),
                                             firstBatch: share.firstBatch, reuse: cache, evaluator: Evaluator(model: model, builder: builder)) {
          acc = try reduceAcrossRanks(local, task: task)
        } else {
          acc = try evaluateShared(task, items: items, split: .test)
        }
      }
      if PhaseTimes.enabled { log.info("task \(task.id): " + String(format: "%.2f s", clock.lap())) }
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

  /// A scored-only task (link prediction, reconstruction) in inference: the evaluation batches
  /// (positives, `num_negative_edges_eval` corruptions, targets) as `Evaluator.evaluate` builds
  /// them, their nodes' rows from one layer-wise pass with the task's evaluation sampling (its
  /// leakage rules: LP message edges under the train mask, reconstruction without the last
  /// self-loop) and `inferenceSeed` — the embedding pass's rows when the sampling is the same.
  /// Neighbourhoods are drawn per node with the inference seed instead of per batch, so the
  /// metric differs from a training-time evaluation of the checkpoint by sampling noise only.
  /// Nil with `GUST_INFER_LAYERWISE=0` or no encoder layers.
  func evaluateLayerwise(_ task: TaskPlan, items: TaskItems, seed: UInt64, firstBatch: Int = 0, reuse: EmbeddingCache?,
                         evaluator ev: Evaluator) throws -> MetricAccumulator? {
    guard Self.layerwiseInference, plan.encoder.numLayers > 0 else { return nil }
    let g = graph.partitionConfig
    let bs = max(1, task.config.evalBatchSize)
    var batches: [TaskBatch] = []
    var lo = 0
    while lo < items.count {
      let hi = min(items.count, lo + bs)
      batches.append(try builder.build(task: task, items: items.subset(Array(lo..<hi)[...]), training: false,
                                       seed: deriveSeed(base: seed, step: firstBatch + batches.count), sample: false))
      lo = hi
    }
    let skip = task.spec.kind.skipsLastSelfLoop
    var cache = reuse
    let seedsOf = { (b: TaskBatch) in g.ntypes.map { b.flow.seeds[$0] ?? [] } }
    if skip || task.evalSampling != embeddingSampling || !(batches.allSatisfy { seedsOf($0).allSatisfy { cache?.contains($0) ?? false } }) {
      var seen = [Bool](repeating: false, count: Int(g.numNodes))
      var seeds = [[Int64]](repeating: [], count: g.ntypes.count)
      for b in batches {
        for (t, ids) in seedsOf(b).enumerated() { for id in ids where !seen[Int(id)] { seen[Int(id)] = true; seeds[t].append(id) } }
      }
      cache = try sharedPass(seeds: seeds, plan: task.evalSampling, options: ForwardOptions(skipLastSelfLoop: skip))
    }
    guard let cache else { return nil }
    var acc = MetricAccumulator.make(for: task)
    let head = model.heads[task.index]
    let wasRecording = tape.isRecording, wasTraining = tape.isTraining
    tape.isRecording = false
    tape.isTraining = false
    defer { tape.isRecording = wasRecording; tape.isTraining = wasTraining; tape.reset() }
    for b in batches {
      tape.reset()
      var emb: [String: Var] = [:]
      for (t, ids) in seedsOf(b).enumerated() where !ids.isEmpty {
        emb[g.ntypes[t]] = tape.constant(Tensor(rows: ids.count, cols: cache.width, storage: cache.gather(ntype: t, ids: ids)))
      }
      try ev.accumulate(&acc, head: head, tape: tape, embeddings: emb, batch: b)
    }
    return acc
  }

  /// `gust train` with `save_embed_path`: the embeddings of the best kept checkpoint (by the
  /// selection score), or of the final model when none was kept, written after training.
  public func saveEmbeddingsAfterTraining(_ summary: RunSummary) throws {
    guard tc.saveEmbedPath != nil else { return }
    // Only rank 0 keeps checkpoints: every rank takes its choice (and its view of an interrupt).
    let (bestCheckpoint, interrupted) = try agreeOnBestCheckpoint(summary)
    guard let p = tc.saveEmbedPath, !interrupted else { return }
    if let best = bestCheckpoint {
      try restoreOnEveryRank(from: best, layers: .all)  // this run's own checkpoint
      log.info("embeddings of the best model (\(best))")
    } else {
      log.info("embeddings of the final model (no checkpoint kept)")
    }
    try saveEmbeddings(to: p, settings: try outputSettings())
  }
}
