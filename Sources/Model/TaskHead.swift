import Tensor

/// One task's decoder and loss. Parameters are named `decoder.<task id>.<name>` so checkpoints
/// key decoders by task id. Shapes follow GraphStorm's decoders (reference §5.2):
/// - node classification / regression / feature reconstruction (`EntityClassifier`,
///   `EntityRegression`): `emb · W (+ b)`;
/// - edge classification / regression, `DenseBiDecoder`: `Σ_ij u_i B_kij v_j` per basis `k`,
///   then `· C` (no bias); regression adds a `Linear(h → 1)` head (so `C` maps to `h`);
/// - `MLPDecoder`: `[u ‖ v] · W`; regression likewise adds the head;
/// - edge feature reconstruction (`EdgeRegression`): `Linear(2h → h)`, ReLU, dropout,
///   `Linear(h → width)`;
/// - link prediction: no parameters for `dot_product`; `distmult` has a relation table over
///   every canonical edge type.
public final class TaskHead {
  public let spec: TaskSpec
  let arena: ParameterArena
  let hidden: Int
  /// Relation index of DistMult's table.
  let relIndex: [EdgeType: Int]
  var params: [String: ParameterArena.View] = [:]

  public var id: String { spec.id }

  public init(spec: TaskSpec, embeddingSize h: Int, edgeTypes: [EdgeType], registry: ParameterRegistry) {
    self.spec = spec
    self.arena = registry.arena
    self.hidden = h
    var idx: [EdgeType: Int] = [:]
    for (k, et) in edgeTypes.enumerated() { idx[et] = k }
    self.relIndex = idx
    let p = "decoder.\(spec.id)."
    func add(_ n: String, _ r: Int, _ c: Int, _ i: ParameterInit) {
      params[n] = registry.add(p + n, rows: r, cols: c, i)
    }
    func linearHead(_ width: Int, gain: Float) {
      add("w", h, width, .xavierUniform(fanIn: h, fanOut: width, gain: gain))
      if spec.decoderBias { add("b", 1, width, .zeros) }
    }
    func edgeDecoder(_ kind: EdgeDecoderKind, out: Int?) {
      let width = out ?? h  // regression: GraphStorm maps to h, then a head to 1
      switch kind {
      case .denseBi(let nb):
        precondition(nb > 1, "TaskHead '\(spec.id)': num_decoder_basis must be > 1")
        for k in 0..<nb { add("basis\(k)", h, h, .xavierUniform(fanIn: h * h, fanOut: nb * h, gain: 1)) }
        add("combine", nb, width, .xavierUniform(fanIn: nb, fanOut: width, gain: 1))
      case .mlp:
        add("w", 2 * h, width, .xavierUniform(fanIn: 2 * h, fanOut: width, gain: ParameterInit.reluGain))
      }
      if out == nil {
        add("head.w", h, 1, .linearDefault(fanIn: h))
        add("head.b", 1, 1, .linearDefault(fanIn: h))
      }
    }
    switch spec.kind {
    case .nodeClassification(_, let c):
      linearHead(c.numClasses, gain: ParameterInit.reluGain)
    case .nodeRegression:
      linearHead(1, gain: 1)
    case .nodeFeatureReconstruction(_, let width):
      linearHead(width, gain: 1)
    case .edgeClassification(let et, let kind, let c):
      precondition(idx[et] != nil, "TaskHead '\(spec.id)': unknown edge type \(et)")
      edgeDecoder(kind, out: c.numClasses)
    case .edgeRegression(let et, let kind):
      precondition(idx[et] != nil, "TaskHead '\(spec.id)': unknown edge type \(et)")
      edgeDecoder(kind, out: nil)
    case .edgeFeatureReconstruction(_, let width):
      add("hidden.w", 2 * h, h, .linearDefault(fanIn: 2 * h))
      if spec.decoderBias { add("hidden.b", 1, h, .linearDefault(fanIn: 2 * h)) }
      add("head.w", h, width, .linearDefault(fanIn: h))
      if spec.decoderBias { add("head.b", 1, width, .linearDefault(fanIn: h)) }
    case .linkPrediction(let lp):
      for et in lp.edgeTypes { precondition(idx[et] != nil, "TaskHead '\(spec.id)': unknown edge type \(et)") }
      if case .distMult(let gamma) = lp.score {
        let b = gamma / Float(h)
        add("rel", edgeTypes.count, h, .uniform(low: -b, high: b))
      }
    }
  }

  func param(_ tape: Tape, _ name: String) -> Var? { params[name].map { tape.parameter($0, in: arena) } }

  /// Names of this head's parameters in the arena.
  public var parameterNames: [String] { params.keys.sorted().map { "decoder.\(spec.id).\($0)" } }

  // MARK: Outputs

