import Config
import Foundation
import Graph
import Model
import Tensor

/// How one rank runs (everything that is not in the YAML).
public struct RunOptions {
  public var rank = 0
  public var worldSize = 1
  /// The job seed: model initialisation, shuffles, sampling, negatives, dropout.
  public var seed: UInt64 = 0
  /// `metrics.jsonl` (rank 0 writes it); nil: none.
  public var metricsPath: String?
  /// Continue from the checkpoint `restore_model_path` names, or else from the newest complete
  /// checkpoint under `save_model_path`.
  public var resume = false
  /// A progress line every this many steps (and at each epoch end).
  public var logInterval = 20
  /// Test hook: stop (as if killed) once this many optimiser steps have been taken.
  public var stopAfterSteps: Int?
  /// Test hook: called after every optimiser step (e.g. to compare ranks' parameters).
  public var afterStep: ((Trainer) -> Void)?
  /// The YAML text and override flags, copied into checkpoints.
  public var configText: String?
  public var overrides: [String] = []
  /// The graph's `<graph>.json` (outputs map ids through the mappings beside it).
  public var partConfigPath: String?
  /// Sample the next training batch on a background thread while the current one computes
  /// (`SamplingPipeline`; the results are the same bits either way). Default: on, unless the
  /// environment sets `GUST_SAMPLING_PIPELINE=0` (gust-trainer: `--no-sampling-pipeline`).
  public var samplingPipeline = RunOptions.samplingPipelineDefault
  /// How many batches the background sampler may run ahead (`GUST_SAMPLING_DEPTH`, default 2).
  public var samplingDepth = RunOptions.samplingDepthDefault
  public var print: (String) -> Void = { Swift.print($0); fflush(nil) }

  public init() {}

  public static var samplingDepthDefault: Int {
    if let v = getenv("GUST_SAMPLING_DEPTH"), let n = Int(String(cString: v)), n > 0 { return n }
    return 2
  }

  public static var samplingPipelineDefault: Bool {
    if let v = getenv("GUST_SAMPLING_PIPELINE") { return String(cString: v) != "0" }
    return true
  }
}

/// What a run ends with.
public struct RunSummary {
  public var globalStep: Int
  public var epochsCompleted: Int
  public var stoppedEarly: Bool
  /// Stopped by `stopAfterSteps`.
  public var interrupted: Bool
  /// `[task id][metric] → (val, test)` of the last evaluation.
  public var lastEvaluation: [String: [EvalMetric: (val: Double?, test: Double?)]]
  public var selection: SelectionState
  /// The kept checkpoint with the best selection score.
  public var bestCheckpoint: String?
  public var checkpoints: [String]
}

/// One rank of multi-task training (SPEC §4): every step one mini-batch of every task in task
/// order, each through its own blocks; loss = `alpha_l2norm`·Σ‖dense‖² + Σ `task_weight`·loss;
/// gradients reduced across ranks, clipped to `max_grad_norm`, then Adam (`wd_l2norm`); learnable
/// embedding gradients pushed once per step at `sparse_optimizer_lr`. Evaluation, model
/// selection, early stopping, checkpoints and the run's log around it.
public final class Trainer {
  public let plan: TrainingPlan
  public let graph: GraphAccess
  public let options: RunOptions
  public let reducer: GradientReducer
  public let model: MultiTaskModel
  public let adam: Adam
  public let builder: BatchBuilder
  public let log: RunLog
  public private(set) var schedule = Schedule(batchesPerPass: [], batchSize: [])
  /// This rank's training items per task, and the val/test items (nil: no such mask).
  public private(set) var trainItems: [TaskItems] = []
  public private(set) var valItems: [TaskItems?] = []
  public private(set) var testItems: [TaskItems?] = []
  public internal(set) var selection = SelectionState()
  public internal(set) var epoch = 0
  public internal(set) var step = 0
  public internal(set) var globalStep = 0
  let tape = Tape()
  var orderCache: [Int: (epoch: Int, pass: Int, order: [Int])] = [:]
  var lossSums: [Double] = []
  var lossTotal = 0.0
  var lossSteps = 0
  var lastEvaluation: [String: [EvalMetric: (val: Double?, test: Double?)]] = [:]
  /// Seconds per training phase since the epoch began (`GUST_PROFILE=1` prints them).
  var phases = PhaseTimes()
  /// The background sampler while `run` runs with `options.samplingPipeline`.
  var pipeline: SamplingPipeline?
  /// Training batches the background sampler built (the rest were built on this thread).
  public internal(set) var batchesSampledAhead = 0

