import Config
import Graph
import Model
import Tensor

/// One task of the run: its config, the model's spec, what it targets and how its batches
/// sample (leakage rules applied, SPEC §4).
public struct TaskPlan {
  public enum Target: Equatable, Sendable {
    /// Node type id.
    case nodes(ntype: Int)
    /// Edge type ids (link prediction may train on several).
    case edges(etypes: [Int])
  }

  public let index: Int
  public let config: TaskConfig
  public let spec: TaskSpec
  public let target: Target
  /// Training and evaluation sampling (`fanout` / `eval_fanout`, leakage rules applied).
  public let trainSampling: SamplingPlan
  public let evalSampling: SamplingPlan
  /// Link prediction with `exclude_training_targets`: edge type id → its reverse's id (targets
  /// of a type without a reverse are still excluded themselves).
  public let excludeTargets: Bool
  public let reverseOf: [Int: Int]
  /// Label field (classification, regression) or reconstructed feature.
  public let field: String?

  public var id: String { config.id }
}

/// Everything the loop needs that follows from the YAML and the graph alone.
public struct TrainingPlan {
  public let graph: PartitionConfig
  public let config: GustConfig
  public let encoder: EncoderConfig
  /// Node type id → the feature fields read for it, concatenated in order.
  public let featureFields: [Int: [String]]
  /// Node type ids with learnable embeddings.
  public let embeddingTypes: [Int]
  public let tasks: [TaskPlan]
  public var warnings: [String] = []

  /// What config validation needs from a partition config.
  public static func schema(of g: PartitionConfig) -> GraphSchema {
    GraphSchema(
      nodeTypes: g.ntypes.enumerated().map { GraphSchema.NodeTypeInfo(name: $1, fields: Set(g.nodeFields[$0].map(\.name))) },
      edgeTypes: g.etypes.enumerated().map {
        GraphSchema.EdgeTypeInfo(edgeType: Config.EdgeType($1.src, $1.rel, $1.dst), fields: Set(g.edgeFields[$0].map(\.name)))
      })
  }