  /// The decoder's output for node and edge tasks: logits `[n × classes]` (classification),
  /// values `[n × 1]` (regression) or `[n × width]` (reconstruction). `embeddings` are the
  /// encoder's outputs per node type. Link prediction uses `linkScores`.
  public func outputs(_ tape: Tape, embeddings: [String: Var], rows: TaskRows, dropoutSeed: UInt64 = 0) -> Var {
    func emb(_ t: String) -> Var {
      guard let e = embeddings[t] else { preconditionFailure("TaskHead '\(spec.id)': no embeddings of '\(t)'") }
      return e
    }
    func linear(_ x: Var, _ w: String, _ b: String) -> Var {
      tape.linear(x, param(tape, w)!, bias: param(tape, b))
    }
    switch (spec.kind, rows) {
    case (.nodeClassification(let t, _), .nodes(let r)), (.nodeRegression(let t), .nodes(let r)),
         (.nodeFeatureReconstruction(let t, _), .nodes(let r)):
      return linear(tape.gatherRows(emb(t), r), "w", "b")
    case (.edgeClassification(let et, let kind, _), .edges(let s, let d)):
      return edgeOutput(tape, kind, tape.gatherRows(emb(et.src), s), tape.gatherRows(emb(et.dst), d),
                        regression: false, seed: dropoutSeed)
    case (.edgeRegression(let et, let kind), .edges(let s, let d)):
      return edgeOutput(tape, kind, tape.gatherRows(emb(et.src), s), tape.gatherRows(emb(et.dst), d),
                        regression: true, seed: dropoutSeed)
    case (.edgeFeatureReconstruction(let et, _), .edges(let s, let d)):
      let uv = tape.concatCols([tape.gatherRows(emb(et.src), s), tape.gatherRows(emb(et.dst), d)])
      var x = tape.relu(linear(uv, "hidden.w", "hidden.b"))
      x = tape.dropout(x, p: spec.dropout, seed: dropoutSeed)
      return linear(x, "head.w", "head.b")
    default:
      preconditionFailure("TaskHead '\(spec.id)': rows \(rows) do not fit a \(spec.kind) task")
    }
  }

  func edgeOutput(_ tape: Tape, _ kind: EdgeDecoderKind, _ u0: Var, _ v0: Var, regression: Bool,
                  seed: UInt64) -> Var {
    var out: Var
    switch kind {
    case .denseBi(let nb):
      let u = tape.dropout(u0, p: spec.dropout, seed: deriveSeed(base: seed, salt: 1))
      let v = tape.dropout(v0, p: spec.dropout, seed: deriveSeed(base: seed, salt: 2))
      let parts = (0..<nb).map { k in tape.rowDot(tape.matmul(u, param(tape, "basis\(k)")!), v) }
      out = tape.matmul(tape.concatCols(parts), param(tape, "combine")!)
    case .mlp:
      out = tape.matmul(tape.concatCols([u0, v0]), param(tape, "w")!)
    }
    if regression { out = tape.linear(out, param(tape, "head.w")!, bias: param(tape, "head.b")) }
    return out
  }

  // MARK: Loss

  /// The task's loss (a 1×1 scalar, not yet multiplied by the task weight).
  public func loss(_ tape: Tape, embeddings: [String: Var], rows: TaskRows, targets: Targets,
                   dropoutSeed: UInt64 = 0) -> Var {
    switch spec.kind {
    case .nodeClassification(_, let c), .edgeClassification(_, _, let c):
      let logits = outputs(tape, embeddings: embeddings, rows: rows, dropoutSeed: dropoutSeed)
      switch targets {
      case .classes(let y) where !c.multilabel:
        precondition(y.count == rows.count, "TaskHead '\(spec.id)': \(y.count) labels for \(rows.count) rows")
        return tape.softmaxCrossEntropy(logits, labels: y, classWeights: c.classWeights)
      case .multiHot(let y) where c.multilabel:
        precondition(y.rows == rows.count && y.cols == c.numClasses,
                     "TaskHead '\(spec.id)': multi-hot targets \(y.rows)×\(y.cols) for \(rows.count)×\(c.numClasses)")
        return tape.bceWithLogits(logits, targets: tape.constant(y), posWeight: c.multilabelWeights,
                                  weight: c.classWeights)
      default:
        preconditionFailure("TaskHead '\(spec.id)': classification needs \(c.multilabel ? "multi-hot" : "class id") targets")
      }
    case .nodeRegression, .edgeRegression, .nodeFeatureReconstruction, .edgeFeatureReconstruction:
      let pred = outputs(tape, embeddings: embeddings, rows: rows, dropoutSeed: dropoutSeed)
      guard case .values(let y) = targets else { preconditionFailure("TaskHead '\(spec.id)': regression needs value targets") }
      let (n, w) = tape.shape(pred)
      // Gust: shapes must match exactly (GraphStorm broadcasts [B,1] against [B]).
      precondition(y.rows == n && y.cols == w, "TaskHead '\(spec.id)': targets \(y.rows)×\(y.cols) for predictions \(n)×\(w)")
      return tape.mse(pred, tape.constant(y))
    case .linkPrediction(let lp):
      guard case .links(let batches) = rows else { preconditionFailure("TaskHead '\(spec.id)': link prediction needs link rows") }
      return linkLoss(tape, lp, embeddings: embeddings, batches: batches)
    }
  }
}