  var tc: TrainingConfig { plan.config.training }
  var validation: Bool { !tc.noValidation }

  /// Builds the model (initialised from the job seed, identical on every rank) and loads each
  /// task's items. `inference` loads only test items.
  public init(plan: TrainingPlan, graph: GraphAccess, options: RunOptions, reducer: GradientReducer = IdentityReducer(),
              inference: Bool = false) throws {
    self.plan = plan
    self.graph = graph
    self.options = options
    self.reducer = reducer
    guard reducer.worldSize == options.worldSize, reducer.rank == options.rank else {
      throw TrainingError(.badInput, "rank \(options.rank) of \(options.worldSize) was given a reducer for rank \(reducer.rank) of \(reducer.worldSize)")
    }
    model = MultiTaskModel(encoder: plan.encoder, tasks: plan.tasks.map(\.spec), seed: deriveSeed(base: options.seed, salt: stableHash("model")))
    adam = Adam(arena: model.arena, lr: Float(plan.config.training.lr), weightDecay: Float(plan.config.training.wdL2Norm))
    builder = BatchBuilder(graph: graph, plan: plan)
    log = try RunLog(metricsPath: options.metricsPath, isLeader: options.rank == 0, print: options.print)
    for w in plan.config.warnings { log.info("warning: \(w)") }
    for w in plan.warnings { log.info("warning: \(w)") }
    try loadItems(inference: inference)
  }

  func loadItems(inference: Bool) throws {
    let g = graph.partitionConfig
    let nodeBook = PartitionBook.nodes(g), edgeBook = PartitionBook.edges(g)
    var perPass: [Int] = [], sizes: [Int] = []
    for task in plan.tasks {
      let m = task.config.masks
      func load(_ mask: String?, _ split: String) throws -> TaskItems? {
        guard let mask else {
          if split != "train" && !(inference && split == "val") { log.info("warning: task \(task.id) has no \(split) mask: its \(split) split is not scored") }
          return nil
        }
        return try TaskItems.load(graph, target: task.target, mask: mask)
      }
      if !inference {
        guard let all = try load(m.train, "train") else {
          throw TrainingError(.badInput, "\(task.config.yamlPath).mask_fields: task \(task.id) has no train mask")
        }
        let owners: [Int] = all.isEdges ? all.ids.map { edgeBook.owner(of: $0)!.part } : all.ids.map { nodeBook.owner(of: $0)!.part }
        let B = max(1, task.config.batchSize)
        let split = RankSplit.split(owners: owners, numParts: g.numParts, worldSize: options.worldSize, batchSize: B)
        let nb = RankSplit.batchesPerPass(counts: split.map(\.count), batchSize: B)
        guard nb > 0 else {
          throw TrainingError(.badInput, "task \(task.id): the train mask '\(m.train!)' selects \(all.count) items, too few for \(options.worldSize) rank(s)")
        }
        trainItems.append(all.subset(split[options.rank][...]))
        perPass.append(nb)
        sizes.append(B)
      }
      // Evaluation items: the whole sets; each evaluation scores this rank's global batches
      // (`Trainer+EvalShares.swift`) and reduces the counts exactly.
      valItems.append(validation && !inference ? try load(m.val, "val") : nil)
      testItems.append(validation || inference ? try load(m.test, "test") : nil)
    }
    schedule = Schedule(batchesPerPass: perPass, batchSize: sizes)
    lossSums = [Double](repeating: 0, count: plan.tasks.count)
  }

  // MARK: The loop

