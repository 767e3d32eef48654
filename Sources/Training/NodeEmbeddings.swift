import Config
import Foundation
import Graph
import Model
import Outputs
import Tensor

/// How output files are written (the YAML's / flags' `output_format`, `output_chunk_size`,
/// `keep_integer_ids`) and where the graph's id mappings are.
public struct OutputSettings {
  public var format: OutputFormat
  public var chunkRows: Int
  public var keepIntegerIds: Bool
  public var ids: NodeIds

  public init(config: TrainingConfig, partConfigPath: String, graph: PartitionConfig) {
    format = config.outputFormat == .csv ? .csv : .parquet
    chunkRows = config.outputChunkSize
    keepIntegerIds = config.keepIntegerIds
    ids = NodeIds(partConfigPath: partConfigPath, config: graph, keepIntegerIds: config.keepIntegerIds)
  }

  public var idKind: OutputInfo.IdKind { keepIntegerIds ? .graph : .raw }
}

/// Mini-batch inference of node embeddings (SPEC §5.1). Every batch samples with one seed,
/// `inferenceSeed`: a node's sampled in-neighbours at layer `l` depend only on that seed, `l`
/// and the node (`Partition.sampleInNeighbors`), so its embedding is the same whichever batch
/// or rank computes it — the written rows do not depend on the batch size or the number of
/// trainers, and node-task predictions are the decoder applied to the written rows.
extension Trainer {
  /// Seeds of inference batches per node type (`GUST_INFER_BATCH` overrides; the written values
  /// do not depend on it).
  public static let inferenceBatchSize: Int = {
    if let v = ProcessInfo.processInfo.environment["GUST_INFER_BATCH"], let n = Int(v), n > 0 { return n }
    return 4096
  }()

  /// Layer-wise embedding pass (default); `GUST_INFER_LAYERWISE=0` runs the mini-batch pass
  /// (`nodeEmbeddings` per batch) instead — same values, kept to compare.
  public static let layerwiseInference: Bool = ProcessInfo.processInfo.environment["GUST_INFER_LAYERWISE"] != "0"

  public var inferenceSeed: UInt64 { deriveSeed(base: options.seed, salt: 0x494E_4645_5245) }

  /// `eval_fanout` over every edge (every neighbour with `use_mini_batch_infer: false`), no masks.
  public var embeddingSampling: SamplingPlan {
    let g = graph.partitionConfig
    let f: Fanout = tc.useMiniBatchInfer ? tc.evalFanout : .full(layers: tc.numLayers)
    return SamplingPlan(fanouts: (0..<tc.numLayers).map { l in
      g.etypes.map { f.fanout(layer: l, edgeType: Config.EdgeType($0.src, $0.rel, $0.dst)) }
    })
  }

  /// Rank `rank` of `worldSize`'s share of `count` items: a contiguous, even slice.
  public static func rankSlice(count: Int, rank: Int, worldSize: Int) -> Range<Int> {
    (count * rank / worldSize)..<(count * (rank + 1) / worldSize)
  }

  /// The encoder's outputs (`hidden_size` wide, row-major) of `ids`, distinct global ids of node
  /// type `t`, sampled with `plan` (default `embeddingSampling`).
  public func nodeEmbeddings(ntype t: Int, ids: [Int64], plan: SamplingPlan? = nil) throws -> [Float] {
    let g = graph.partitionConfig
    var seeds = [[Int64]](repeating: [], count: g.ntypes.count)
    seeds[t] = ids
    let wasRecording = tape.isRecording, wasTraining = tape.isTraining
    tape.isRecording = false
    tape.isTraining = false
    defer { tape.isRecording = wasRecording; tape.isTraining = wasTraining; tape.reset() }
    tape.reset()
    let sampled = try builder.sampler.sample(seeds: seeds, plan: plan ?? embeddingSampling,
                                             seed: deriveSeed(base: inferenceSeed, salt: 0x5341_4D50))
    let (inputs, _) = try builder.inputs(tape, flow: sampled.flow, gradients: false, inPlace: true)
    let emb = model.embed(tape, flow: sampled.flow, inputs: inputs)
    return tape.tensor(emb[g.ntypes[t]]!).storage
  }

  /// Writes this rank's share of every node type's embeddings under `path` (SPEC §5.1):
  /// `<ntype>/embed-<rank>_<chunk>.<ext>` (`nid`, `emb`), the L2-normalised copy under
  /// `<task_id>/` for each link-prediction task with an embedding normaliser, DistMult relation
  /// embeddings beside it, and (rank 0) `emb_info.json` in each folder. Returns the rows written
  /// (shared embeddings only).
  @discardableResult
  public func saveEmbeddings(to path: String, settings: OutputSettings) throws -> Int {
    try saveEmbeddings(to: path, settings: settings, cache: nil)
  }

