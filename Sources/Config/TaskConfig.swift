/// One entry of `multi_task_learning`: its id, its kind with the kind's keys, and the keys
/// every task has. Keys the block does not set come from the global key of the same name
/// (**Gust**; GraphStorm uses its built-in default), then from GraphStorm's default.
public struct TaskConfig: Equatable, Sendable {
  /// GraphStorm's task id (`node_classification-paper-label_class`, …): names decoders,
  /// output folders, metrics.
  public var id: String
  public var kind: TaskKind
  /// Position in `multi_task_learning` (task order = batch order within a step).
  public var index: Int
  /// `gsf.multi_task_learning[i].<kind>`, for messages.
  public var yamlPath: String
  /// `mask_fields`: train, val, test (each may be null).
  public var masks: MaskFields
  /// `task_weight` (> 0, default 1).
  public var taskWeight: Double
  /// `batch_size` (default: the global `batch_size`).
  public var batchSize: Int
  /// `eval_batch_size` (default 10000).
  public var evalBatchSize: Int
  /// `eval_metric`, non-empty; the first is the major metric.
  public var evalMetrics: [EvalMetric]
  /// `dropout`: decoder dropout (default: the global `dropout`).
  public var dropout: Double

  public var majorMetric: EvalMetric { evalMetrics[0] }
}

/// `mask_fields: [train, val, test]`; a nil entry means that split does not exist for the task.
public struct MaskFields: Equatable, Sendable {
  public var train: String?
  public var val: String?
  public var test: String?
  public init(train: String?, val: String?, test: String?) {
    self.train = train
    self.val = val
    self.test = test
  }
  public static let none = MaskFields(train: nil, val: nil, test: nil)
}

/// The task kinds, each with the keys only it has.
public enum TaskKind: Equatable, Sendable {
  case nodeClassification(NodeClassification)
  case nodeRegression(NodeRegression)
  case edgeClassification(EdgeClassification)
  case edgeRegression(EdgeRegression)
  case linkPrediction(LinkPrediction)
  case reconstructNodeFeature(ReconstructNodeFeature)
  case reconstructEdgeFeature(ReconstructEdgeFeature)

  /// The YAML key of each kind.
  public enum Name: String, CaseIterable, Sendable {
    case nodeClassification = "node_classification"
    case nodeRegression = "node_regression"
    case edgeClassification = "edge_classification"
    case edgeRegression = "edge_regression"
    case linkPrediction = "link_prediction"
    case reconstructNodeFeature = "reconstruct_node_feat"
    case reconstructEdgeFeature = "reconstruct_edge_feat"
  }

  public var name: Name {
    switch self {
    case .nodeClassification: return .nodeClassification
    case .nodeRegression: return .nodeRegression
    case .edgeClassification: return .edgeClassification
    case .edgeRegression: return .edgeRegression
    case .linkPrediction: return .linkPrediction
    case .reconstructNodeFeature: return .reconstructNodeFeature
    case .reconstructEdgeFeature: return .reconstructEdgeFeature
    }
  }

  /// The node type of a node task, nil for edge tasks.
  public var targetNodeType: String? {
    switch self {
    case .nodeClassification(let t): return t.targetNodeType
    case .nodeRegression(let t): return t.targetNodeType
    case .reconstructNodeFeature(let t): return t.targetNodeType
    default: return nil
    }
  }

  /// The edge type of an edge classification/regression/reconstruction task.
  public var targetEdgeType: EdgeType? {
    switch self {
    case .edgeClassification(let t): return t.targetEdgeType
    case .edgeRegression(let t): return t.targetEdgeType
    case .reconstructEdgeFeature(let t): return t.targetEdgeType
    default: return nil
    }
  }
}