  public func run() throws -> RunSummary {
    let save = tc.saveModelPath.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
    if options.resume {
      if let r = tc.restoreModelPath {
        // `--resume --restore-model-path C`: continue exactly from checkpoint C (new
        // checkpoints go to save_model_path, if any).
        guard tc.restoreModelLayers.isAll else {
          throw TrainingError(.badInput, "--resume continues from every layer of \(r); restore_model_layers (\(tc.restoreModelLayers)) is for fine-tuning without --resume")
        }
        try resume(from: r)
      } else {
        guard let save else { throw TrainingError(.badInput, "--resume needs save_model_path (--save-model-path) or a checkpoint in restore_model_path") }
        if let dir = Checkpoint.newest(root: save) { try resume(from: dir) } else { log.info("no checkpoint under \(save): starting from the beginning") }
      }
    } else if let r = tc.restoreModelPath {
      // A new run from the checkpoint's weights (GraphStorm's fine-tuning): epochs, global
      // steps, seeds and model selection start afresh.
      try restore(from: r, optimizer: true)
      if tc.restoreModelLayers.isAll { log.info("starting a new run at epoch 0 from \(r) (--resume --restore-model-path continues its run instead)") }
    }
    try broadcastParameters()
    if options.samplingPipeline, let access = try graph.samplingAccess() {
      pipeline = SamplingPipeline(builder: BatchBuilder(graph: access, plan: plan))
      log.info("sampling ahead on a background thread (--no-sampling-pipeline: on the main thread)")
    }
    defer {
      pipeline?.close()
      pipeline = nil
    }
    let E = tc.numEpochs, S = schedule.stepsPerEpoch
    log.info("training \(plan.tasks.count) tasks for \(E) epochs of \(S) steps on rank \(options.rank) of \(options.worldSize)")
    for (t, task) in plan.tasks.enumerated() {
      log.info("  \(task.id): \(trainItems[t].count) training items, \(schedule.batchesPerPass[t]) batches of \(schedule.batchSize[t]) per pass")
    }
    var stopped = selection.stopped, interrupted = false
    var runStart = Date(), stepsAtStart = globalStep
    var intervalStart = Date()
    outer: while epoch < E && !stopped {
      let epochStart = Date()
      var evalSeconds = 0.0, steps = 0
      while step < S {
        if let m = options.stopAfterSteps, globalStep >= m {
          if PhaseTimes.enabled { log.info("phases: " + phases.summary(steps: steps)) }
          interrupted = true
          break outer
        }
        try trainStep()
        step += 1
        globalStep += 1
        steps += 1
        options.afterStep?(self)
        if globalStep % max(1, options.logInterval) == 0 || step == S {
          try progress(S: S, E: E, since: intervalStart, runStart: runStart, stepsAtStart: stepsAtStart)
          intervalStart = Date()
        }
        let last = step == S
        if validation && !last && globalStep % max(1, tc.evalFrequency) == 0 {
          let t0 = Date()
          stopped = try evaluateAndSelect()
          evalSeconds += Date().timeIntervalSince(t0)
        }
        if let save, tc.saveModelFrequency > 0 && globalStep % tc.saveModelFrequency == 0 {
          try checkpoint(root: save, name: Checkpoint.name(epoch: epoch, iteration: step - 1), nextEpoch: epoch, nextStep: step)
        }
        if stopped { break }
      }
      let seconds = Date().timeIntervalSince(epochStart) - evalSeconds
      log.record([("kind", .string("epoch")), ("epoch", .int(epoch)), ("seconds", .double(seconds)), ("steps", .int(steps))])
      log.info(String(format: "epoch %d: %d steps in %.1f s", epoch, steps, seconds))
      if PhaseTimes.enabled { log.info("phases: " + phases.summary(steps: steps)) }
      phases = PhaseTimes()
      if validation && !stopped { stopped = try evaluateAndSelect() }
      let finished = epoch
      epoch += 1
      step = 0
      if let save { try checkpoint(root: save, name: Checkpoint.name(epoch: finished, iteration: nil), nextEpoch: epoch, nextStep: 0) }
      runStart = Date()
      stepsAtStart = globalStep
    }
    if stopped { log.info("early stopping at step \(globalStep): \(plan.config.modelSelectionTask.id) \(plan.config.modelSelectionTask.majorMetric) stopped improving") }
    if !interrupted { finish() }
    let digest = try checkRanksInSync()
    if options.worldSize > 1 { options.print(String(format: "rank %d of %d: parameters digest %016llx", options.rank, options.worldSize, digest)) }
    let best = selection.kept.max { a, b in
      switch (a.score, b.score) {
      case (nil, _): return true
      case (_, nil): return false
      case (let x?, let y?): return plan.config.modelSelectionTask.majorMetric.higherIsBetter ? x < y : x > y
      }
    }
    return RunSummary(globalStep: globalStep, epochsCompleted: epoch, stoppedEarly: stopped, interrupted: interrupted,
                      lastEvaluation: lastEvaluation, selection: selection,
                      bestCheckpoint: best.flatMap { b in save.map { "\($0)/\(b.name)" } },
                      checkpoints: selection.kept.map(\.name))
  }

