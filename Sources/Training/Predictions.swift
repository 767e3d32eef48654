import Config
import Foundation
import Graph
import Model
import Outputs
import Tensor

/// Predictions of node and edge tasks (SPEC §5.2) and their test metrics from the same pass, so
/// the files hold exactly what was scored. Items: the task's test mask, or — without one — every
/// node or edge of its target type (predicted, not scored); this rank takes a contiguous even
/// share (whole global batches, `Trainer+EvalShares.swift`), the metrics merged across ranks.
/// Batches of `eval_batch_size` sample with the task's evaluation plan (its leakage rules)
/// and `inferenceSeed`, so a node task's prediction is its decoder applied to the embedding row
/// `saveEmbeddings` writes.
extension Trainer {
  /// Whether task `t` writes predictions (GraphStorm: node and edge classification/regression).
  public static func hasPredictions(_ kind: Model.TaskKind) -> Bool {
    switch kind {
    case .nodeClassification, .nodeRegression, .edgeClassification, .edgeRegression: return true
    default: return false
    }
  }

  /// The items task `task` predicts and whether they are scored.
  func predictionItems(_ task: TaskPlan, quiet: Bool = false) throws -> (items: TaskItems, scored: Bool) {
    if let test = testItems[task.index] { return (test, validation) }
    switch task.target {
    case .nodes(let t):
      let all = graph.allNodes(ntype: t)
      if !quiet { log.info("task \(task.id): no test mask, predicting all \(all.count) '\(graph.partitionConfig.ntypes[t])' nodes") }
      return (TaskItems(ids: all), false)
    case .edges(let es):
      var out = TaskItems(ids: [])
      for e in es {
        let s = try graph.allEdges(etype: e, maskField: nil)
        out.ids += s.eid
        out.src += s.src
        out.dst += s.dst
        out.etype += [Int32](repeating: Int32(e), count: s.eid.count)
      }
      if !quiet { log.info("task \(task.id): no test mask, predicting all \(out.count) \(graph.partitionConfig.etypes[es[0]]) edges") }
      return (out, false)
    }
  }