  /// Validates `config` against `graph` and builds the plan. Throws the first `ConfigError`
  /// (exit 2) or a `TrainingError(.badInput)`.
  public static func make(config: GustConfig, graph g: PartitionConfig, mode: ConfigMode = .train) throws -> TrainingPlan {
    try config.validateOrThrow(against: schema(of: g), mode: mode)
    let tc = config.training
    func bad(_ path: String, _ m: String) -> TrainingError { TrainingError(.badInput, "\(path): \(m)") }
    func etypeId(_ e: Config.EdgeType, _ path: String) throws -> Int {
      guard let i = g.etypes.firstIndex(where: { $0.src == e.src && $0.rel == e.rel && $0.dst == e.dst }) else {
        throw bad(path, "the graph has no edge type \(e)")
      }
      return i
    }
    func ntypeId(_ t: String, _ path: String) throws -> Int {
      guard let i = g.ntypeId(t) else { throw bad(path, "the graph has no node type '\(t)'") }
      return i
    }
    guard tc.numLayers >= 1 else { throw bad("gsf.num_layers", "Gust trains GNN encoders: num_layers must be ≥ 1") }
    for (name, f) in [("fanout", tc.fanout), ("eval_fanout", tc.evalFanout)] where f.numLayers != tc.numLayers {
      throw bad("gsf.\(name)", "\(f.numLayers) layers for num_layers \(tc.numLayers)")
    }

    // Input features per node type (feature groups of one type are concatenated).
    var featureFields: [Int: [String]] = [:]
    var widths: [String: Int] = [:]
    var warnings: [String] = []
    for (t, name) in g.ntypes.enumerated() {
      let groups = tc.nodeFeatureNames?.groups(for: name) ?? []
      if groups.count > 1 { warnings.append("node_feat_name: the \(groups.count) feature groups of '\(name)' are concatenated into one projection") }
      let fields = groups.flatMap { $0 }
      if fields.isEmpty { continue }
      var w = 0
      var present = true
      for f in fields {
        guard let info = g.nodeField(t, f) else { present = false; break }
        guard info.dtype == .f32 || info.dtype == .f64 else {
          throw bad("gsf.node_feat_name", "feature '\(f)' of '\(name)' is \(info.dtype.rawValue); features must be f32 or f64")
        }
        w += info.width
      }
      if !present {
        if case .perType = tc.nodeFeatureNames! { throw bad("gsf.node_feat_name", "node type '\(name)' has no field among \(fields)") }
        continue  // `["feat"]`: types without the field learn an embedding instead
      }
      featureFields[t] = fields
      widths[name] = w
    }
    let medges = g.etypes.map { Model.EdgeType($0.src, $0.rel, $0.dst) }
    let enc = EncoderConfig(nodeTypes: g.ntypes, edgeTypes: medges, featureWidths: widths, hiddenSize: tc.hiddenSize,
                            numLayers: tc.numLayers, numBases: tc.numBases, useSelfLoop: tc.useSelfLoop,
                            dropout: Float(tc.dropout), useNodeEmbeddings: tc.useNodeEmbeddings)
    let embeddingTypes = enc.embeddingTypes.map { g.ntypeId($0)! }

    func fanouts(_ f: Fanout) -> [[Int]] {
      (0..<tc.numLayers).map { l in g.etypes.map { f.fanout(layer: l, edgeType: Config.EdgeType($0.src, $0.rel, $0.dst)) } }
    }
    let baseTrain = fanouts(tc.fanout)
    let baseEval = tc.useMiniBatchInfer ? fanouts(tc.evalFanout) : fanouts(.full(layers: tc.numLayers))

    var tasks: [TaskPlan] = []
    for task in config.tasks {
      let path = task.yamlPath
      var train = SamplingPlan(fanouts: baseTrain), eval = SamplingPlan(fanouts: baseEval)
      var reverseOf: [Int: Int] = [:]
      var exclude = false
      func removeEdgeTypes(_ ids: [Int]) {
        for l in 0..<tc.numLayers { for e in ids { train.fanouts[l][e] = 0; eval.fanouts[l][e] = 0 } }
      }
      func reverseIds(_ map: [Config.EdgeType: Config.EdgeType]) throws -> [Int: Int] {
        var out: [Int: Int] = [:]
        for (f, r) in map {
          guard let fi = try? etypeId(f, path), let ri = try? etypeId(r, path) else {
            warnings.append("\(path).reverse_edge_types_map: \(f) ↔ \(r) is not a pair of edge types of the graph; ignored")
            continue
          }
          out[fi] = ri
          out[ri] = fi
        }
        return out
      }
      func classification(_ n: Int, _ multilabel: Bool, _ w: [Double]?, _ pw: [Double]?) -> ClassificationSpec {
        ClassificationSpec(numClasses: n, multilabel: multilabel, classWeights: w.map { $0.map(Float.init) },
                           multilabelWeights: pw.map { $0.map(Float.init) })
      }
      func edgeDecoder(_ d: EdgeDecoder) -> EdgeDecoderKind {
        switch d {
        case .denseBi(let nb): return .denseBi(numBasis: nb)
        case .mlp: return .mlp
        }
      }
      let kind: Model.TaskKind, target: TaskPlan.Target, field: String?
      switch task.kind {
      case .nodeClassification(let t):
        let nt = try ntypeId(t.targetNodeType, path)
        kind = .nodeClassification(ntype: t.targetNodeType, classification(t.numClasses, t.multilabel, t.imbalanceClassWeights, t.multilabelWeights))
        target = .nodes(ntype: nt); field = t.labelField
      case .nodeRegression(let t):
        kind = .nodeRegression(ntype: t.targetNodeType)
        target = .nodes(ntype: try ntypeId(t.targetNodeType, path)); field = t.labelField
      case .reconstructNodeFeature(let t):
        let nt = try ntypeId(t.targetNodeType, path)
        guard let info = g.nodeField(nt, t.featureName) else { throw bad(path + ".reconstruct_nfeat_name", "'\(t.targetNodeType)' has no field '\(t.featureName)'") }
        kind = .nodeFeatureReconstruction(ntype: t.targetNodeType, featureWidth: info.width)
        target = .nodes(ntype: nt); field = t.featureName
      case .edgeClassification(let t):
        let e = try etypeId(t.targetEdgeType, path)
        reverseOf = try reverseIds(t.reverseEdgeTypes)
        if t.removeTargetEdgeType { removeEdgeTypes([e] + (reverseOf[e].map { [$0] } ?? [])) }
        kind = .edgeClassification(etype: medges[e], decoder: edgeDecoder(t.decoder), classification(t.numClasses, t.multilabel, t.imbalanceClassWeights, t.multilabelWeights))
        target = .edges(etypes: [e]); field = t.labelField
      case .edgeRegression(let t):
        let e = try etypeId(t.targetEdgeType, path)
        reverseOf = try reverseIds(t.reverseEdgeTypes)
        if t.removeTargetEdgeType { removeEdgeTypes([e] + (reverseOf[e].map { [$0] } ?? [])) }
        kind = .edgeRegression(etype: medges[e], decoder: edgeDecoder(t.decoder))
        target = .edges(etypes: [e]); field = t.labelField
      case .reconstructEdgeFeature(let t):
        let e = try etypeId(t.targetEdgeType, path)
        guard let info = g.edgeField(e, t.featureName) else { throw bad(path + ".reconstruct_efeat_name", "\(t.targetEdgeType) has no field '\(t.featureName)'") }
        kind = .edgeFeatureReconstruction(etype: medges[e], featureWidth: info.width)
        target = .edges(etypes: [e]); field = t.featureName
      case .linkPrediction(let t):
        let ids = try (t.trainEdgeTypes ?? g.etypes.map { Config.EdgeType($0.src, $0.rel, $0.dst) }).map { try etypeId($0, path) }
        reverseOf = try reverseIds(t.reverseEdgeTypes)
        exclude = t.excludeTrainingTargets
        // Messages only over the task's train-mask edges, on every edge type that has the field.
        if let m = task.masks.train {
          for e in 0..<g.etypes.count where g.edgeField(e, m) != nil {
            train.maskFields[e] = m
            eval.maskFields[e] = m
          }
        }
        let score: LinkScore
        switch t.decoder {
        case .dotProduct: score = .dotProduct
        case .distMult(let gamma): score = .distMult(gamma: Float(gamma))
        }
        let loss: LinkLoss
        switch t.loss {
        case .crossEntropy: loss = .crossEntropy
        case .contrastive(let temp): loss = .contrastive(temperature: Float(temp))
        }
        let neg: NegativeSampling
        switch t.trainNegativeSampler {
        case .uniform: neg = .uniform
        case .joint: neg = .joint
        case .inbatchJoint: neg = .inbatchJoint
        }
        kind = .linkPrediction(LinkPredictionSpec(edgeTypes: ids.map { medges[$0] }, score: score, loss: loss, negatives: neg,
                                                  numNegatives: t.numNegativeEdges, l2Normalize: t.embedNormalizer != nil))
        target = .edges(etypes: ids); field = nil
      }
      let spec = TaskSpec(id: task.id, kind: kind, weight: Float(task.taskWeight), dropout: Float(task.dropout))
      tasks.append(TaskPlan(index: task.index, config: task, spec: spec, target: target, trainSampling: train,
                            evalSampling: eval, excludeTargets: exclude, reverseOf: reverseOf, field: field))
    }
    var plan = TrainingPlan(graph: g, config: config, encoder: enc, featureFields: featureFields,
                            embeddingTypes: embeddingTypes, tasks: tasks)
    plan.warnings = warnings
    return plan
  }
}
