import Graph

/// The gconstruct JSON (SPEC §2; GraphStorm's `gconstruct-v0.1`) as typed values. Every value
/// remembers its JSON path (`keyPath`) so later errors — a column that does not exist, a
/// transform that cannot apply — can name the key as well as the file.
public struct GConstructConfig: Sendable {
  public var version: String?
  public var nodes: [NodeEntry]
  public var edges: [EdgeEntry]
  /// Keys the parser did not recognise (`nodes[0].typo`): reported as warnings.
  public var unknownKeys: [String]

  public init(version: String?, nodes: [NodeEntry], edges: [EdgeEntry], unknownKeys: [String] = []) {
    self.version = version
    self.nodes = nodes
    self.edges = edges
    self.unknownKeys = unknownKeys
  }
}

/// How the files of an entry are stored.
public enum TableFormat: Equatable, Sendable {
  case parquet
  case csv(separator: UInt8)
}

public struct NodeEntry: Sendable {
  public var nodeType: String
  public var format: TableFormat
  /// As written in the config (a path, glob or directory each); expanded by `InputFiles`.
  public var files: [String]
  public var nodeIdCol: String?
  public var features: [FeatureSpec]
  public var labels: [LabelSpec]
  public var keyPath: String
}

public struct EdgeEntry: Sendable {
  public var relation: EdgeType
  public var format: TableFormat
  public var files: [String]
  public var sourceIdCol: String
  public var destIdCol: String
  public var features: [FeatureSpec]
  public var labels: [LabelSpec]
  public var keyPath: String
}

/// One feature: one or several columns (each transformed alike, concatenated), stored as
/// `name`.
public struct FeatureSpec: Sendable {
  public var columns: [String]
  public var name: String
  public var transform: FeatureTransform?
  public var keyPath: String
}

/// Feature transforms with their parameters. Parameters that are learned from the data
/// (`maxVal`/`minVal`, `sum`, `mapping`) are `nil` on first construction and given when the
/// config is a `data_transform_new.json` written by an earlier run (so inference-time data is
/// transformed identically).
public enum FeatureTransform: Equatable, Sendable {
  /// `(x − min) / (max − min)` per dimension, clipped to [0, 1]; `maxBound`/`minBound` cap the
  /// learned max/min.
  case maxMinNorm(maxBound: Double?, minBound: Double?, maxVal: [Double]?, minVal: [Double]?)
  /// `x / Σx` per dimension.
  case standard(sum: [Double]?)
  /// Per dimension: rank → (−1, 1) → erfinv.
  case rankGauss(epsilon: Double?, uniquify: Bool)
  /// One-hot (or multi-hot with `separator`) over `mapping` (value → index; learned: the
  /// sorted distinct values).
  case toCategorical(separator: String?, mapping: [String: Int]?)
  /// Multi-hot over `bucketCount` equal buckets of `[low, high]`; a value covers the buckets
  /// its window `[x − w/2, x + w/2]` overlaps.
  case bucketNumerical(low: Double, high: Double, bucketCount: Int, slideWindowSize: Double)

  public var name: String {
    switch self {
    case .maxMinNorm: return "max_min_norm"
    case .standard: return "standard"
    case .rankGauss: return "rank_gauss"
    case .toCategorical: return "to_categorical"
    case .bucketNumerical: return "bucket_numerical"
    }
  }

  public static let names = ["max_min_norm", "standard", "rank_gauss", "to_categorical", "bucket_numerical"]
}

public enum TaskType: String, Sendable, CaseIterable {
  case classification, regression
  case linkPrediction = "link_prediction"
  case reconstructNodeFeat = "reconstruct_node_feat"
  case reconstructEdgeFeat = "reconstruct_edge_feat"

  /// Whether the task stores a label array (the others produce masks only).
  public var hasLabel: Bool { self == .classification || self == .regression }
}

public enum SplitSpec: Equatable, Sendable {
  /// `[train, val, test]` fractions of the rows with a label, each ≥ 0, summing to ≤ 1.
  case pct(train: Double, val: Double, test: Double)
  /// Files listing raw ids (nodes) or `[src, dst]` pairs (edges) per split.
  case custom(train: [String], valid: [String], test: [String], column: [String])
}

public struct LabelSpec: Sendable {
  public var labelCol: String?
  public var taskType: TaskType
  public var split: SplitSpec
  /// `[train, val, test]` mask names.
  public var maskNames: [String]
  public var keyPath: String

  public static let defaultMaskNames = ["train_mask", "val_mask", "test_mask"]
}