public struct NodeClassification: Equatable, Sendable {
  /// `target_ntype` (default `_N`, with a warning).
  public var targetNodeType: String
  /// `label_field` (required).
  public var labelField: String
  /// `num_classes` (required, ≥ 2).
  public var numClasses: Int
  /// `multilabel` (false): BCE over a multi-hot label.
  public var multilabel: Bool
  /// `imbalance_class_weights` (`"w1,…"`, each > 0, `numClasses` of them).
  public var imbalanceClassWeights: [Double]?
  /// `multilabel_weights` (`"w1,…"`, each ≥ 0, `numClasses` of them; only with `multilabel`):
  /// the BCE `pos_weight`, the weight of each class's positive term.
  public var multilabelWeights: [Double]?
}

public struct NodeRegression: Equatable, Sendable {
  public var targetNodeType: String
  public var labelField: String
}

public struct EdgeClassification: Equatable, Sendable {
  /// The first `target_etype` (GraphStorm uses only the first; default `_N,_E,_N`).
  public var targetEdgeType: EdgeType
  /// Every `target_etype` listed (GraphStorm trains on the first, but its task id joins all).
  public var listedEdgeTypes: [EdgeType]
  public var labelField: String
  public var numClasses: Int
  public var multilabel: Bool
  public var imbalanceClassWeights: [Double]?
  /// `multilabel_weights`: as for node classification.
  public var multilabelWeights: [Double]?
  /// `decoder_type` (`DenseBiDecoder`) with `num_decoder_basis` (2).
  public var decoder: EdgeDecoder
  /// `remove_target_edge_type` (true): the target type and its reverse get fanout 0.
  public var removeTargetEdgeType: Bool
  /// `reverse_edge_types_map`: edge type → its reverse.
  public var reverseEdgeTypes: [EdgeType: EdgeType]
}

public struct EdgeRegression: Equatable, Sendable {
  public var targetEdgeType: EdgeType
  /// Every `target_etype` listed (GraphStorm trains on the first, but its task id joins all).
  public var listedEdgeTypes: [EdgeType]
  public var labelField: String
  public var decoder: EdgeDecoder
  public var removeTargetEdgeType: Bool
  public var reverseEdgeTypes: [EdgeType: EdgeType]
}

public struct LinkPrediction: Equatable, Sendable {
  /// `train_etype` (nil: every edge type of the graph, reverse types included).
  public var trainEdgeTypes: [EdgeType]?
  /// `eval_etype` (nil: every edge type).
  public var evalEdgeTypes: [EdgeType]?
  /// `num_negative_edges` (16) per positive in training.
  public var numNegativeEdges: Int
  /// `num_negative_edges_eval` (1000): k in the 2k-negative ranking.
  public var numNegativeEdgesEval: Int
  /// `train_negative_sampler` (`uniform`).
  public var trainNegativeSampler: NegativeSampler
  /// `eval_negative_sampler` (`joint`).
  public var evalNegativeSampler: EvalNegativeSampler
  /// `exclude_training_targets` (true; then `reverse_edge_types_map` must not be empty).
  public var excludeTrainingTargets: Bool
  public var reverseEdgeTypes: [EdgeType: EdgeType]
  /// `lp_decoder_type` (`distmult`) with `gamma` (12).
  public var decoder: LinkPredictionDecoder
  /// `lp_loss_func` (`cross_entropy`) with `contrastive_loss_temperature` (1).
  public var loss: LinkPredictionLoss
  /// `lp_embed_normalizer` (none; `l2_norm` when the loss is contrastive).
  public var embedNormalizer: EmbedNormalizer?
}

public struct ReconstructNodeFeature: Equatable, Sendable {
  public var targetNodeType: String
  /// `reconstruct_nfeat_name` (required).
  public var featureName: String
}

public struct ReconstructEdgeFeature: Equatable, Sendable {
  public var targetEdgeType: EdgeType
  /// Every `target_etype` listed (GraphStorm trains on the first, but its task id joins all).
  public var listedEdgeTypes: [EdgeType]
  /// `reconstruct_efeat_name` (required).
  public var featureName: String
}
