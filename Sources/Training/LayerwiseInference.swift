import Graph
import Model
import Tensor

/// Layer-wise inference (the embedding pass): each encoder layer runs once per node that a
/// later layer needs, instead of once per mini-batch whose frontier reaches the node.
///
/// Top-down, the sets: `need[L-1]` are the seeds; `need[l-1]` is `need[l]` followed by the
/// sources newly reached by sampling layer `l` for `need[l]` (so every set is a prefix of the
/// one below it, and one row map — the position in `need[0]` — serves every layer's table).
/// The one-layer samples of layers ≥ 1 are kept. Bottom-up: layer 0 over `need[0]` in chunks
/// (input layer included), each later layer over its kept samples with the previous layer's
/// rows gathered from a table. Sampling is seeded per (seed, layer, node, edge type) —
/// `Partition.sampleInNeighbors` — with layer `l` sampled as a full plan samples it
/// (`BlockSampler.sample(firstLayer:)`), so every row equals the mini-batch embedding of the
/// same node (`Trainer.nodeEmbeddings`) up to float rounding of the sums.
struct LayerwiseInference {
  let sampler: BlockSampler
  let builder: BatchBuilder
  let model: MultiTaskModel
  let tape: Tape
  let plan: SamplingPlan
  let seed: UInt64
  /// Destinations per one-layer sample (and rows per `emit`).
  let chunk: Int
  /// The pass's options (`skipLastSelfLoop` for node-feature reconstruction).
  var options = ForwardOptions()

  /// Calls `emit(t, ids, rows)` for every chunk of `seeds[t]` (in order, `chunk` ids at most)
  /// with the encoder's outputs (`ids.count × outputSize`, row-major).
  func run(seeds: [[Int64]], profile: ((String) -> Void)? = nil, emit: (Int, [Int64], [Float]) throws -> Void) throws {
    var clock = PhaseClock()
    var sampleSeconds = 0.0
    let c = sampler.graph.partitionConfig
    let T = c.ntypes.count, L = plan.numLayers
    precondition(L >= 1 && seeds.count == T)
    // Top-down: the node sets and the kept samples of layers ≥ 1.
    var need = [[[Int64]]](repeating: [], count: L)
    need[L - 1] = seeds
    var kept = [[(t: Int, flow: MessageFlow)]](repeating: [], count: L)
    var seen = [Bool](repeating: false, count: Int(c.numNodes))
    for l in stride(from: L - 1, through: 1, by: -1) {
      var below = need[l]
      for t in 0..<T { for id in below[t] { seen[Int(id)] = true } }
      try forEachSample(need[l], layer: l) { t, _, flow in
        for (name, src) in flow.nodes[0] {
          let s = c.ntypeId(name)!
          for id in src where !seen[Int(id)] {
            seen[Int(id)] = true
            below[s].append(id)
          }
        }
        kept[l].append((t, flow))
      }
      need[l - 1] = below
      for t in 0..<T { for id in below[t] { seen[Int(id)] = false } }
    }
    seen = []
    sampleSeconds += clock.lap()
    // Row of a node in every layer's table: its position in need[0] (sets are prefixes).
    var row = [Int32](repeating: -1, count: Int(c.numNodes))
    for t in 0..<T { for (i, id) in need[0][t].enumerated() { row[Int(id)] = Int32(i) } }
    let o = model.config.outputSize
    let width = (0..<L).map { model.config.layerDims($0).output }
    precondition(width[L - 1] == o)
    let wasRecording = tape.isRecording, wasTraining = tape.isTraining
    tape.isRecording = false
    tape.isTraining = false
    defer { tape.isRecording = wasRecording; tape.isTraining = wasTraining; tape.reset() }
    // Layer 0 from the inputs.
    var table = [[Float]](repeating: [], count: T)
    if L > 1 { for t in 0..<T { table[t] = [Float](repeating: 0, count: need[0][t].count * width[0]) } }
    /// One chunk's outputs: emitted (last layer) or copied into the layer's table at the
    /// chunk's rows (chunks are contiguous and in order within the set: the first id's row).
    func store(_ v: Var, t: Int, ids: [Int64], last: Bool, into table: inout [[Float]], width w: Int) throws {
      precondition(tape.shape(v).rows == ids.count && tape.shape(v).cols == w)
      if last { try emit(t, ids, tape.tensor(v).storage); return }
      guard let first = ids.first else { return }
      let start = Int(row[Int(first)]) * w
      let p = tape.value(v)
      table[t].withUnsafeMutableBufferPointer { tb in (tb.baseAddress! + start).update(from: p, count: ids.count * w) }
    }
    try forEachSample(need[0], layer: 0) { t, ids, flow in
      tape.reset()
      let (inputs, _) = try builder.inputs(tape, flow: flow, gradients: false, inPlace: true)
      let out = model.encoder.forward(tape, flow: flow, layers: 0..<1, inputs: inputs, hidden: [:], options: options)
      try store(out[c.ntypes[t]]!, t: t, ids: ids, last: L == 1, into: &table, width: width[0])
    }
    let layer0 = clock.lap()
    // Layers ≥ 1 from the previous table.
    for l in 1..<L {
      var next = [[Float]](repeating: [], count: T)
      if l < L - 1 { for t in 0..<T { next[t] = [Float](repeating: 0, count: need[l][t].count * width[l]) } }
      let w = width[l - 1]
      for (t, flow) in kept[l] {
        tape.reset()
        var hidden: [String: Var] = [:]
        for (name, src) in flow.nodes[0] where !src.isEmpty {
          let s = c.ntypeId(name)!
          let x = tape.workspace.allocate(src.count * w)
          table[s].withUnsafeBufferPointer { tb in
            for (i, id) in src.enumerated() {
              (x + i * w).update(from: tb.baseAddress! + Int(row[Int(id)]) * w, count: w)
            }
          }
          hidden[name] = tape.input(x, rows: src.count, cols: w)
        }
        let out = model.encoder.forward(tape, flow: flow, layers: l..<(l + 1), inputs: NodeInputs(), hidden: hidden, options: options)
        try store(out[c.ntypes[t]]!, t: t, ids: flow.nodes[1][c.ntypes[t]]!, last: l == L - 1, into: &next, width: width[l])
      }
      table = next
    }
    profile?(String(format: "%d nodes at layer 0; top-down sampling %.2f s, layer 0 (sampling, inputs, encoder) %.2f s, layers 1+ %.2f s",
                    need[0].reduce(0) { $0 + $1.count }, sampleSeconds, layer0, clock.lap()))
  }

