import Config
import Foundation
import Model
import Tensor

/// Evaluation, model selection, checkpoints, resume and restore.
extension Trainer {
  public enum Split: String { case val, test }

  /// Evaluates every task on `splits`: each rank its global batches of the items, the counts
  /// merged across ranks (every rank gets the same metrics, whatever the number of ranks).
  /// Returns `[task id][metric] → (val, test)`.
  public func evaluate(splits: [Split]) throws -> [String: [EvalMetric: (val: Double?, test: Double?)]] {
    var out: [String: [EvalMetric: (val: Double?, test: Double?)]] = [:]
    for (t, task) in plan.tasks.enumerated() {
      var vals: [EvalMetric: Double?] = [:], tests: [EvalMetric: Double?] = [:]
      for split in splits {
        guard let items = (split == .val ? valItems[t] : testItems[t]) else { continue }
        let acc = try evaluateShared(task, items: items, split: split)
        for m in task.config.evalMetrics {
          if split == .val { vals[m] = acc.value(m) } else { tests[m] = acc.value(m) }
        }
      }
      if vals.isEmpty && tests.isEmpty { continue }
      var r: [EvalMetric: (val: Double?, test: Double?)] = [:]
      for m in task.config.evalMetrics where vals[m] != nil || tests[m] != nil {
        r[m] = (vals[m] ?? nil, tests[m] ?? nil)
      }
      out[task.id] = r
    }
    return out
  }

  /// Logs one evaluation: the per-task table (rank 0) and the `eval` lines of metrics.jsonl.
  func report(_ r: [String: [EvalMetric: (val: Double?, test: Double?)]], title: String, splits: [Split]) {
    var rows: [[String]] = []
    for task in plan.tasks {
      guard let m = r[task.id] else { continue }
      for metric in task.config.evalMetrics {
        guard let (v, t) = m[metric] else { continue }
        rows.append([task.id, metric.description] + splits.map { RunLog.fmt($0 == .val ? v : t) })
        for s in splits {
          let x = s == .val ? v : t
          if (s == .val ? valItems : testItems)[task.index] == nil { continue }
          log.record([("kind", .string("eval")), ("epoch", .int(epoch)), ("step", .int(globalStep)), ("split", .string(s.rawValue)),
                      ("task_id", .string(task.id)), ("metric", .string(metric.description)), ("value", .double(x))])
        }
      }
    }
    log.info(title + "\n" + RunLog.table(["task", "metric"] + splits.map(\.rawValue), rows))
  }

  /// Evaluates val and test (every rank its share), updates model selection, decides early
  /// stopping (every rank follows rank 0's decision).
  func evaluateAndSelect() throws -> Bool {
    let r = try evaluate(splits: [.val, .test])
    lastEvaluation = r
    report(r, title: "evaluation at epoch \(epoch), step \(globalStep):", splits: [.val, .test])
    let sel = plan.config.modelSelectionTask
    selection.record(r, step: globalStep, tasks: plan.tasks.map(\.config), selection: sel)
    var stop = false
    if tc.useEarlyStop, let s = selection.lastScore {
      stop = selection.shouldStop(score: s, higherIsBetter: sel.majorMetric.higherIsBetter, burnin: tc.earlyStopBurninRounds,
                                  rounds: tc.earlyStopRounds, strategy: tc.earlyStopStrategy)
    }
    stop = try reducer.agree(stop)
    if stop { selection.stopped = true }
    return stop
  }

  /// Writes a checkpoint (rank 0) and applies `topk_model_to_save`.
  func checkpoint(root: String, name: String, nextEpoch: Int, nextStep: Int) throws {
    // Every rank's losses since the last logged line (every rank checkpoints at the same steps).
    let mine = lossSums + [lossTotal, Double(lossSteps)]
    let pending = try reducer.gather(mine)
    guard log.isLeader else { return }
    let removed = selection.keep(KeptCheckpoint(name: name, score: selection.lastScore, globalStep: globalStep),
                                 k: tc.topkModelToSave, higherIsBetter: plan.config.modelSelectionTask.majorMetric.higherIsBetter)
    if removed.contains(name) {
      // Below the `topk_model_to_save` best already kept (GraphStorm's rule): not written.
      log.info("not saving \(root)/\(name): its score is below the \(tc.topkModelToSave ?? 0) kept")
      return
    }
    let g = graph.partitionConfig
    let state = CheckpointState(epoch: nextEpoch, nextStep: nextStep, globalStep: globalStep, seed: options.seed,
                                worldSize: options.worldSize, taskIDs: plan.tasks.map(\.id),
                                embeddingTypes: plan.embeddingTypes.map { g.ntypes[$0] }, selection: selection,
                                overrides: options.overrides, pendingLosses: pending)
    try Checkpoint.save(root: root, name: name, arena: model.arena, adam: adam, graph: graph, embeddingTypes: plan.embeddingTypes,
                        state: state, configText: options.configText)
    for r in removed { try? FileManager.default.removeItem(atPath: "\(root)/\(r)") }
    log.info("saved \(root)/\(name)")
  }

