import Tensor

/// The shared encoder: input layer, then `numLayers` RGCN layers (GraphStorm's
/// `RelGraphConvLayer`). Layer `l`, for each destination type `d` with rows in the block:
///
///     h_d = Σ_{r = (s, ·, d)} mean_{u ∈ N_r(v)} x_u · W_r   (+ x_v · W_loop)  + b
///
/// then ReLU and dropout on every layer but the last. `W_r` is a parameter per relation, or
/// `Σ_b coeff[r, b] · V_b` with `num_bases`. A destination type with no incoming relation
/// keeps the self-loop and bias (DGL gives it zeros from the convolution).
public final class Encoder {
  public let config: EncoderConfig
  public let input: InputLayer
  let arena: ParameterArena
  /// Per layer: per relation weight (no bases), or bases + coefficients.
  let relWeights: [[EdgeType: ParameterArena.View]]
  let bases: [(bases: ParameterArena.View, coeff: ParameterArena.View)?]
  let loops: [ParameterArena.View?]
  let biases: [ParameterArena.View]
  let relIndex: [EdgeType: Int]

  public init(config: EncoderConfig, registry: ParameterRegistry) {
    self.config = config
    self.arena = registry.arena
    input = InputLayer(config: config, registry: registry)
    var rw: [[EdgeType: ParameterArena.View]] = [], bs: [(ParameterArena.View, ParameterArena.View)?] = []
    var lp: [ParameterArena.View?] = [], bi: [ParameterArena.View] = []
    let gain = ParameterInit.reluGain
    let nRel = config.edgeTypes.count
    for l in 0..<config.numLayers {
      let (i, o) = config.layerDims(l)
      if config.usesBases {
        let nb = config.numBases
        // DGL's WeightBasis: weight [nb, in, out] and w_comp [R, nb], both xavier (relu gain).
        let b = registry.add("encoder.layer\(l).bases", rows: nb, cols: i * o,
                             .xavierUniform(fanIn: i * o, fanOut: nb * o, gain: gain))
        let c = registry.add("encoder.layer\(l).coeff", rows: nRel, cols: nb,
                             .xavierUniform(fanIn: nb, fanOut: nRel, gain: gain))
        bs.append((b, c))
        rw.append([:])
      } else {
        // GraphStorm's weight [R, in, out], xavier over the 3-D shape.
        var m: [EdgeType: ParameterArena.View] = [:]
        for et in config.edgeTypes {
          m[et] = registry.add("encoder.layer\(l).rel.\(et.name).w", rows: i, cols: o,
                               .xavierUniform(fanIn: i * o, fanOut: nRel * o, gain: gain))
        }
        rw.append(m)
        bs.append(nil)
      }
      lp.append(config.useSelfLoop
        ? registry.add("encoder.layer\(l).loop.w", rows: i, cols: o, .xavierUniform(fanIn: o, fanOut: i, gain: gain))
        : nil)
      bi.append(registry.add("encoder.layer\(l).bias", rows: 1, cols: o, .zeros))
    }
    relWeights = rw
    bases = bs
    loops = lp
    biases = bi
    var idx: [EdgeType: Int] = [:]
    for (k, et) in config.edgeTypes.enumerated() { idx[et] = k }
    relIndex = idx
  }

  /// The embeddings of `flow.seeds`, per node type with seeds (`[n × outputSize]`).
  public func forward(_ tape: Tape, flow: MessageFlow, inputs: NodeInputs,
                      options: ForwardOptions = ForwardOptions()) -> [String: Var] {
    precondition(flow.numLayers == config.numLayers,
                 "Encoder: \(flow.numLayers) blocks for \(config.numLayers) layers")
    return forward(tape, flow: flow, inputs: inputs, options: options, blocks: flow.numLayers)
  }

  /// Layer-wise inference: layers `layers` only, one block of `flow` each. From layer 0 it reads
  /// `inputs` (the input layer, as `forward`); from a later layer `hidden[t]` holds the previous
  /// layer's outputs for the rows of `flow.nodes[0][t]`. Each output row is what `forward` gives
  /// for that node with the same sampled neighbourhoods (up to float rounding of the sums).
  public func forward(_ tape: Tape, flow: MessageFlow, layers: Range<Int>, inputs: NodeInputs,
                      hidden: [String: Var], options: ForwardOptions = ForwardOptions()) -> [String: Var] {
    precondition(flow.numLayers == layers.count && layers.upperBound <= config.numLayers && !layers.isEmpty,
                 "Encoder: \(flow.numLayers) blocks for layers \(layers) of \(config.numLayers)")
    if layers.lowerBound == 0 { return forward(tape, flow: flow, inputs: inputs, options: options, blocks: layers.count) }
    var out = hidden
    for (k, l) in layers.enumerated() {
      out = layer(tape, l, flow.blocks[k], h: out, raw: [:], rawTypes: [], tables: [:], options: options)
    }
    return out
  }

