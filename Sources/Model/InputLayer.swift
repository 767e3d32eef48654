import Tensor

/// Per node type, the map from raw inputs to `hiddenSize` (GraphStorm's
/// `GSNodeEncoderInputLayer` without LM, feature groups or `input_activate`):
/// - featured type: `x · W` (`input.<t>.w`, `[f × h]`);
///   with `use_node_embeddings`: `[x·W ‖ e] · P` (`input.<t>.proj`, `[2h × h]`);
/// - featureless type: `e · P` (`input.<t>.proj`, `[h × h]`).
/// No bias and no activation, so the map is linear and commutes with a mean over neighbours.
/// Dropout (the encoder's) is applied by the caller after it.
public struct InputLayer {
  public let config: EncoderConfig
  /// `input.<t>.w` per featured type.
  public let weights: [String: ParameterArena.View]
  /// `input.<t>.proj` per type with embeddings.
  public let projections: [String: ParameterArena.View]

  public init(config: EncoderConfig, registry: ParameterRegistry) {
    self.config = config
    let h = config.hiddenSize
    var w: [String: ParameterArena.View] = [:], p: [String: ParameterArena.View] = [:]
    for t in config.nodeTypes {
      if let f = config.featureWidths[t] {
        w[t] = registry.add("input.\(t).w", rows: f, cols: h,
                            .xavierUniform(fanIn: f, fanOut: h, gain: ParameterInit.reluGain))
        if config.useNodeEmbeddings {
          p[t] = registry.add("input.\(t).proj", rows: 2 * h, cols: h,
                              .xavierUniform(fanIn: 2 * h, fanOut: h, gain: ParameterInit.reluGain))
        }
      } else {
        p[t] = registry.add("input.\(t).proj", rows: h, cols: h,
                            .xavierUniform(fanIn: h, fanOut: h, gain: ParameterInit.reluGain))
      }
    }
    weights = w
    projections = p
  }

  /// Whether type `t` reads features / embedding rows.
  public func readsFeatures(_ t: String) -> Bool { weights[t] != nil }
  public func readsEmbeddings(_ t: String) -> Bool { projections[t] != nil }

  /// Flops per row of the map for type `t` (the cost model of the first-layer order).
  func flopsPerRow(_ t: String) -> Int {
    let h = config.hiddenSize
    var c = 0
    if let f = config.featureWidths[t] { c += f * h }
    if let p = projections[t] { c += p.rows * h }
    return c
  }

  /// Width of the raw inputs of type `t` (features plus embedding).
  func rawWidth(_ t: String) -> Int {
    (config.featureWidths[t] ?? 0) + (readsEmbeddings(t) ? config.embeddingSize : 0)
  }

  /// The linear map of type `t` applied to raw rows (`features` and/or `embeddings`, same rows).
  public func project(_ tape: Tape, type t: String, features: Var?, embeddings: Var?,
                      arena: ParameterArena) -> Var {
    var out: Var? = nil
    if let w = weights[t] {
      guard let x = features else { preconditionFailure("InputLayer: type '\(t)' needs features") }
      precondition(tape.shape(x).cols == w.rows,
                   "InputLayer: features of '\(t)' are \(tape.shape(x).cols) wide, expected \(w.rows)")
      out = tape.matmul(x, tape.parameter(w, in: arena))
    }
    if let p = projections[t] {
      guard let e = embeddings else { preconditionFailure("InputLayer: type '\(t)' needs embedding rows") }
      precondition(tape.shape(e).cols == config.embeddingSize,
                   "InputLayer: embeddings of '\(t)' are \(tape.shape(e).cols) wide, expected \(config.embeddingSize)")
      let joined = out.map { tape.concatCols([$0, e]) } ?? e
      out = tape.matmul(joined, tape.parameter(p, in: arena))
    }
    return out!
  }

  /// The map of type `t` as one `[rawWidth × h]` matrix over its raw columns
  /// `[features ‖ embedding]`: `W`, `P`, or with both `[W·P_top ; P_bottom]` (`P`'s first `h`
  /// rows take `x·W`, its last `h` rows the embedding), so `project(x, e) = [x ‖ e] · matrix`.
  public func matrix(_ tape: Tape, type t: String, arena: ParameterArena) -> Var {
    let w = weights[t].map { tape.parameter($0, in: arena) }
    guard let pv = projections[t] else {
      guard let w else { preconditionFailure("InputLayer: type '\(t)' has no inputs") }
      return w
    }
    let p = tape.parameter(pv, in: arena)
    guard let w else { return p }
    let h = config.hiddenSize
    let top = tape.gatherRows(p, (0..<Int32(h)).map { $0 })
    let bottom = tape.gatherRows(p, (Int32(h)..<Int32(pv.rows)).map { $0 })
    return tape.concatRows([tape.matmul(w, top), bottom])
  }
}
