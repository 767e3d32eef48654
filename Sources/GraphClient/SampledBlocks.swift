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

/// Global id → local id for one node type of a batch: open addressing (linear probing) over a
/// power-of-two table whose slots are valid only when stamped with the current epoch, so a
/// client reuses one map per node type across batches and `reset()` costs nothing.
final class IdMap {
  private var keys: UnsafeMutablePointer<Int64>
  private var values: UnsafeMutablePointer<Int32>
  private var stamps: UnsafeMutablePointer<UInt32>
  private var slots: Int
  private var shift: UInt64
  private var epoch: UInt32 = 1
  /// The ids in order of insertion (local id = index).
  private var order: UnsafeMutablePointer<Int64>
  private var orderCapacity: Int
  private(set) var count = 0

  init(capacity: Int = 1024) {
    slots = 16
    while slots < capacity * 2 { slots <<= 1 }
    shift = UInt64(64 - slots.trailingZeroBitCount)
    keys = .allocate(capacity: slots)
    values = .allocate(capacity: slots)
    stamps = .allocate(capacity: slots)
    stamps.initialize(repeating: 0, count: slots)
    orderCapacity = max(16, capacity)
    order = .allocate(capacity: orderCapacity)
  }

  deinit {
    keys.deallocate()
    values.deallocate()
    stamps.deallocate()
    order.deallocate()
  }

  /// Forgets every id (the table is kept).
  func reset() {
    count = 0
    epoch &+= 1
    if epoch == 0 {
      stamps.update(repeating: 0, count: slots)
      epoch = 1
    }
  }

  /// The ids inserted so far, in order (local id = index).
  var ids: [Int64] { Array(UnsafeBufferPointer(start: order, count: count)) }

  /// The local id of `id`, appending it when new.
  @inline(__always)
  func insert(_ id: Int64) -> Int32 {
    if count &* 2 >= slots { grow() }
    let mask = slots &- 1
    var h = Int(truncatingIfNeeded: (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    while true {
      if stamps[h] != epoch {
        stamps[h] = epoch
        keys[h] = id
        let v = Int32(truncatingIfNeeded: count)
        values[h] = v
        if count == orderCapacity { growOrder() }
        order[count] = id
        count &+= 1
        return v
      }
      if keys[h] == id { return values[h] }
      h = (h &+ 1) & mask
    }
  }

  private func growOrder() {
    let bigger = UnsafeMutablePointer<Int64>.allocate(capacity: orderCapacity * 2)
    bigger.update(from: order, count: count)
    order.deallocate()
    order = bigger
    orderCapacity *= 2
  }

  private func grow() {
    let n = count
    keys.deallocate()
    values.deallocate()
    stamps.deallocate()
    slots *= 2
    shift = UInt64(64 - slots.trailingZeroBitCount)
    keys = .allocate(capacity: slots)
    values = .allocate(capacity: slots)
    stamps = .allocate(capacity: slots)
    stamps.initialize(repeating: 0, count: slots)
    epoch = 1
    count = 0
    for i in 0..<n { _ = insert(order[i]) }
  }
}