  /// The input layer and layers `0..<blocks`.
  func forward(_ tape: Tape, flow: MessageFlow, inputs: NodeInputs, options: ForwardOptions, blocks: Int) -> [String: Var] {
    let p = config.dropout
    let linearInput = p == 0 || !tape.isTraining
    // Raw inputs per type present in the first node set.
    var raw: [String: (feat: Var?, emb: Var?)] = [:]
    var tables: [String: [Int32]] = [:]
    for (t, ids) in flow.nodes[0] where !ids.isEmpty {
      let f = input.readsFeatures(t) ? inputs.features[t] : nil
      let e = input.readsEmbeddings(t) ? inputs.embeddings[t] : nil
      if f != nil, let rows = inputs.featureRows[t] {
        precondition(rows.count == ids.count, "Encoder: \(rows.count) feature table rows of '\(t)' for \(ids.count) nodes")
        tables[t] = rows
      } else if let f {
        precondition(tape.shape(f).rows == ids.count, "Encoder: \(tape.shape(f).rows) feature rows of '\(t)' for \(ids.count) nodes")
      }
      if let e { precondition(tape.shape(e).rows == ids.count, "Encoder: \(tape.shape(e).rows) embedding rows of '\(t)' for \(ids.count) nodes") }
      raw[t] = (f, e)
    }
    /// Types read through a table are gathered into rows unless aggregated straight from it.
    func materialize(except keep: Set<String>) {
      for (t, rows) in tables where !keep.contains(t) {
        raw[t]!.feat = tape.gatherRows(raw[t]!.feat!, rows)
        tables[t] = nil
      }
    }
    func projectAll(_ t: String) -> Var {
      let r = raw[t]!
      let x = input.project(tape, type: t, features: r.feat, embeddings: r.emb, arena: arena)
      return tape.dropout(x, p: p, seed: deriveSeed(base: options.dropoutSeed, step: 0, salt: stableHash(t)))
    }
    if config.numLayers == 0 {
      materialize(except: [])
      var out: [String: Var] = [:]
      for t in raw.keys.sorted() { out[t] = projectAll(t) }
      return out
    }

    // Layer 0: per source type, project all rows first or aggregate raw rows first.
    let block0 = flow.blocks[0]
    var rawTypes = Set<String>()
    if linearInput && options.firstLayerOrder != .projectThenAggregate {
      for s in raw.keys {
        if options.firstLayerOrder == .aggregateThenProject || aggregateFirstIsCheaper(s, block0) {
          rawTypes.insert(s)
        }
      }
    }
    materialize(except: rawTypes)
    var h: [String: Var] = [:]
    for t in raw.keys.sorted() where !rawTypes.contains(t) { h[t] = projectAll(t) }
    var out = layer(tape, 0, block0, h: h, raw: raw, rawTypes: rawTypes, tables: tables, options: options)
    for l in 1..<blocks {
      out = layer(tape, l, flow.blocks[l], h: out, raw: [:], rawTypes: [], tables: [:], options: options)
    }
    return out
  }

  /// Flops of both orders for source type `s` in the first block. Aggregating first reads raw
  /// rows per edge and multiplies each relation's means by `(input map · W_r)` (raw width × o);
  /// projecting first maps every source row once, then reads projected rows per edge and
  /// multiplies the means by `W_r` (i × o). At equal widths aggregating first is never dearer;
  /// projecting first wins for raw rows much wider than the hidden size read by many
  /// destinations.
  func aggregateFirstIsCheaper(_ s: String, _ b: Block) -> Bool {
    let (i, o) = config.layerDims(0)
    let perRow = input.flopsPerRow(s), width = input.rawWidth(s)
    var projectFirst = (b.numSrc[s] ?? 0) * perRow
    var aggregateFirst = 0
    for (et, csr) in b.edges where et.src == s {
      projectFirst += csr.numEdges * i + csr.numDst * i * o
      aggregateFirst += csr.numEdges * width + csr.numDst * width * o
    }
    if loops[0] != nil {
      let nd = b.numDst[s] ?? 0
      projectFirst += nd * i * o
      aggregateFirst += nd * width * o
    }
    return aggregateFirst < projectFirst
  }