  /// Predicts `task` over this rank's share of its items, writing `<path>/<task_id>/…` when
  /// `path` is given; returns the test metrics when the items are scored.
  func predict(_ task: TaskPlan, path: String?, settings: OutputSettings?, cache: EmbeddingCache? = nil) throws -> MetricAccumulator? {
    let g = graph.partitionConfig
    let (allItems, scored) = try predictionItems(task)
    let items = Self.evaluationShare(allItems, batchSize: task.config.evalBatchSize, rank: options.rank, worldSize: options.worldSize).items
    var acc: MetricAccumulator? = scored ? MetricAccumulator.make(for: task) : nil
    let head = model.heads[task.index]
    var cls: ClassificationSpec?
    switch task.spec.kind {
    case .nodeClassification(_, let c), .edgeClassification(_, _, let c): cls = c
    default: cls = nil
    }
    let proba = tc.returnProba
    let predKind: ColumnBuffer.Kind = cls.map { c in proba || c.multilabel ? .vector(width: c.numClasses) : .int64 } ?? .float
    var writer: ChunkedWriter?
    var endpointTypes: (Int, Int)?
    if let path, let settings {
      var dir = path + "/" + task.id
      var columns: [ColumnBuffer]
      switch task.target {
      case .nodes(let t):
        dir += "/" + g.ntypes[t]
        columns = [ColumnBuffer("nid", try settings.ids.columnKind(t))]
      case .edges(let es):
        let e = g.etypes[es[0]]
        let st = g.ntypeId(e.src)!, dt = g.ntypeId(e.dst)!
        endpointTypes = (st, dt)
        dir += "/\(e.src)_\(e.rel)_\(e.dst)"
        columns = [ColumnBuffer("src_nid", try settings.ids.columnKind(st)), ColumnBuffer("dst_nid", try settings.ids.columnKind(dt))]
      }
      try OutputFiles.makeDirectory(dir)
      OutputFiles.removeStale(directory: dir, prefix: "pred.predict", rank: options.rank, worldSize: options.worldSize)
      writer = try ChunkedWriter(directory: dir, prefix: "pred.predict", rank: options.rank, format: settings.format,
                                 chunkRows: settings.chunkRows, columns: columns + [ColumnBuffer("pred", predKind)])
    }
    let wasRecording = tape.isRecording, wasTraining = tape.isTraining
    tape.isRecording = false
    tape.isTraining = false
    defer { tape.isRecording = wasRecording; tape.isTraining = wasTraining; tape.reset() }
    let bs = max(1, task.config.evalBatchSize)
    var lo = 0
    while lo < items.count {
      let batchItems = items.subset(Array(lo..<min(items.count, lo + bs))[...])
      tape.reset()
      var seeds = [[Int64]](repeating: [], count: g.ntypes.count)
      var index = [[Int64: Int32]](repeating: [:], count: g.ntypes.count)
      func add(_ t: Int, _ id: Int64) -> Int32 {
        if let i = index[t][id] { return i }
        let i = Int32(seeds[t].count)
        seeds[t].append(id)
        index[t][id] = i
        return i
      }
      let rows: TaskRows
      switch task.target {
      case .nodes(let t): rows = .nodes(batchItems.ids.map { add(t, $0) })
      case .edges:
        var s: [Int32] = [], d: [Int32] = []
        for i in 0..<batchItems.count {
          let et = g.etypes[Int(batchItems.etype[i])]
          s.append(add(g.ntypeId(et.src)!, batchItems.src[i]))
          d.append(add(g.ntypeId(et.dst)!, batchItems.dst[i]))
        }
        rows = .edges(src: s, dst: d)
      }
      var emb: [String: Var] = [:]
      if let cache, seeds.allSatisfy(cache.contains) {
        // The shared layer-wise pass sampled as this task's evaluation does: its rows.
        for (t, ids) in seeds.enumerated() where !ids.isEmpty {
          emb[g.ntypes[t]] = tape.constant(Tensor(rows: ids.count, cols: cache.width, storage: cache.gather(ntype: t, ids: ids)))
        }
      } else {
        let sampled = try builder.sampler.sample(seeds: seeds, plan: task.evalSampling, seed: deriveSeed(base: inferenceSeed, salt: 0x5341_4D50))
        let (inputs, _) = try builder.inputs(tape, flow: sampled.flow, gradients: false, inPlace: true)
        emb = model.embed(tape, flow: sampled.flow, inputs: inputs)
      }
      let out = tape.tensor(head.outputs(tape, embeddings: emb, rows: rows))
      if acc != nil { try score(&acc!, task: task, items: batchItems, output: out) }
      if let w = writer, let settings {
        switch task.target {
        case .nodes(let t): try settings.ids.append(ntype: t, globalIds: batchItems.ids, to: &w.columns[0])
        case .edges:
          try settings.ids.append(ntype: endpointTypes!.0, globalIds: batchItems.src, to: &w.columns[0])
          try settings.ids.append(ntype: endpointTypes!.1, globalIds: batchItems.dst, to: &w.columns[1])
        }
        let p = w.columns.count - 1
        if let c = cls {
          if proba { w.columns[p].append(floats: Predict.probabilities(out, multilabel: c.multilabel).storage) }
          else if c.multilabel { w.columns[p].append(floats: Predict.multilabelIds(out).storage) }
          else { w.columns[p].append(ints: Predict.classIds(out).map { Int64($0) }) }
        } else {
          w.columns[p].append(floats: Predict.values(out))
        }
        try w.commit()
      }
      lo += batchItems.count
    }
    if let w = writer, let settings {
      try w.finish()
      if options.rank == 0 {
        let dir = path! + "/" + task.id
        var ntypes: [String]?, etypes: [[String]]?
        switch task.target {
        case .nodes(let t): ntypes = [g.ntypes[t]]
        case .edges(let es): let e = g.etypes[es[0]]; etypes = [[e.src, e.rel, e.dst]]
        }
        try OutputInfo.writeResultInfo(directory: dir, format: settings.format, taskID: task.id, ntypes: ntypes, etypes: etypes,
                                       worldSize: options.worldSize, ids: settings.idKind,
                                       pred: cls == nil ? "value" : (proba ? "proba" : "class"), chunkRows: settings.chunkRows)
      }
      log.info("task \(task.id): \(w.rowsWritten) predictions (rank \(options.rank)) → \(w.directory)")
    }
    return try acc.map { try reduceAcrossRanks($0, task: task) }
  }

  /// One batch's decoder output folded into the task's metrics (as `Evaluator.accumulate`).
  func score(_ acc: inout MetricAccumulator, task: TaskPlan, items: TaskItems, output out: Tensor) throws {
    let y = try builder.targets(task, items)
    switch (acc, y) {
    case (.classification(var cm, var scores, var labels, let k), .classes(let c)):
      cm.add(predicted: Predict.classIds(out), labels: c)
      scores += Predict.probabilities(out, multilabel: false).storage
      labels += c
      acc = .classification(confusion: cm, scores: scores, labels: labels, numClasses: k)
    case (.multilabel(var scores, var targets, let k), .multiHot(let t)):
      scores += Predict.sigmoid(out).storage
      targets += t.storage
      acc = .multilabel(scores: scores, targets: targets, numClasses: k)
    case (.regression(var r), .values(let v)):
      r.add(predictions: out.storage, targets: v.storage)
      acc = .regression(r)
    default:
      preconditionFailure("task \(task.id): targets do not fit its metrics")
    }
  }
}
