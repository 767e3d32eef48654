import Foundation

extension TaskConfig {
  /// Types one task block (reference §3.3–3.4 defaults); global keys fill what it leaves out.
  static func read(_ r: inout Reader, index: Int, global: TrainingConfig) throws -> TaskConfig {
    let raw = r.task!
    let kind = try readKind(&r, raw.name)
    let id = TaskID.make(kind)
    do {
      return try readCommon(&r, kind: kind, id: id, index: index, raw: raw, global: global)
    } catch var e as ConfigError {
      e.taskID = e.taskID ?? id
      throw e
    }
  }

  private static func readCommon(
    _ r: inout Reader, kind: TaskKind, id: String, index: Int, raw: RawTask,
    global: TrainingConfig
  ) throws -> TaskConfig {
    let masks = try r.value("mask_fields", default: MaskFields.none, warnInherit: false) { n, p in
      guard case .sequence(let items, _) = n else { throw n.typeError(p, "a list [train, val, test]") }
      guard items.count == 3 else {
        throw ConfigError(
          .invalidValue, path: p,
          "mask_fields needs exactly 3 entries (train, val, test; null allowed), found \(items.count)",
          line: n.line)
      }
      let f = try items.enumerated().map { i, m in m.isNull ? nil : try m.string("\(p)[\(i)]") }
      return MaskFields(train: f[0], val: f[1], test: f[2])
    }
    let weight = try r.value("task_weight", default: 1.0, Read.double)
    try r.check("task_weight", weight, weight > 0, "task_weight must be > 0")
    guard let batch = try r.get("batch_size", Read.int)?.0 else {
      throw ConfigError(
        .missingKey, path: "\(raw.path).batch_size",
        "no batch_size: set it in this task or globally (e.g. gsf.basic.batch_size)",
        line: raw.line)
    }
    try r.check("batch_size", batch, batch > 0, "batch_size must be > 0")
    let evalBatch = try r.value("eval_batch_size", default: 10000, Read.int)
    try r.check("eval_batch_size", evalBatch, evalBatch > 0, "eval_batch_size must be > 0")
    let family = metricFamily(kind.name)
    let metrics = try r.value(
      "eval_metric", default: [defaultMetric(kind.name)]
    ) { n, p -> [EvalMetric] in
      let names = try n.stringList(p)
      guard !names.isEmpty else {
        throw ConfigError(.invalidValue, path: p, "eval_metric is empty", line: n.line)
      }
      return try names.enumerated().map { i, s in
        try EvalMetric.parse(
          s.lowercased(), family: family, path: n.isSequence ? "\(p)[\(i)]" : p, line: n.line)
      }
    }
    let dropout = try r.value("dropout", default: 0.0, Read.double)
    try r.check("dropout", dropout, dropout >= 0 && dropout < 1, "dropout must be in [0, 1)")
    return TaskConfig(
      id: id, kind: kind, index: index, yamlPath: raw.path, masks: masks, taskWeight: weight,
      batchSize: batch, evalBatchSize: evalBatch, evalMetrics: metrics, dropout: dropout)
  }

  static func metricFamily(_ k: TaskKind.Name) -> EvalMetric.Family {
    switch k {
    case .nodeClassification, .edgeClassification: return .classification
    case .linkPrediction: return .linkPrediction
    default: return .regression
    }
  }

  static func defaultMetric(_ k: TaskKind.Name) -> EvalMetric {
    switch k {
    case .nodeClassification, .edgeClassification: return .accuracy
    case .nodeRegression, .edgeRegression: return .rmse
    case .linkPrediction: return .mrr
    case .reconstructNodeFeature, .reconstructEdgeFeature: return .mse
    }
  }

  // MARK: kinds

  private static func readKind(_ r: inout Reader, _ name: TaskKind.Name) throws -> TaskKind {
    switch name {
    case .nodeClassification:
      let (n, w, m, pw) = try classification(&r)
      return .nodeClassification(
        NodeClassification(
          targetNodeType: try nodeType(&r), labelField: try label(&r), numClasses: n,
          multilabel: m, imbalanceClassWeights: w, multilabelWeights: pw))
    case .nodeRegression:
      return .nodeRegression(
        NodeRegression(targetNodeType: try nodeType(&r), labelField: try label(&r)))
    case .edgeClassification:
      let (n, w, m, pw) = try classification(&r)
      let (et, listed) = try edgeType(&r)
      return .edgeClassification(
        EdgeClassification(
          targetEdgeType: et, listedEdgeTypes: listed, labelField: try label(&r), numClasses: n,
          multilabel: m, imbalanceClassWeights: w, multilabelWeights: pw, decoder: try edgeDecoder(&r),
          removeTargetEdgeType: try r.value("remove_target_edge_type", default: true, Read.bool),
          reverseEdgeTypes: try reverseMap(&r)))
    case .edgeRegression:
      let (et, listed) = try edgeType(&r)
      return .edgeRegression(
        EdgeRegression(
          targetEdgeType: et, listedEdgeTypes: listed, labelField: try label(&r),
          decoder: try edgeDecoder(&r),
          removeTargetEdgeType: try r.value("remove_target_edge_type", default: true, Read.bool),
          reverseEdgeTypes: try reverseMap(&r)))
    case .linkPrediction:
      return .linkPrediction(try linkPrediction(&r))
    case .reconstructNodeFeature:
      return .reconstructNodeFeature(
        ReconstructNodeFeature(
          targetNodeType: try nodeType(&r),
          featureName: try r.required(
            "reconstruct_nfeat_name", "the node feature to reconstruct", Read.string)))
    case .reconstructEdgeFeature:
      let (et, listed) = try edgeType(&r)
      return .reconstructEdgeFeature(
        ReconstructEdgeFeature(
          targetEdgeType: et, listedEdgeTypes: listed,
          featureName: try r.required(
            "reconstruct_efeat_name", "the edge feature to reconstruct", Read.string)))
    }
  }

