import Tensor

/// Classification settings shared by node and edge classification.
public struct ClassificationSpec: Sendable, Equatable {
  public var numClasses: Int
  /// Multi-hot labels and BCE-with-logits instead of softmax cross-entropy.
  public var multilabel: Bool
  /// `imbalance_class_weights`: the CE `weight` (the BCE `weight` when multilabel).
  public var classWeights: [Float]?
  /// `multilabel_weights`: the BCE `pos_weight`.
  public var multilabelWeights: [Float]?

  public init(numClasses: Int, multilabel: Bool = false, classWeights: [Float]? = nil,
              multilabelWeights: [Float]? = nil) {
    precondition(numClasses >= 1, "ClassificationSpec: numClasses \(numClasses)")
    if let w = classWeights { precondition(w.count == numClasses, "ClassificationSpec: \(w.count) class weights for \(numClasses) classes") }
    if let w = multilabelWeights { precondition(w.count == numClasses && multilabel, "ClassificationSpec: multilabel weights need multilabel and one per class") }
    self.numClasses = numClasses
    self.multilabel = multilabel
    self.classWeights = classWeights
    self.multilabelWeights = multilabelWeights
  }
}

/// `decoder_type` of edge classification / regression.
public enum EdgeDecoderKind: Sendable, Equatable {
  /// GCMC's bilinear decoder with `num_decoder_basis` bases (> 1).
  case denseBi(numBasis: Int)
  /// `MLPDecoder`: a linear map of the concatenated endpoint embeddings.
  case mlp
}

/// `lp_decoder_type`.
public enum LinkScore: Sendable, Equatable {
  /// Σ u·v.
  case dotProduct
  /// Σ u·r·v with a relation vector per canonical edge type, initialised U(−γ/h, γ/h).
  case distMult(gamma: Float)
}

/// `lp_loss_func`.
public enum LinkLoss: Sendable, Equatable {
  /// BCE-with-logits over positives (label 1) and negatives (label 0), one mean over all.
  case crossEntropy
  /// InfoNCE: −log softmax of the positive among its negatives, scores divided by `temperature`.
  case contrastive(temperature: Float)
}

/// `train_negative_sampler`.
public enum NegativeSampling: Sendable, Equatable {
  /// `k` negative destinations per positive.
  case uniform
  /// `k` negative destinations shared by the whole batch (each positive meets all of them).
  case joint
  /// `joint`, plus every other positive's destination in the batch.
  case inbatchJoint
}

public struct LinkPredictionSpec: Sendable, Equatable {
  /// `train_etype`.
  public var edgeTypes: [EdgeType]
  public var score: LinkScore
  public var loss: LinkLoss
  public var negatives: NegativeSampling
  /// `num_negative_edges`.
  public var numNegatives: Int
  /// `lp_embed_normalizer: l2_norm` (GraphStorm forces it on with `contrastive`; so does the
  /// default here).
  public var l2Normalize: Bool

  public init(edgeTypes: [EdgeType], score: LinkScore = .distMult(gamma: 12), loss: LinkLoss = .crossEntropy,
              negatives: NegativeSampling = .uniform, numNegatives: Int = 16, l2Normalize: Bool? = nil) {
    precondition(numNegatives >= 0, "LinkPredictionSpec: negative numNegatives")
    self.edgeTypes = edgeTypes
    self.score = score
    self.loss = loss
    self.negatives = negatives
    self.numNegatives = numNegatives
    if case .contrastive = loss { self.l2Normalize = l2Normalize ?? true } else { self.l2Normalize = l2Normalize ?? false }
  }
}

