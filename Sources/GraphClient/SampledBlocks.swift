/// One block of a mini-batch for one edge type: a destination-sorted CSR from the layer's source
/// nodes (of the edge type's source type) to its destination nodes (of its destination type).
/// Destination `i` (local id in `nodes[l+1][dstType]`) has in-edges `offsets[i] ..< offsets[i+1]`;
/// `indices[k]` is the local id of edge k's source in `nodes[l][srcType]`; `eids[k]` its global
/// edge id.
public struct SampledBlock: Equatable, Sendable {
  public var offsets: [Int32]
  public var indices: [Int32]
  public var eids: [Int64]

  public init(offsets: [Int32], indices: [Int32], eids: [Int64]) {
    self.offsets = offsets
    self.indices = indices
    self.eids = eids
  }

  public var numDst: Int { offsets.count - 1 }
  public var numEdges: Int { indices.count }
}

/// The L blocks of a mini-batch (DGL's convention). `nodes[l][ntype]` are the global ids of
/// layer l's nodes of each type, for l in 0...L: `nodes[L]` are the seeds (deduplicated, in
/// order of first appearance), and `nodes[l+1][t]` is a prefix of `nodes[l][t]` — the
/// destinations of block l are the first rows of its sources; sources new at layer l follow,
/// in order of first appearance (edge type id, then destination, then the edge's position).
/// `edges[l][etype]` is block l of that edge type (from `nodes[l]` to `nodes[l+1]`); edge types
/// skipped at a layer (fanout 0) have a block with no edges. Block 0 is the input layer.
public struct SampledBlocks: Equatable, Sendable {
  public var nodes: [[[Int64]]]
  public var edges: [[SampledBlock]]

  public init(nodes: [[[Int64]]], edges: [[SampledBlock]]) {
    self.nodes = nodes
    self.edges = edges
  }

  public var numLayers: Int { edges.count }
  public var numSampledEdges: Int { edges.reduce(0) { $0 + $1.reduce(0) { $0 + $1.numEdges } } }
}

/// How to sample blocks: per layer and edge type a fanout (`-1` = all in-neighbours, `0` = skip
/// the edge type at that layer; DGL's order: `fanouts[0]` is the input layer), an optional u8
/// edge mask field per edge type (only edges whose mask is 1 are sampled), and edge ids never to
/// sample (a link-prediction batch's targets and their reverse twins).
public struct BlockSampling: Sendable {
  public var fanouts: [[Int]]
  public var maskFields: [String?]
  public var excludedEdges: [Int64]

  /// `fanouts[l]` holds one fanout per edge type, or a single one for every edge type;
  /// `maskFields` is empty (no masks) or one entry per edge type.
  public init(fanouts: [[Int]], maskFields: [String?] = [], excludedEdges: [Int64] = []) {
    self.fanouts = fanouts
    self.maskFields = maskFields
    self.excludedEdges = excludedEdges
  }

  public var numLayers: Int { fanouts.count }

  public func fanout(layer l: Int, etype e: Int) -> Int {
    fanouts[l].count == 1 ? fanouts[l][0] : fanouts[l][e]
  }

  public func mask(etype e: Int) -> String? { maskFields.isEmpty ? nil : maskFields[e] }

  /// The sampling seed of layer `l` of a batch seeded `seed` (SplitMix64 of the two), so each
  /// layer draws independently and the whole batch is fixed by one seed.
  public static func layerSeed(batch seed: UInt64, layer l: Int) -> UInt64 {
    var z = seed ^ (0x626C_6F63_6B00_0000 | UInt64(l))  // "block" + layer
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Global id → local id for one node type of a batch: open addressing over a power-of-two table,
/// reused across batches (clearing touches only the slots used).
struct IdMap {
  private var keys: [Int64] = []
  private var values: [Int32] = []
  private var mask = 0
  private(set) var ids: [Int64] = []

  init(capacity: Int = 1024) { reset(capacity: capacity) }

  mutating func reset(capacity: Int) {
    var n = 16
    while n < capacity * 2 { n <<= 1 }
    keys = [Int64](repeating: -1, count: n)
    values = [Int32](repeating: 0, count: n)
    mask = n - 1
    ids.removeAll(keepingCapacity: true)
  }

  /// The local id of `id`, appending it when new.
  @inline(__always)
  mutating func insert(_ id: Int64) -> Int32 {
    if ids.count * 2 >= keys.count { grow() }
    var h = Int(truncatingIfNeeded: (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    while true {
      let k = keys[h]
      if k == id { return values[h] }
      if k == -1 {
        keys[h] = id
        let v = Int32(ids.count)
        values[h] = v
        ids.append(id)
        return v
      }
      h = (h + 1) & mask
    }
  }

  private mutating func grow() {
    let old = ids
    reset(capacity: max(16, old.count * 2))
    for id in old { _ = insert(id) }
  }
}
