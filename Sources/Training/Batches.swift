import Graph
import Model
import Tensor

/// One task's mini-batch, ready for the model: its sampled blocks, the rows of the encoder
/// output it scores, and its supervision.
public struct TaskBatch {
  public var sampled: SampledFlow
  public var rows: TaskRows
  public var targets: Targets
  /// Edge ids kept out of message passing (link prediction targets and reverse twins), sorted.
  public var excluded: [Int64]
  public var flow: MessageFlow { sampled.flow }
}

/// Learnable embedding rows a batch pulled, with the buffer their gradient lands in.
public struct PulledRows {
  public let ntype: Int
  public let ids: [Int64]
  public let grad: UnsafeMutablePointer<Float>?
  public let width: Int
}

/// Builds task batches from items: seeds, link-prediction negatives and exclusions, blocks
/// (through `BlockSampler`), targets, and the input layer's tape values.
public final class BatchBuilder {
  public let graph: GraphAccess
  public let plan: TrainingPlan
  public let sampler: BlockSampler
  var negativeSamplers: [Int: NegativeSampler] = [:]

  public init(graph: GraphAccess, plan: TrainingPlan) {
    self.graph = graph
    self.plan = plan
    sampler = BlockSampler(graph: graph)
  }

  func negatives(_ ntype: Int) -> NegativeSampler {
    if let s = negativeSamplers[ntype] { return s }
    let s = NegativeSampler(ranges: graph.partitionConfig.nodeMap[ntype].map { $0.start..<$0.end })
    negativeSamplers[ntype] = s
    return s
  }

  /// Seeds per node type with their local rows (order of first appearance).
  struct SeedSet {
    var ids: [[Int64]]
    var index: [[Int64: Int32]]
    init(types: Int) {
      ids = [[Int64]](repeating: [], count: types)
      index = [[Int64: Int32]](repeating: [:], count: types)
    }
    mutating func add(_ t: Int, _ id: Int64) -> Int32 {
      if let i = index[t][id] { return i }
      let i = Int32(ids[t].count)
      ids[t].append(id)
      index[t][id] = i
      return i
    }
  }