  /// One-layer samples of `layer` for `nodes` (per type), `chunk` destinations each, in order.
  func forEachSample(_ nodes: [[Int64]], layer l: Int, _ body: (Int, [Int64], MessageFlow) throws -> Void) throws {
    let T = nodes.count
    let one = SamplingPlan(fanouts: [plan.fanouts[l]], maskFields: plan.maskFields)
    for t in 0..<T {
      var lo = 0
      while lo < nodes[t].count {
        let ids = Array(nodes[t][lo..<min(nodes[t].count, lo + chunk)])
        var seeds = [[Int64]](repeating: [], count: T)
        seeds[t] = ids
        try body(t, ids, try sampler.sample(seeds: seeds, plan: one, seed: seed, firstLayer: l).flow)
        lo += ids.count
      }
    }
  }
}

/// Final encoder rows of some nodes, computed once by layer-wise inference and read by the
/// embedding files and by the prediction tasks that sample as the embedding pass does.
final class EmbeddingCache {
  let width: Int
  /// Seconds the layer-wise pass took.
  var seconds = 0.0
  /// Per node type: rows in the order the ids were given.
  var rows: [[Float]]
  /// Global id → row within its type's rows (-1: not computed).
  var index: [Int32]

  init(numNodes: Int64, ntypes: Int, width: Int) {
    self.width = width
    rows = [[Float]](repeating: [], count: ntypes)
    index = [Int32](repeating: -1, count: Int(numNodes))
  }

  func contains(_ ids: [Int64]) -> Bool { ids.allSatisfy { index[Int($0)] >= 0 } }

  /// The rows of `ids` (all of node type `t`, all computed), row-major.
  func gather(ntype t: Int, ids: [Int64]) -> [Float] {
    let w = width
    var out = [Float](repeating: 0, count: ids.count * w)
    rows[t].withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for (i, id) in ids.enumerated() {
          (dst.baseAddress! + i * w).update(from: src.baseAddress! + Int(index[Int(id)]) * w, count: w)
        }
      }
    }
    return out
  }
}