  /// One RGCN layer. `h[t]` are projected source rows; types in `rawTypes` are instead
  /// aggregated from `raw` and projected after the mean (layer 0 only).
  func layer(_ tape: Tape, _ l: Int, _ b: Block, h: [String: Var],
             raw: [String: (feat: Var?, emb: Var?)], rawTypes: Set<String>, tables: [String: [Int32]],
             options: ForwardOptions) -> [String: Var] {
    let (i, o) = config.layerDims(l)
    let last = l == config.numLayers - 1
    // Basis weights for every relation at once: [R × in·out].
    var allWeights: Var? = nil
    if let bc = bases[l] {
      allWeights = tape.matmul(tape.parameter(bc.coeff, in: arena), tape.parameter(bc.bases, in: arena))
    }
    func weight(_ et: EdgeType) -> Var {
      if let all = allWeights {
        return tape.reshape(tape.gatherRows(all, [Int32(relIndex[et]!)]), rows: i, cols: o)
      }
      return tape.parameter(relWeights[l][et]!, in: arena)
    }
    // The input map of a raw type as one matrix over its raw columns [features ‖ embedding].
    var maps: [String: Var] = [:]
    func inputMap(_ t: String) -> Var {
      if let m = maps[t] { return m }
      let m = input.matrix(tape, type: t, arena: arena)
      maps[t] = m
      return m
    }
    func rawParts(_ t: String, _ csr: CSR?, rows nd: Int) -> [Tape.AggregatePart] {
      let r = raw[t]!
      var parts: [Tape.AggregatePart] = []
      if let f = r.feat {
        if let map = tables[t] {
          // Features read in place: the block's sources become table rows.
          if let csr {
            parts.append(Tape.AggregatePart(f, csr.remappingSources(map, numSrc: tape.shape(f).rows)))
          } else {
            parts.append(Tape.AggregatePart(tape.gatherRows(f, Array(map[0..<nd])), nil))
          }
        } else {
          parts.append(Tape.AggregatePart(f, csr))
        }
      }
      if let e = r.emb { parts.append(Tape.AggregatePart(e, csr)) }
      return parts
    }
    var out: [String: Var] = [:]
    for d in b.numDst.keys.sorted() {
      let nd = b.numDst[d]!
      if nd == 0 { continue }
      // One product per destination type: [mean_r(x_r) ‖ … ‖ x_dst] · [W_r; …; W_loop], with
      // raw (layer-0, aggregate-first) parts multiplied by (input map · W_r) instead of W_r.
      var parts: [Tape.AggregatePart] = [], mats: [Var] = []
      var acc: Var? = nil
      func accumulate(_ v: Var) { acc = acc.map { tape.add($0, v) } ?? v }
      for et in config.edgeTypes where et.dst == d {
        guard let csr = b.edges[et] else { continue }
        let s = et.src
        if rawTypes.contains(s) {
          parts += rawParts(s, csr, rows: nd)
          mats.append(tape.matmul(inputMap(s), weight(et)))
        } else {
          guard let hs = h[s] else { preconditionFailure("Encoder: layer \(l) has no rows of '\(s)'") }
          if i > o {
            accumulate(tape.segmentMean(tape.matmul(hs, weight(et)), csr))  // DGL: project first when narrowing
          } else {
            parts.append(Tape.AggregatePart(hs, csr))
            mats.append(weight(et))
          }
        }
      }
      if let lw = loops[l], !(last && options.skipLastSelfLoop) {
        if rawTypes.contains(d) {
          parts += rawParts(d, nil, rows: nd)
          mats.append(tape.matmul(inputMap(d), tape.parameter(lw, in: arena)))
        } else {
          guard let hd = h[d] else { preconditionFailure("Encoder: layer \(l) has no source rows of '\(d)'") }
          parts.append(Tape.AggregatePart(hd, nil))
          mats.append(tape.parameter(lw, in: arena))
        }
      }
      if !parts.isEmpty {
        let x = tape.segmentMeanConcat(parts, rows: nd)
        let w = mats.count == 1 ? mats[0] : tape.concatRows(mats)
        let product = tape.matmul(x, w)
        acc = acc.map { tape.add(product, $0) } ?? product
      }
      var y = acc ?? tape.constant(Tensor(rows: nd, cols: o))
      y = tape.addBias(y, tape.parameter(biases[l], in: arena))
      if !last {
        y = tape.relu(y)
        y = tape.dropout(y, p: config.dropout,
                         seed: deriveSeed(base: options.dropoutSeed, step: l + 1, salt: stableHash(d)))
      }
      out[d] = y
    }
    return out
  }
}