  /// The batch of `task` over `items`. Training batches use the task's train sampling, its
  /// training negatives and target exclusion; evaluation batches (`training == false`) use
  /// `eval_fanout` and, for link prediction, `num_negative_edges_eval` corruptions of both ends.
  /// With `sample: false` the blocks are not sampled: the flow holds only the seeds (one node
  /// set, no blocks) for a caller that has their embeddings (layer-wise inference).
  public func build(task: TaskPlan, items: TaskItems, training: Bool, seed: UInt64, sample: Bool = true) throws -> TaskBatch {
    let c = graph.partitionConfig
    var seeds = SeedSet(types: c.ntypes.count)
    var rows: TaskRows
    var excluded: [Int64] = []
    switch task.target {
    case .nodes(let t):
      rows = .nodes(items.ids.map { seeds.add(t, $0) })
    case .edges:
      if case .linkPrediction(let lp) = task.spec.kind {
        var links: [LinkRows] = []
        for e in Set(items.etype).sorted() {
          let pos = (0..<items.count).filter { items.etype[$0] == e }
          let et = c.etypes[Int(e)]
          let st = c.ntypeId(et.src)!, dt = c.ntypeId(et.dst)!
          let src = pos.map { seeds.add(st, items.src[$0]) }, dst = pos.map { seeds.add(dt, items.dst[$0]) }
          let negSeed = deriveSeed(base: seed, salt: 0x4E45_4700 &+ UInt64(e))
          if training {
            let neg = negatives(dt).negatives(lp.negatives, numPositives: pos.count, k: lp.numNegatives, seed: negSeed)
            links.append(LinkRows(etype: lp.edgeTypes.first { $0.name == et.key } ?? Model.EdgeType(et.src, et.rel, et.dst),
                                  src: src, dst: dst, negDst: neg.map { seeds.add(dt, $0) },
                                  shared: NegativeSampler.sharedByBatch(lp.negatives)))
          } else {
            guard case .linkPrediction(let cfg) = task.config.kind else { preconditionFailure() }
            let shared = cfg.evalNegativeSampler == .joint
            let (ns, nd) = NegativeSampler.corruptions(sources: negatives(st), destinations: negatives(dt), numPositives: pos.count,
                                                       k: cfg.numNegativeEdgesEval, shared: shared, seed: negSeed)
            links.append(LinkRows(etype: Model.EdgeType(et.src, et.rel, et.dst), src: src, dst: dst,
                                  negDst: nd.map { seeds.add(dt, $0) }, negSrc: ns.map { seeds.add(st, $0) }, shared: shared))
          }
        }
        rows = .links(links)
        if training && task.excludeTargets { excluded = try exclusions(task, items) }
      } else {
        var s: [Int32] = [], d: [Int32] = []
        for i in 0..<items.count {
          let et = c.etypes[Int(items.etype[i])]
          s.append(seeds.add(c.ntypeId(et.src)!, items.src[i]))
          d.append(seeds.add(c.ntypeId(et.dst)!, items.dst[i]))
        }
        rows = .edges(src: s, dst: d)
      }
    }
    if !sample {
      var named: [String: [Int64]] = [:]
      for (t, ids) in seeds.ids.enumerated() where !ids.isEmpty { named[c.ntypes[t]] = ids }
      return TaskBatch(sampled: SampledFlow(flow: MessageFlow(nodes: [named], blocks: []), edgeIds: []), rows: rows,
                       targets: try targets(task, items), excluded: excluded)
    }
    let sampling = training ? task.trainSampling : task.evalSampling
    let sampled = try sampler.sample(seeds: seeds.ids, plan: sampling, excluded: excluded,
                                     seed: deriveSeed(base: seed, salt: 0x5341_4D50))
    return TaskBatch(sampled: sampled, rows: rows, targets: try targets(task, items), excluded: excluded)
  }

  /// The batch's target edges and, for edge types with a reverse, every reverse edge between
  /// the same endpoints (DGL's `exclude='reverse_types'`), sorted.
  func exclusions(_ task: TaskPlan, _ items: TaskItems) throws -> [Int64] {
    var out = items.ids
    struct Pair: Hashable { let a: Int64, b: Int64 }
    var byReverse: [Int: Set<Pair>] = [:]
    for i in 0..<items.count {
      if let r = task.reverseOf[Int(items.etype[i])] {
        // Reverse edge: src = this edge's dst, dst = this edge's src.
        byReverse[r, default: []].insert(Pair(a: items.src[i], b: items.dst[i]))
      }
    }
    for (r, pairs) in byReverse.sorted(by: { $0.key < $1.key }) {
      let seeds = Array(Set(pairs.map(\.a))).sorted()
      let s = try graph.sampleNeighbors(seeds: seeds, requests: [SampleRequest(etype: r, fanout: -1)], excluded: [], seed: 0)[0]
      for k in 0..<s.eid.count where pairs.contains(Pair(a: s.dst[k], b: s.src[k])) { out.append(s.eid[k]) }
    }
    return Array(Set(out)).sorted()
  }