  /// As `saveEmbeddings(to:settings:)`, reading the rows from `cache` when it holds them all.
  @discardableResult
  func saveEmbeddings(to path: String, settings: OutputSettings, cache: EmbeddingCache?) throws -> Int {
    try outputErrors {
      let g = graph.partitionConfig
      let h = plan.encoder.outputSize
      let R = options.rank, W = options.worldSize
      let normalized = plan.tasks.filter { if case .linkPrediction(let lp) = $0.spec.kind { return lp.l2Normalize } else { return false } }
      let roots = [path] + normalized.map { path + "/" + $0.id }
      try OutputFiles.makeDirectory(path)
      let start = Date()
      var total = 0
      var profEmbed = 0.0, profWrite = 0.0
      var writers: [[ChunkedWriter]] = []
      var mine: [[Int64]] = []
      for t in 0..<g.ntypes.count {
        let name = g.ntypes[t]
        let idKind = try settings.ids.columnKind(t)
        var perType: [ChunkedWriter] = []
        for root in roots {
          let dir = root + "/" + name
          try OutputFiles.makeDirectory(dir)
          OutputFiles.removeStale(directory: dir, prefix: "embed", rank: R, worldSize: W)
          perType.append(try ChunkedWriter(directory: dir, prefix: "embed", rank: R, format: settings.format,
                                           chunkRows: settings.chunkRows,
                                           columns: [ColumnBuffer("nid", idKind), ColumnBuffer("emb", .vector(width: h))]))
        }
        writers.append(perType)
        let all = graph.allNodes(ntype: t)
        mine.append(Array(all[Self.rankSlice(count: all.count, rank: R, worldSize: W)]))
      }
      var clock = PhaseClock()
      func write(_ t: Int, _ ids: [Int64], _ rows: [Float]) throws {
        profEmbed += clock.lap()
        defer { profWrite += clock.lap() }
        var emb = rows
        for (k, w) in writers[t].enumerated() {
          if k == 1 { normalizeRows(&emb, width: h) }  // the copies after the first are normalised
          try settings.ids.append(ntype: t, globalIds: ids, to: &w.columns[0])
          w.columns[1].append(floats: emb)
          try w.commit()
        }
      }
      var passSeconds = 0.0
      if let cache, mine.allSatisfy(cache.contains) {
        passSeconds = cache.seconds
        for t in 0..<g.ntypes.count {
          var lo = 0
          while lo < mine[t].count {
            let ids = Array(mine[t][lo..<min(mine[t].count, lo + Self.inferenceBatchSize)])
            try write(t, ids, cache.gather(ntype: t, ids: ids))
            lo += ids.count
          }
        }
      } else if plan.encoder.numLayers == 0 || !Self.layerwiseInference {
        for t in 0..<g.ntypes.count {
          var lo = 0
          while lo < mine[t].count {
            let ids = Array(mine[t][lo..<min(mine[t].count, lo + Self.inferenceBatchSize)])
            try write(t, ids, try nodeEmbeddings(ntype: t, ids: ids))
            lo += ids.count
          }
        }
      } else {
        try LayerwiseInference(sampler: builder.sampler, builder: builder, model: model, tape: tape, plan: embeddingSampling,
                               seed: deriveSeed(base: inferenceSeed, salt: 0x5341_4D50), chunk: Self.inferenceBatchSize)
          .run(seeds: mine, emit: write)
      }
      for perType in writers { for w in perType { try w.finish() } }
      total = mine.reduce(0) { $0 + $1.count }
      if R == 0 {
        let dims = Dictionary(uniqueKeysWithValues: g.ntypes.map { ($0, h) })
        try OutputInfo.writeEmbInfo(directory: path, format: settings.format, ntypes: g.ntypes, dims: dims, worldSize: W,
                                    ids: settings.idKind, chunkRows: settings.chunkRows)
        for task in normalized {
          try OutputInfo.writeEmbInfo(directory: path + "/" + task.id, format: settings.format, ntypes: g.ntypes, dims: dims,
                                      worldSize: W, ids: settings.idKind, chunkRows: settings.chunkRows, taskID: task.id)
        }
        try saveRelationEmbeddings(to: path, settings: settings)
      }
      // With a shared pass, its seconds count here (it computed these rows, and the predictions').
      let s = Date().timeIntervalSince(start) + passSeconds
      if PhaseTimes.enabled {
        log.info(String(format: "embedding pass: encoder %.2f s (layer-wise pass, before predictions %.2f s), ids + writing %.2f s",
                        profEmbed, passSeconds, profWrite))
      }
      log.info(String(format: "embeddings: %d rows of %d node types (rank %d of %d) in %.2f s (%.0f rows/s) → %@",
                      total, g.ntypes.count, R, W, s, Double(total) / max(s, 1e-9), path))
      return total
    }
  }