/// The seven task kinds, each with what its decoder and loss need (DESIGN principle 12).
public enum TaskKind: Sendable, Equatable {
  case nodeClassification(ntype: String, ClassificationSpec)
  case nodeRegression(ntype: String)
  case edgeClassification(etype: EdgeType, decoder: EdgeDecoderKind, ClassificationSpec)
  case edgeRegression(etype: EdgeType, decoder: EdgeDecoderKind)
  case linkPrediction(LinkPredictionSpec)
  /// Regress a node feature of width `featureWidth` from the embedding (last self-loop off).
  case nodeFeatureReconstruction(ntype: String, featureWidth: Int)
  /// Regress an edge feature of width `featureWidth` from the endpoint pair.
  case edgeFeatureReconstruction(etype: EdgeType, featureWidth: Int)

  /// Whether this task's encoder pass must drop the last layer's self-loop.
  public var skipsLastSelfLoop: Bool {
    if case .nodeFeatureReconstruction = self { return true }
    return false
  }
}

/// One task of the model: its id (GraphStorm's task id; it names the decoder's parameters),
/// its kind and the task-level keys the decoder uses.
public struct TaskSpec: Sendable, Equatable {
  public var id: String
  public var kind: TaskKind
  /// `task_weight` (> 0).
  public var weight: Float
  /// `decoder_bias`.
  public var decoderBias: Bool
  /// The task's decoder dropout (where GraphStorm's decoder applies it).
  public var dropout: Float

  public init(id: String, kind: TaskKind, weight: Float = 1, decoderBias: Bool = true, dropout: Float = 0) {
    precondition(weight > 0, "TaskSpec '\(id)': task weight must be positive")
    precondition(dropout >= 0 && dropout < 1, "TaskSpec '\(id)': dropout \(dropout) outside [0, 1)")
    self.id = id
    self.kind = kind
    self.weight = weight
    self.decoderBias = decoderBias
    self.dropout = dropout
  }
}

/// The positive links of one edge type in a link-prediction batch, and their negatives, as
/// rows of the encoder's output (`src`/`negSrc` of `etype.src`, `dst`/`negDst` of `etype.dst`).
public struct LinkRows: Sendable, Equatable {
  public var etype: EdgeType
  public var src: [Int32]
  public var dst: [Int32]
  /// Negative destinations: `k` shared ones (`shared`) or `k` per positive, row-major.
  public var negDst: [Int32]
  /// Negative sources (evaluation: GraphStorm corrupts both ends), same layout; may be empty.
  public var negSrc: [Int32]
  /// Negatives shared by the whole batch (joint) or drawn per positive (uniform).
  public var shared: Bool

  public init(etype: EdgeType, src: [Int32], dst: [Int32], negDst: [Int32], negSrc: [Int32] = [],
              shared: Bool) {
    precondition(src.count == dst.count, "LinkRows: \(src.count) sources, \(dst.count) destinations")
    if !shared && !src.isEmpty {
      precondition(negDst.count % src.count == 0 && negSrc.count % src.count == 0,
                   "LinkRows: per-positive negatives must be a multiple of the \(src.count) positives")
    }
    self.etype = etype
    self.src = src
    self.dst = dst
    self.negDst = negDst
    self.negSrc = negSrc
    self.shared = shared
  }

  public var count: Int { src.count }
}

/// Which rows of the encoder output one task's batch scores.
public enum TaskRows: Sendable, Equatable {
  /// Rows of the target node type.
  case nodes([Int32])
  /// Target edges as (source row, destination row) of the target edge type's end types.
  case edges(src: [Int32], dst: [Int32])
  /// Link prediction, per edge type.
  case links([LinkRows])

  public var count: Int {
    switch self {
    case .nodes(let r): return r.count
    case .edges(let s, _): return s.count
    case .links(let l): return l.reduce(0) { $0 + $1.count }
    }
  }
}

/// Supervision for one batch.
public enum Targets: Sendable, Equatable {
  /// Class ids (single-label classification).
  case classes([Int32])
  /// `[n × numClasses]` 0/1 (multilabel classification).
  case multiHot(Tensor)
  /// `[n × width]` values (regression: width 1; reconstruction: the feature's width).
  case values(Tensor)
  /// Link prediction needs none.
  case none
}