  /// Supervision for `items` of `task`, checked (class ids inside `num_classes`).
  public func targets(_ task: TaskPlan, _ items: TaskItems) throws -> Targets {
    let n = items.count
    func column() throws -> ArrayData {
      switch task.target {
      case .nodes(let t): return try graph.nodeColumn(ntype: t, field: task.field!, ids: items.ids)
      case .edges(let es): return try graph.edgeColumn(etype: es[0], field: task.field!, ids: items.ids)
      }
    }
    func features() throws -> [Float] {
      switch task.target {
      case .nodes(let t): return try graph.nodeFeatures(ntype: t, fields: [task.field!], ids: items.ids)
      case .edges(let es): return try graph.edgeFeatures(etype: es[0], fields: [task.field!], ids: items.ids)
      }
    }
    switch task.spec.kind {
    case .nodeClassification(_, let cs), .edgeClassification(_, _, let cs):
      let col = try column()
      if cs.multilabel {
        let v = col.floats
        guard v.count == n * cs.numClasses else {
          throw TrainingError(.badInput, "task \(task.id): multilabel field '\(task.field!)' is \(n == 0 ? 0 : v.count / n) wide, num_classes is \(cs.numClasses)")
        }
        return .multiHot(Tensor(rows: n, cols: cs.numClasses, storage: v))
      }
      let v = col.integers
      guard v.count == n else { throw TrainingError(.badInput, "task \(task.id): label field '\(task.field!)' must have width 1") }
      if let bad = v.first(where: { $0 < 0 || $0 >= cs.numClasses }) {
        throw TrainingError(.badInput, "task \(task.id): label \(bad) in '\(task.field!)' is outside 0..<num_classes (\(cs.numClasses)) (\(task.config.yamlPath).num_classes)")
      }
      return .classes(v.map { Int32($0) })
    case .nodeRegression, .edgeRegression:
      let v = try column().floats
      guard v.count == n else { throw TrainingError(.badInput, "task \(task.id): label field '\(task.field!)' must have width 1") }
      return .values(Tensor(rows: n, cols: 1, storage: v))
    case .nodeFeatureReconstruction(_, let w), .edgeFeatureReconstruction(_, let w):
      return .values(Tensor(rows: n, cols: w, storage: try features()))
    case .linkPrediction:
      return .none
    }
  }

  /// The input layer's values for `flow.nodes[0]`: feature rows as constants, embedding rows as
  /// leaves whose gradient (when `gradients`) lands in a workspace buffer listed in the result.
  /// With `inPlace`, features the graph holds in one mapped piece are handed over as that table
  /// plus a row map (`NodeInputs.featureRows`) instead of a gathered copy — the same values.
  public func inputs(_ tape: Tape, flow: MessageFlow, gradients: Bool, inPlace: Bool = false) throws -> (NodeInputs, [PulledRows]) {
    var inputs = NodeInputs()
    var pulled: [PulledRows] = []
    let c = graph.partitionConfig
    for name in flow.nodes[0].keys.sorted() {
      let ids = flow.nodes[0][name]!
      let t = c.ntypeId(name)!
      if let fields = plan.featureFields[t] {
        let width = plan.encoder.featureWidths[name]!
        if inPlace, let table = graph.nodeFeatureTable(ntype: t, fields: fields), table.width == width {
          var rows = [Int32](repeating: 0, count: ids.count)
          for (i, id) in ids.enumerated() {
            let r = id - table.start
            guard r >= 0 && r < Int64(table.count) else {
              throw GraphError(.invalidArgument, "node id \(id) is not a '\(name)' node")
            }
            rows[i] = Int32(r)
          }
          inputs.features[name] = tape.input(table.base, rows: table.count, cols: width)
          inputs.featureRows[name] = rows
        } else {
          let x = tape.workspace.allocate(ids.count * width)
          try graph.nodeFeatures(ntype: t, fields: fields, ids: ids, into: x)
          inputs.features[name] = tape.input(x, rows: ids.count, cols: width)
        }
      }
      if plan.embeddingTypes.contains(t) {
        let w = plan.encoder.embeddingSize
        let e = try graph.pullEmbeddings(ntype: t, ids: ids)
        let value = tape.workspace.allocate(max(e.count, 1))
        e.withUnsafeBufferPointer { if let b = $0.baseAddress { value.update(from: b, count: e.count) } }
        let grad = gradients ? tape.workspace.zeros(max(e.count, 1)) : nil
        inputs.embeddings[name] = tape.leaf(value: value, grad: grad, rows: ids.count, cols: w)
        if gradients { pulled.append(PulledRows(ntype: t, ids: ids, grad: grad, width: w)) }
      }
    }
    return (inputs, pulled)
  }
}