  /// This rank's embedding slice of every node type (when `withSlice`) followed by the nodes
  /// `tasks`' prediction items on this rank read, each once: the seeds of the shared pass.
  func sharedPassSeeds(withSlice: Bool, tasks: [TaskPlan]) throws -> [[Int64]] {
    let g = graph.partitionConfig
    let R = options.rank, W = options.worldSize
    var seeds = [[Int64]](repeating: [], count: g.ntypes.count)
    var seen = [Bool](repeating: false, count: Int(g.numNodes))
    func add(_ t: Int, _ id: Int64) { if !seen[Int(id)] { seen[Int(id)] = true; seeds[t].append(id) } }
    if withSlice {
      for t in 0..<g.ntypes.count {
        let all = graph.allNodes(ntype: t)
        for id in all[Self.rankSlice(count: all.count, rank: R, worldSize: W)] { add(t, id) }
      }
    }
    for task in tasks {
      let (all, _) = try predictionItems(task, quiet: true)
      // The share `predict` takes: whole global evaluation batches.
      let items = Self.evaluationShare(all, batchSize: task.config.evalBatchSize, rank: R, worldSize: W).items
      switch task.target {
      case .nodes(let t): for id in items.ids { add(t, id) }
      case .edges:
        for i in 0..<items.count {
          let et = g.etypes[Int(items.etype[i])]
          add(g.ntypeId(et.src)!, items.src[i])
          add(g.ntypeId(et.dst)!, items.dst[i])
        }
      }
    }
    return seeds
  }

  /// Layer-wise inference of `seeds` into a cache (nil when the encoder has no layers or
  /// `GUST_INFER_LAYERWISE=0`).
  func sharedPass(seeds: [[Int64]], plan sampling: SamplingPlan? = nil, options: ForwardOptions = ForwardOptions()) throws -> EmbeddingCache? {
    guard plan.encoder.numLayers > 0, Self.layerwiseInference, seeds.contains(where: { !$0.isEmpty }) else { return nil }
    let g = graph.partitionConfig
    let cache = EmbeddingCache(numNodes: g.numNodes, ntypes: g.ntypes.count, width: plan.encoder.outputSize)
    let start = Date()
    defer { cache.seconds = Date().timeIntervalSince(start) }
    for t in 0..<g.ntypes.count { cache.rows[t].reserveCapacity(seeds[t].count * cache.width) }
    try LayerwiseInference(sampler: builder.sampler, builder: builder, model: model, tape: tape, plan: sampling ?? embeddingSampling,
                           seed: deriveSeed(base: inferenceSeed, salt: 0x5341_4D50), chunk: Self.inferenceBatchSize, options: options)
      .run(seeds: seeds, profile: PhaseTimes.enabled ? { [log] in log.info("layer-wise: " + $0) } : nil) { t, ids, rows in
        var k = Int32(cache.rows[t].count / cache.width)
        for id in ids { cache.index[Int(id)] = k; k += 1 }
        cache.rows[t] += rows
      }
    return cache
  }

  /// DistMult link-prediction tasks: `<path>/<task_id>/relation2id_map.json` (`"src,rel,dst"` →
  /// row) and `rel_emb.<ext>` (`rel_id`, `etype`, `emb`), one row per canonical edge type.
  func saveRelationEmbeddings(to path: String, settings: OutputSettings) throws {
    let etypes = plan.encoder.edgeTypes
    for task in plan.tasks {
      guard case .linkPrediction(let lp) = task.spec.kind, case .distMult = lp.score,
            let v = model.arena.view(named: "decoder.\(task.id).rel") else { continue }
      let dir = path + "/" + task.id
      try OutputFiles.makeDirectory(dir)
      var map: [String: Int] = [:]
      for (k, e) in etypes.enumerated() { map["\(e.src),\(e.rel),\(e.dst)"] = k }
      try OutputFiles.writeJSON(map, to: dir + "/relation2id_map.json")
      let w = try ChunkedWriter(directory: dir, prefix: "rel_emb", rank: 0, format: settings.format, chunkRows: max(etypes.count, 1),
                                columns: [ColumnBuffer("rel_id", .int64), ColumnBuffer("etype", .string),
                                          ColumnBuffer("emb", .vector(width: v.cols))])
      let values = model.arena.tensor(v).storage
      for (k, e) in etypes.enumerated() {
        w.columns[0].append(int: Int64(k))
        w.columns[1].append(string: Array("\(e.src),\(e.rel),\(e.dst)".utf8))
        w.columns[2].append(floats: Array(values[(k * v.cols)..<((k + 1) * v.cols)]))
      }
      try w.finish()
    }
  }

  /// `OutputError`s as `TrainingError`s (bad input → exit 2, I/O → exit 1).
  func outputErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as OutputError {
      throw TrainingError(e.code == .badInput ? .badInput : .runtime, e.message)
    }
  }
}

/// Each `width`-wide row scaled to unit L2 norm (PyTorch's `F.normalize`: norm clamped at 1e-12).
func normalizeRows(_ x: inout [Float], width w: Int) {
  guard w > 0 else { return }
  x.withUnsafeMutableBufferPointer { b in
    for r in 0..<(b.count / w) {
      var s: Float = 0
      for j in 0..<w { s += b[r * w + j] * b[r * w + j] }
      let inv = 1 / max(s.squareRoot(), 1e-12)
      for j in 0..<w { b[r * w + j] *= inv }
    }
  }
}