  /// Continues from checkpoint `dir`: parameters, Adam, embeddings and their optimiser, the
  /// position (epoch, step) and model-selection state.
  public func resume(from dir: String) throws {
    let s = try Checkpoint.loadState(dir: dir)
    guard s.taskIDs == plan.tasks.map(\.id) else {
      throw TrainingError(.badInput, "\(dir) was saved for tasks \(s.taskIDs), this run has \(plan.tasks.map(\.id))")
    }
    guard s.worldSize == options.worldSize else {
      throw TrainingError(.badInput, "\(dir) was saved by \(s.worldSize) trainer(s); resume with the same number (this run has \(options.worldSize))")
    }
    if s.seed != options.seed { log.info("warning: \(dir) was saved with --seed \(s.seed); this run uses \(options.seed), so it will not repeat the original run") }
    try Checkpoint.loadParameters(dir: dir, arena: model.arena)
    try Checkpoint.loadOptimizer(dir: dir, arena: model.arena, adam: adam, steps: s.globalStep)
    try loadEmbeddingRows(dir: dir, optimizerState: true)
    epoch = s.epoch
    step = s.nextStep
    globalStep = s.globalStep
    selection = s.selection
    // Only rank 0 keeps checkpoints (`checkpoint`): the others' list stays empty, as in a run
    // that was never interrupted.
    if !log.isLeader { selection.kept = [] }
    let n = plan.tasks.count
    if let p = s.pendingLosses, p.count == options.worldSize, p[options.rank].count == n + 2 {
      let mine = p[options.rank]
      lossSums = Array(mine[0..<n])
      lossTotal = mine[n]
      lossSteps = Int(mine[n + 1])
    }
    log.info("resuming from \(dir) at epoch \(epoch), step \(step) (global step \(globalStep))")
  }

  /// `restore_model_path` with `layers` (default `restore_model_layers`): the dense
  /// parameters of the chosen layers and, with `sparse_embed`/`node_embed`, the embedding rows
  /// when saved; the other layers keep their seeded values. Restoring `decoder` needs the
  /// checkpoint's task ids to equal this run's (`checkCheckpointTasks`). With `optimizer` and
  /// every layer restored, Adam's moments and step count too (GraphStorm's rule).
  public func restore(from dir: String, layers: RestoreLayers? = nil, optimizer: Bool = false) throws {
    let layers = layers ?? tc.restoreModelLayers
    if layers.decoder { try checkCheckpointTasks(dir) }
    let n = try Checkpoint.loadParameters(dir: dir, arena: model.arena, include: layers.includes(parameter:))
    var what = "\(n) of \(model.arena.names.count) parameters"
    let withOptimizer = optimizer && layers.isAll
    if layers.sparseEmbeddings && FileManager.default.fileExists(atPath: dir + "/embeddings") {
      try loadEmbeddingRows(dir: dir, optimizerState: withOptimizer)
      if !plan.embeddingTypes.isEmpty { what += " and embedding rows" }
    }
    if withOptimizer {
      let s = try Checkpoint.loadState(dir: dir)
      try Checkpoint.loadOptimizer(dir: dir, arena: model.arena, adam: adam, steps: s.globalStep)
      what += " and the optimiser state" + (plan.embeddingTypes.isEmpty ? "" : " (dense Adam and the rows' sparse Adam)")
    }
    log.info("restored \(what) from \(dir) (restore_model_layers: \(layers))")
  }

  /// The learnable rows of `<dir>/embeddings` (and their sparse Adam with `optimizerState`).
  /// Per-rank copies (`--local`): every rank loads its own. Rows shared through graph servers:
  /// rank 0 alone has them load the files; the collective that follows every restore (the
  /// parameter broadcast in `run`, the barrier of `restoreOnEveryRank`) keeps the other ranks
  /// from pulling rows before that.
  func loadEmbeddingRows(dir: String, optimizerState: Bool) throws {
    guard !graph.embeddingsShared || options.rank == 0 else { return }
    for t in plan.embeddingTypes {
      try graph.loadEmbeddings(ntype: t, directory: dir + "/embeddings", optimizerState: optimizerState)
    }
  }

  /// The end of a run: the best scores per task (table and `best` lines).
  func finish() {
    var rows: [[String]] = []
    for task in plan.tasks {
      for m in task.config.evalMetrics {
        guard let b = selection.best[task.id]?[m.description] else { continue }
        rows.append([task.id, m.description, RunLog.fmt(b.val), RunLog.fmt(b.test), String(b.step)])
        log.record([("kind", .string("best")), ("task_id", .string(task.id)), ("metric", .string(m.description)),
                    ("val", .double(b.val)), ("test", .double(b.test)), ("step", .int(b.step))])
      }
    }
    if !rows.isEmpty { log.info("best scores:\n" + RunLog.table(["task", "metric", "val", "test", "step"], rows)) }
    if let p = options.metricsPath, log.isLeader { log.info("metrics: \(p)") }
    if let p = tc.saveModelPath, log.isLeader, !selection.kept.isEmpty {
      log.info("checkpoints: " + (p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p))
    }
  }

  /// `gust infer`: restore `restore_model_path`, score every task's test split, write the
  /// predictions and embeddings asked for (`Trainer+Inference.swift`).
  public func runInference() throws -> [String: [EvalMetric: (val: Double?, test: Double?)]] {
    try inferAndSave()
  }
}