  /// The positions of task `t`'s batch at (the current epoch, `step`), shuffles cached per pass.
  func batchPositions(_ t: Int, step: Int) -> ArraySlice<Int> {
    let (pass, b) = schedule.position(task: t, step: step)
    let order: [Int]
    if let c = orderCache[t], c.epoch == epoch, c.pass == pass {
      order = c.order
    } else {
      order = Schedule.shuffled(count: trainItems[t].count,
                                seed: deriveSeed(base: options.seed, rank: options.rank, epoch: epoch, task: t, step: pass, salt: 0x5348_5546))
      orderCache[t] = (epoch, pass, order)
    }
    let B = schedule.batchSize[t]
    let used = min(order.count, schedule.batchesPerPass[t] * B)
    return order[(b * B)..<min(used, b * B + B)]
  }

  /// The sampling job of task `t`'s training batch at (the current epoch, `step`).
  func samplingJob(task t: Int, step: Int) -> SamplingPipeline.Job {
    SamplingPipeline.Job(key: .init(epoch: epoch, step: step, task: t), task: plan.tasks[t],
                         items: trainItems[t].subset(batchPositions(t, step: step)),
                         seed: deriveSeed(base: options.seed, rank: options.rank, epoch: epoch, task: t, step: step))
  }

  /// Task `t`'s training batch of the current step: the pipeline's when it sampled it ahead,
  /// else sampled here. Then the pipeline is topped up to `samplingDepth` batches ahead (the
  /// next tasks of this step, then of the next steps within this epoch and the step budget).
  func trainingBatch(task t: Int) throws -> TaskBatch {
    let key = SamplingPipeline.Key(epoch: epoch, step: step, task: t)
    let batch: TaskBatch
    if let pipeline, let (b, seconds) = try pipeline.take(key) {
      batch = b
      batchesSampledAhead += 1
      phases.sampleAhead += seconds
    } else {
      let job = samplingJob(task: t, step: step)
      batch = try builder.build(task: job.task, items: job.items, training: true, seed: job.seed)
    }
    if let pipeline {
      var last = pipeline.outstanding > 0 ? pipeline.lastSubmitted ?? key : key
      while pipeline.outstanding < options.samplingDepth {
        var next = last
        next.task += 1
        if next.task == plan.tasks.count {
          next.task = 0
          next.step += 1
          // Within this epoch, and before a test's step budget runs out.
          guard next.step < schedule.stepsPerEpoch, options.stopAfterSteps.map({ globalStep + (next.step - step) < $0 }) ?? true else { break }
        }
        pipeline.submit(samplingJob(task: next.task, step: next.step))
        last = next
      }
    }
    return batch
  }

  /// One optimiser step over one batch of every task.
  func trainStep() throws {
    let arena = model.arena
    arena.zeroGradients()
    var pushes: [Int: (ids: [Int64], grads: [Float])] = [:]
    var total = 0.0
    for t in plan.tasks.indices {
      tape.reset()
      let seed = deriveSeed(base: options.seed, rank: options.rank, epoch: epoch, task: t, step: step)
      var clock = PhaseClock()
      let batch = try trainingBatch(task: t)
      phases.sample += clock.lap()
      let (inputs, pulled) = try builder.inputs(tape, flow: batch.flow, gradients: true, inPlace: true)
      phases.fetch += clock.lap()
      let head = model.heads[t]
      let loss = model.loss(tape, task: head, flow: batch.flow, inputs: inputs, rows: batch.rows, targets: batch.targets,
                            options: ForwardOptions(dropoutSeed: seed))
      let value = Double(tape.scalar(loss))
      lossSums[t] += value
      total += Double(head.spec.weight) * value
      phases.forward += clock.lap()
      guard tape.requiresGrad(loss) else { continue }
      tape.backward(from: loss, seed: Tensor(rows: 1, cols: 1, storage: [head.spec.weight]))
      phases.backward += clock.lap()
      phases.perTask[t, default: 0] += clock.total
      for p in pulled {
        guard let g = p.grad else { continue }
        pushes[p.ntype, default: ([], [])].ids += p.ids
        pushes[p.ntype]!.grads += UnsafeBufferPointer(start: g, count: p.ids.count * p.width)
      }
    }
    if tc.alphaL2Norm != 0 {
      tape.reset()
      let l2 = model.l2Penalty(tape)
      total += tc.alphaL2Norm * Double(tape.scalar(l2))
      tape.backward(from: l2, seed: Tensor(rows: 1, cols: 1, storage: [Float(tc.alphaL2Norm)]))
    }
    var clock = PhaseClock()
    tape.reset()
    lossTotal += total
    lossSteps += 1
    defer { phases.optimizer += clock.lap() }
    try reducer.reduce(arena.gradients, count: arena.count)
    if let mg = tc.maxGradNorm { clipGradientNorm(arena.gradients, count: arena.count, maxNorm: Float(mg)) }
    adam.step(arena)
    try pushEmbeddingGradients(pushes)
  }

