import Tensor

/// The shared encoder and one head per task, all parameters in one arena (sealed and
/// initialised from `seed` at construction). The training loop, per step and task: build the
/// task's tape inputs, call `loss(...)`, combine with `tape.weightedSum` over task weights (plus
/// `l2Penalty` times `alpha_l2norm`), backward, all-reduce `arena.gradients`, step.
public final class MultiTaskModel {
  public let registry: ParameterRegistry
  public let encoder: Encoder
  /// In task order (the YAML's).
  public let heads: [TaskHead]
  let byId: [String: Int]

  public var arena: ParameterArena { registry.arena }
  public var config: EncoderConfig { encoder.config }

  public init(encoder config: EncoderConfig, tasks: [TaskSpec], seed: UInt64,
              arena: ParameterArena = ParameterArena()) {
    var seen = Set<String>()
    for t in tasks { precondition(seen.insert(t.id).inserted, "MultiTaskModel: duplicate task id '\(t.id)'") }
    let reg = ParameterRegistry(arena: arena)
    registry = reg
    encoder = Encoder(config: config, registry: reg)
    heads = tasks.map { TaskHead(spec: $0, embeddingSize: config.outputSize, edgeTypes: config.edgeTypes, registry: reg) }
    var m: [String: Int] = [:]
    for (i, h) in heads.enumerated() { m[h.id] = i }
    byId = m
    registry.sealAndInitialize(seed: seed)
  }

  public func head(_ id: String) -> TaskHead? { byId[id].map { heads[$0] } }

  /// The encoder's output for `flow.seeds`. For a node-feature reconstruction task pass
  /// `options.skipLastSelfLoop = true` (`loss` does it for you). **Gust:** the self-loop is
  /// skipped also when learnable embeddings are present (GraphStorm keeps it then).
  public func embed(_ tape: Tape, flow: MessageFlow, inputs: NodeInputs,
                    options: ForwardOptions = ForwardOptions()) -> [String: Var] {
    encoder.forward(tape, flow: flow, inputs: inputs, options: options)
  }

  /// One task's forward pass over its own blocks and its loss (not yet weighted).
  public func loss(_ tape: Tape, task: TaskHead, flow: MessageFlow, inputs: NodeInputs, rows: TaskRows,
                   targets: Targets, options: ForwardOptions = ForwardOptions()) -> Var {
    var o = options
    if task.spec.kind.skipsLastSelfLoop { o.skipLastSelfLoop = true }
    let emb = embed(tape, flow: flow, inputs: inputs, options: o)
    return task.loss(tape, embeddings: emb, rows: rows, targets: targets,
                     dropoutSeed: deriveSeed(base: options.dropoutSeed, salt: stableHash("decoder." + task.id)))
  }

  /// `Σ ‖p‖²` over every parameter of the arena (GraphStorm's `alpha_l2norm` penalty is this
  /// times `alpha_l2norm`; learnable embedding rows live outside the arena).
  public func l2Penalty(_ tape: Tape) -> Var {
    let terms = arena.views.map { tape.sumSquares(tape.parameter($0, in: arena)) }
    return tape.weightedSum(terms, weights: [Float](repeating: 1, count: terms.count))
  }
}