  private static func nodeType(_ r: inout Reader) throws -> String {
    guard let (v, _, _) = try r.get("target_ntype", { n, p -> String in
      if n.isSequence {
        throw ConfigError(
          .wrongType, path: p, "target_ntype must be a single node type, not a list", line: n.line)
      }
      return try n.string(p)
    }) else {
      r.warnings.append(
        ConfigWarning(
          .defaultAssumed, path: r.pathFor("target_ntype"),
          "no target_ntype: assuming _N (a homogeneous graph), as GraphStorm does"))
      return "_N"
    }
    return v
  }

  /// The first `target_etype` and all of them.
  private static func edgeType(_ r: inout Reader) throws -> (EdgeType, [EdgeType]) {
    guard let (list, e, _) = try r.get("target_etype", EdgeType.parseList) else {
      r.warnings.append(
        ConfigWarning(
          .defaultAssumed, path: r.pathFor("target_etype"),
          "no target_etype: assuming _N,_E,_N (a homogeneous graph), as GraphStorm does"))
      let d = EdgeType("_N", "_E", "_N")
      return (d, [d])
    }
    guard let first = list.first else {
      throw ConfigError(.invalidValue, path: e.path, "target_etype is empty", line: e.node.line)
    }
    if list.count > 1 {
      r.warnings.append(
        ConfigWarning(
          .extraValues, path: e.path,
          "only the first target_etype (\(first)) is used, as in GraphStorm; the task id joins all"))
    }
    return (first, list)
  }

  private static func label(_ r: inout Reader) throws -> String {
    try r.required("label_field", "the field holding the label", Read.string)
  }

  private static func classification(_ r: inout Reader) throws -> (Int, [Double]?, Bool, [Double]?) {
    let n = try r.required("num_classes", "an integer ≥ 2", Read.int)
    try r.check("num_classes", n, n >= 2, "num_classes must be ≥ 2")
    let multilabel = try r.value("multilabel", default: false, Read.bool)
    let weights = try numberList(&r, "imbalance_class_weights")
    if let weights {
      try r.check(
        "imbalance_class_weights", weights, weights.count == n,
        "needs num_classes (\(n)) weights, found \(weights.count)")
      try r.check(
        "imbalance_class_weights", weights, weights.allSatisfy { $0 > 0 }, "each weight must be > 0")
    }
    // GraphStorm's BCE `pos_weight` for multi-label tasks: one per class, each ≥ 0.
    let positive = try numberList(&r, "multilabel_weights")
    if let positive {
      try r.check("multilabel_weights", positive, multilabel, "needs multilabel: true")
      try r.check(
        "multilabel_weights", positive, positive.count == n,
        "needs num_classes (\(n)) weights, found \(positive.count)")
      try r.check(
        "multilabel_weights", positive, positive.allSatisfy { $0 >= 0 }, "each weight must be ≥ 0")
    }
    return (n, weights, multilabel, positive)
  }

  /// A list of numbers written GraphStorm's way (`"w1,w2,…"`) or as a YAML list.
  private static func numberList(_ r: inout Reader, _ key: String) throws -> [Double]? {
    try r.get(key) { node, p -> [Double] in
      let texts: [String]
      if case .scalar = node {
        texts = try node.string(p).split(separator: ",").map(String.init)
      } else {
        texts = try node.stringList(p)
      }
      return try texts.map { t in
        guard let w = Double(t.trimmingCharacters(in: .whitespaces)), w.isFinite else {
          throw ConfigError(
            .wrongType, path: p, "'\(t)' is not a number (write \"w1,w2,…\")", line: node.line)
        }
        return w
      }
    }?.0
  }