  func progress(S: Int, E: Int, since: Date, runStart: Date, stepsAtStart: Int) throws {
    guard lossSteps > 0 else { return }
    let n = Double(lossSteps)
    let (lossSums, lossTotal) = try lossesAcrossRanks()
    let elapsed = Date().timeIntervalSince(runStart)
    let rate = Double(globalStep - stepsAtStart) / max(elapsed, 1e-9)
    let remaining = Double((E - epoch - 1) * S + (S - step))
    var parts = [String(format: "epoch %d step %d/%d | %.2f steps/s | ETA %@ | loss %.4f", epoch, step, S, rate,
                        RunLog.duration(remaining / max(rate, 1e-9)), lossTotal / n)]
    for (t, task) in plan.tasks.enumerated() {
      parts.append(String(format: "%@ %.4f", task.id, lossSums[t] / n))
      log.record([("kind", .string("train")), ("epoch", .int(epoch)), ("step", .int(globalStep)), ("task_id", .string(task.id)),
                  ("loss", .double(lossSums[t] / n))])
    }
    log.record([("kind", .string("train")), ("epoch", .int(epoch)), ("step", .int(globalStep)), ("task_id", .string("total")),
                ("loss", .double(lossTotal / n))])
    log.info(parts.joined(separator: " | "))
    if PhaseTimes.enabled { log.info("phases so far: " + phases.summary(steps: step)) }
    for t in lossSums.indices { self.lossSums[t] = 0 }
    self.lossTotal = 0
    lossSteps = 0
  }
}

/// Wall seconds per phase of the training step, summed over an epoch (`GUST_PROFILE=1`).
struct PhaseTimes {
  static let enabled: Bool = { if let v = getenv("GUST_PROFILE") { return String(cString: v) != "0" } else { return false } }()
  var sample = 0.0, fetch = 0.0, forward = 0.0, backward = 0.0, optimizer = 0.0
  /// Seconds the background sampler spent on the batches taken (overlapping the phases; with
  /// the pipeline `sample` is the main thread's wait for it).
  var sampleAhead = 0.0
  var perTask: [Int: Double] = [:]

  func summary(steps: Int) -> String {
    let all = sample + fetch + forward + backward + optimizer
    func f(_ name: String, _ x: Double) -> String {
      String(format: "%@ %.1f s (%.0f%%)", name, x, all > 0 ? 100 * x / all : 0)
    }
    var parts = [f("sample", sample), f("fetch", fetch), f("forward", forward), f("backward", backward), f("optimizer", optimizer)]
    parts.append(String(format: "%.3f s/step", all / Double(max(steps, 1))))
    if sampleAhead > 0 { parts.append(String(format: "sampled ahead %.1f s", sampleAhead)) }
    var u = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &u)
    let cpu = Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
    parts.append(String(format: "process cpu %.1f s", cpu))
    parts.append("per task " + perTask.keys.sorted().map { String(format: "%d: %.1f s", $0, perTask[$0]!) }.joined(separator: ", "))
    return parts.joined(separator: " | ")
  }
}

/// Lap timer over a monotonic clock.
struct PhaseClock {
  let start = DispatchTime.now().uptimeNanoseconds
  var last = DispatchTime.now().uptimeNanoseconds
  mutating func lap() -> Double {
    let t = DispatchTime.now().uptimeNanoseconds
    defer { last = t }
    return Double(t - last) * 1e-9
  }
  var total: Double { Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
}
