import Tensor

/// The shared encoder's shape: the input layer and the RGCN (SPEC §4; GraphStorm's
/// `GSNodeEncoderInputLayer` + `RelationalGCNEncoder`).
public struct EncoderConfig: Sendable, Equatable {
  /// Every node type of the graph.
  public var nodeTypes: [String]
  /// Every canonical edge type of the graph, in a fixed order (the relation index of bases
  /// and of DistMult tables).
  public var edgeTypes: [EdgeType]
  /// Node types with input features → the width of their features (fields concatenated).
  public var featureWidths: [String: Int]
  public var hiddenSize: Int
  /// `out_emb_size`: the last layer's width (= `hiddenSize` by default; ignored with ≤ 1 layer
  /// as in GraphStorm, where the single layer maps to it anyway).
  public var outSize: Int
  /// GNN layers; 0 means the input layer alone.
  public var numLayers: Int
  /// `num_bases`: basis decomposition when `0 < numBases < edgeTypes.count`, else one weight per
  /// relation (GraphStorm's rule).
  public var numBases: Int
  public var useSelfLoop: Bool
  /// Dropout of the input layer and of every GNN layer but the last (GraphStorm's placement).
  public var dropout: Float
  /// `use_node_embeddings`: featured types also get a learnable embedding.
  public var useNodeEmbeddings: Bool

  public init(nodeTypes: [String], edgeTypes: [EdgeType], featureWidths: [String: Int],
              hiddenSize: Int, outSize: Int? = nil, numLayers: Int, numBases: Int = -1,
              useSelfLoop: Bool = true, dropout: Float = 0, useNodeEmbeddings: Bool = false) {
    precondition(hiddenSize > 0, "EncoderConfig: hiddenSize must be positive")
    precondition(numLayers >= 0, "EncoderConfig: negative numLayers")
    precondition(dropout >= 0 && dropout < 1, "EncoderConfig: dropout \(dropout) outside [0, 1)")
    for (t, w) in featureWidths { precondition(w > 0, "EncoderConfig: feature width of '\(t)' is \(w)") }
    self.nodeTypes = nodeTypes
    self.edgeTypes = edgeTypes
    self.featureWidths = featureWidths
    self.hiddenSize = hiddenSize
    self.outSize = outSize ?? hiddenSize
    self.numLayers = numLayers
    self.numBases = numBases
    self.useSelfLoop = useSelfLoop
    self.dropout = dropout
    self.useNodeEmbeddings = useNodeEmbeddings
  }

  /// Node types whose inputs include learnable embedding rows (of width `embeddingSize`):
  /// every featureless type, and every type with `useNodeEmbeddings`.
  public var embeddingTypes: [String] {
    nodeTypes.filter { featureWidths[$0] == nil || useNodeEmbeddings }
  }

  /// Width of the learnable embedding rows (GraphStorm: `hidden_size`).
  public var embeddingSize: Int { hiddenSize }

  /// Width of the encoder's output rows.
  public var outputSize: Int { numLayers == 0 ? hiddenSize : outSize }

  /// Whether the layers use the basis decomposition.
  public var usesBases: Bool { numBases > 0 && numBases < edgeTypes.count }

  /// Input and output width of layer `l`.
  public func layerDims(_ l: Int) -> (input: Int, output: Int) {
    (hiddenSize, l == numLayers - 1 ? outSize : hiddenSize)
  }
}

/// Which way the first layer computes `mean over neighbours ∘ input projection`. Both give the
/// same result when the input layer is linear (no dropout while training); `automatic` picks the
/// one with fewer flops per source type, and falls back to projecting first when it is not exact.
public enum FirstLayerOrder: Sendable, Equatable {
  case automatic
  case projectThenAggregate
  case aggregateThenProject
}

/// Per-pass switches of the encoder.
public struct ForwardOptions: Sendable, Equatable {
  /// Drop the last layer's self-loop for this pass (node-feature reconstruction's leakage rule).
  public var skipLastSelfLoop: Bool
  /// The seed of this pass's dropout masks (derive it from (seed, rank, epoch, task, step)).
  public var dropoutSeed: UInt64
  public var firstLayerOrder: FirstLayerOrder

  public init(skipLastSelfLoop: Bool = false, dropoutSeed: UInt64 = 0,
              firstLayerOrder: FirstLayerOrder = .automatic) {
    self.skipLastSelfLoop = skipLastSelfLoop
    self.dropoutSeed = dropoutSeed
    self.firstLayerOrder = firstLayerOrder
  }
}

/// The input layer's raw inputs for `flow.nodes[0]`, as tape values the caller created:
/// features with `tape.input`/`tape.constant` (`[n × featureWidths[t]]`), embedding rows with
/// `tape.leaf(value:grad:rows:cols:)` so their gradient lands in a buffer the caller later pushes
/// (`[n × embeddingSize]`).
public struct NodeInputs {
  public var features: [String: Var]
  public var embeddings: [String: Var]
  /// Types whose `features` entry is a table read in place (a mapped partition's feature
  /// rows) rather than one row per source node: source row `i` of `nodes[0][t]` is table row
  /// `featureRows[t][i]`. The encoder aggregates straight from the table (no gathered copy)
  /// and gathers only the rows it needs as rows (self-loops, projected types).
  public var featureRows: [String: [Int32]] = [:]

  public init(features: [String: Var] = [:], embeddings: [String: Var] = [:]) {
    self.features = features
    self.embeddings = embeddings
  }
}