  private static func edgeDecoder(_ r: inout Reader) throws -> EdgeDecoder {
    let type = try r.value("decoder_type", default: "DenseBiDecoder", Read.string)
    switch type {
    case "DenseBiDecoder":
      let b = try r.value("num_decoder_basis", default: 2, Read.int)
      try r.check("num_decoder_basis", b, b > 1, "DenseBiDecoder needs num_decoder_basis > 1")
      return .denseBi(numBasis: b)
    case "MLPDecoder":
      return .mlp
    default:
      let e = r.entry("decoder_type")!.0
      if type == "MLPEFeatEdgeDecoder" {
        throw ConfigError(
          .unsupported, path: e.path,
          "MLPEFeatEdgeDecoder is not supported by Gust (supported: DenseBiDecoder, MLPDecoder)",
          line: e.node.line)
      }
      throw ConfigError(
        .invalidValue, path: e.path, "'\(type)' is not one of DenseBiDecoder, MLPDecoder",
        suggestion: closestName(to: type, in: ["DenseBiDecoder", "MLPDecoder"]), line: e.node.line)
    }
  }

  private static func reverseMap(_ r: inout Reader) throws -> [EdgeType: EdgeType] {
    try r.get("reverse_edge_types_map", EdgeType.parseReverseMap)?.0 ?? [:]
  }

  private static func linkPrediction(_ r: inout Reader) throws -> LinkPrediction {
    let train = try r.get("train_etype", EdgeType.parseList)?.0
    let eval = try r.get("eval_etype", EdgeType.parseList)?.0
    let neg = try r.value("num_negative_edges", default: 16, Read.int)
    try r.check("num_negative_edges", neg, neg > 0, "num_negative_edges must be > 0")
    let negEval = try r.value("num_negative_edges_eval", default: 1000, Read.int)
    try r.check("num_negative_edges_eval", negEval, negEval > 0, "must be > 0")
    let sampler = try r.value(
      "train_negative_sampler", default: .uniform,
      Read.choice(NegativeSampler.self, unsupported: NegativeSampler.graphStormOnly))
    let evalSampler = try r.value(
      "eval_negative_sampler", default: .joint, Read.choice(EvalNegativeSampler.self))
    let exclude = try r.value("exclude_training_targets", default: true, Read.bool)
    let reverse = try reverseMap(&r)
    if exclude && reverse.isEmpty {
      let at = r.entry("exclude_training_targets")?.0.path ?? r.pathFor("exclude_training_targets")
      throw ConfigError(
        .invalidValue, path: at,
        "exclude_training_targets is true (the default) but reverse_edge_types_map is empty: list the reverse edge types (\"head,rel,rev_rel,tail\") or set exclude_training_targets: false"
      )
    }
    let decoderName = try r.value("lp_decoder_type", default: "distmult") { n, p in
      try n.string(p).lowercased()
    }
    let decoder: LinkPredictionDecoder
    switch decoderName {
    case "dot_product": decoder = .dotProduct
    case "distmult":
      let gamma = try r.value("gamma", default: 12.0, Read.double)
      try r.check("gamma", gamma, gamma > 0, "gamma must be > 0")
      decoder = .distMult(gamma: gamma)
    default:
      let e = r.entry("lp_decoder_type")!.0
      let gs: Set = ["rotate", "transe_l1", "transe_l2"]
      throw ConfigError(
        gs.contains(decoderName) ? .unsupported : .invalidValue, path: e.path,
        "'\(decoderName)' is not supported by Gust (supported: dot_product, distmult)",
        suggestion: gs.contains(decoderName)
          ? nil : closestName(to: decoderName, in: ["dot_product", "distmult"]),
        line: e.node.line)
    }
    let lossName = try r.value("lp_loss_func", default: "cross_entropy") { n, p in
      try n.string(p).lowercased()
    }
    let loss: LinkPredictionLoss
    switch lossName {
    case "cross_entropy": loss = .crossEntropy
    case "contrastive":
      let t = try r.value("contrastive_loss_temperature", default: 1.0, Read.double)
      try r.check("contrastive_loss_temperature", t, t > 0, "must be > 0")
      loss = .contrastive(temperature: t)
    default:
      let e = r.entry("lp_loss_func")!.0
      let gs: Set = ["bpr", "logsigmoid", "weighted_cross_entropy"]
      throw ConfigError(
        gs.contains(lossName) ? .unsupported : .invalidValue, path: e.path,
        "'\(lossName)' is not supported by Gust (supported: cross_entropy, contrastive)",
        suggestion: gs.contains(lossName)
          ? nil : closestName(to: lossName, in: ["cross_entropy", "contrastive"]),
        line: e.node.line)
    }
    var normalizer = try r.get("lp_embed_normalizer", Read.choice(EmbedNormalizer.self))?.0
    if case .contrastive = loss, normalizer == nil { normalizer = .l2Norm }
    return LinkPrediction(
      trainEdgeTypes: train, evalEdgeTypes: eval, numNegativeEdges: neg,
      numNegativeEdgesEval: negEval, trainNegativeSampler: sampler,
      evalNegativeSampler: evalSampler, excludeTrainingTargets: exclude,
      reverseEdgeTypes: reverse, decoder: decoder, loss: loss, embedNormalizer: normalizer)
  }
}
