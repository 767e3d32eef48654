import Foundation
@testable import Model
import Tensor

/// A tiny heterogeneous mini-batch: paper (3 features), author (2 features), subject
/// (featureless), five relations, two layers; ids 0..<n so the prefix rule holds.
enum Toy {
  static let paper = "paper", author = "author", subject = "subject"
  static let cites = EdgeType("paper", "cites", "paper")
  static let writes = EdgeType("author", "writes", "paper")
  static let writtenBy = EdgeType("paper", "written-by", "author")
  static let has = EdgeType("subject", "has", "paper")
  static let isAbout = EdgeType("paper", "is-about", "subject")
  static let edgeTypes = [cites, writes, writtenBy, has, isAbout]

  static func config(layers: Int = 2, hidden: Int = 3, bases: Int = -1, selfLoop: Bool = true,
                     nodeEmbeddings: Bool = false, dropout: Float = 0) -> EncoderConfig {
    EncoderConfig(nodeTypes: [paper, author, subject], edgeTypes: edgeTypes,
                  featureWidths: [paper: 3, author: 2], hiddenSize: hidden, numLayers: layers,
                  numBases: bases, useSelfLoop: selfLoop, dropout: dropout, useNodeEmbeddings: nodeEmbeddings)
  }

  /// Node counts per layer, outermost first, for up to 2 layers.
  static let counts: [[String: Int]] = [[paper: 7, author: 6, subject: 4], [paper: 5, author: 4, subject: 3],
                                        [paper: 3, author: 2, subject: 1]]

  static func flow(layers: Int = 2, seed: UInt64 = 1) -> MessageFlow {
    let cs = Array(counts.suffix(layers + 1))
    let nodes = cs.map { $0.mapValues { (0..<Int64($0)).map { $0 } } }
    var edges: [[EdgeType: CSR]] = []
    for l in 0..<layers {
      var m: [EdgeType: CSR] = [:]
      for (k, et) in edgeTypes.enumerated() {
        m[et] = randomCSR(numDst: cs[l + 1][et.dst]!, numSrc: cs[l][et.src]!, maxDeg: 3,
                          seed: seed &* 31 &+ UInt64(l * 10 + k))
      }
      edges.append(m)
    }
    return MessageFlow(nodes: nodes, edges: edges)
  }

  /// Raw input tensors (features and embedding rows) for `flow.nodes[0]`, in a fixed order.
  static func inputs(_ cfg: EncoderConfig, _ flow: MessageFlow, seed: UInt64 = 5) -> [(String, Bool, Tensor)] {
    var out: [(String, Bool, Tensor)] = []
    for (k, t) in cfg.nodeTypes.enumerated() {
      let n = flow.nodes[0][t]!.count
      if let f = cfg.featureWidths[t] { out.append((t, true, randomTensor(n, f, seed: seed + UInt64(k)))) }
      if cfg.embeddingTypes.contains(t) {
        out.append((t, false, randomTensor(n, cfg.embeddingSize, seed: seed + 100 + UInt64(k))))
      }
    }
    return out
  }

  static func nodeInputs(_ spec: [(String, Bool, Tensor)], _ vars: [Var]) -> NodeInputs {
    var ni = NodeInputs()
    for ((t, isFeat, _), v) in zip(spec, vars) {
      if isFeat { ni.features[t] = v } else { ni.embeddings[t] = v }
    }
    return ni
  }

  static func refInputs(_ spec: [(String, Bool, Tensor)], _ xs: [DM]) -> (feats: [String: DM], embs: [String: DM]) {
    var f: [String: DM] = [:], e: [String: DM] = [:]
    for ((t, isFeat, _), x) in zip(spec, xs) { if isFeat { f[t] = x } else { e[t] = x } }
    return (f, e)
  }
}

/// The reference encoder: project every input row, then per relation mean and multiply,
/// sum, self-loop, bias, ReLU between layers.
func refEncoder(_ cfg: EncoderConfig, _ P: PD, flow: MessageFlow, feats: [String: DM], embs: [String: DM],
                skipLast: Bool = false) -> [String: DM] {
  func proj(_ t: String) -> DM {
    var x: DM? = nil
    if let w = P["input.\(t).w"] { x = mm(feats[t]!, w) }
    if let pr = P["input.\(t).proj"] { x = mm(x.map { concatM([$0, embs[t]!]) } ?? embs[t]!, pr) }
    return x!
  }
  var h: [String: DM] = [:]
  for (t, ids) in flow.nodes[0] where !ids.isEmpty { h[t] = proj(t) }
  let L = cfg.numLayers
  for l in 0..<L {
    let (i, o) = cfg.layerDims(l)
    let last = l == L - 1
    func W(_ et: EdgeType) -> DM {
      guard cfg.usesBases else { return P["encoder.layer\(l).rel.\(et.name).w"]! }
      let r = cfg.edgeTypes.firstIndex(of: et)!
      let B = P["encoder.layer\(l).bases"]!, C = P["encoder.layer\(l).coeff"]!
      var w = DM(i, o)
      for b in 0..<cfg.numBases { for k in 0..<(i * o) { w.a[k] += C[r, b] * B[b, k] } }
      return w
    }
    var out: [String: DM] = [:]
    for (d, nd) in flow.blocks[l].numDst where nd > 0 {
      var acc = DM(nd, o)
      for et in cfg.edgeTypes where et.dst == d {
        if let csr = flow.blocks[l].edges[et] { acc = addM(acc, mm(segMean(h[et.src]!, csr), W(et))) }
      }
      if cfg.useSelfLoop && !(last && skipLast) {
        acc = addM(acc, mm(gatherM(h[d]!, (0..<Int32(nd)).map { $0 }), P["encoder.layer\(l).loop.w"]!))
      }
      acc = addRow(acc, P["encoder.layer\(l).bias"]!.a)
      if !last { acc = reluM(acc) }
      out[d] = acc
    }
    h = out
  }
  return h
}

/// The reference decoders and losses.
func refTaskLoss(_ spec: TaskSpec, _ P: PD, edgeTypes: [EdgeType], E: [String: DM], rows: TaskRows,
                 targets: Targets) -> Double {
  let p = "decoder.\(spec.id)."
  func lin(_ x: DM, _ w: String, _ b: String) -> DM {
    let y = mm(x, P[p + w]!)
    return P[p + b].map { addRow(y, $0.a) } ?? y
  }
  func edge(_ kind: EdgeDecoderKind, _ et: EdgeType, _ s: [Int32], _ d: [Int32], regression: Bool) -> DM {
    let u = gatherM(E[et.src]!, s), v = gatherM(E[et.dst]!, d)
    var out: DM
    switch kind {
    case .denseBi(let nb):
      let parts = (0..<nb).map { k in DM(u.r, 1, rowDotM(mm(u, P[p + "basis\(k)"]!), v)) }
      out = mm(concatM(parts), P[p + "combine"]!)
    case .mlp:
      out = mm(concatM([u, v]), P[p + "w"]!)
    }
    return regression ? lin(out, "head.w", "head.b") : out
  }
  func classLoss(_ logits: DM, _ c: ClassificationSpec) -> Double {
    switch targets {
    case .classes(let y): return refSoftmaxCE(logits, y, c.classWeights?.map(Double.init))
    case .multiHot(let y): return refBCE(logits, DM(y), pw: c.multilabelWeights?.map(Double.init), w: c.classWeights?.map(Double.init))
    default: fatalError()
    }
  }
  func values() -> DM { if case .values(let y) = targets { return DM(y) }; fatalError() }
  switch (spec.kind, rows) {
  case (.nodeClassification(let t, let c), .nodes(let r)):
    return classLoss(lin(gatherM(E[t]!, r), "w", "b"), c)
  case (.nodeRegression(let t), .nodes(let r)), (.nodeFeatureReconstruction(let t, _), .nodes(let r)):
    return refMSE(lin(gatherM(E[t]!, r), "w", "b"), values())
  case (.edgeClassification(let et, let k, let c), .edges(let s, let d)):
    return classLoss(edge(k, et, s, d, regression: false), c)
  case (.edgeRegression(let et, let k), .edges(let s, let d)):
    return refMSE(edge(k, et, s, d, regression: true), values())
  case (.edgeFeatureReconstruction(let et, _), .edges(let s, let d)):
    let x = reluM(lin(concatM([gatherM(E[et.src]!, s), gatherM(E[et.dst]!, d)]), "hidden.w", "hidden.b"))
    return refMSE(lin(x, "head.w", "head.b"), values())
  case (.linkPrediction(let lp), .links(let batches)):
    var E = E
    if lp.l2Normalize { for (t, e) in E { E[t] = l2rows(e) } }
    var terms: [(Double, Int)] = []
    for b in batches where b.count > 0 {
      let n = b.count
      var rvec: [Double]? = nil
      if case .distMult = lp.score {
        let r = edgeTypes.firstIndex(of: b.etype)!, R = P[p + "rel"]!
        rvec = (0..<R.c).map { R[r, $0] }
      }
      let Es = E[b.etype.src]!, Ed = E[b.etype.dst]!
      func score(_ i: Int, _ cand: Int32) -> Double {
        (0..<Es.c).reduce(0) { $0 + Es[Int(b.src[i]), $1] * (rvec?[$1] ?? 1) * Ed[Int(cand), $1] }
      }
      var rowsL: [[Double]] = []
      for i in 0..<n {
        var row: [Double] = []
        if lp.negatives == .inbatchJoint {
          row = b.dst.map { score(i, $0) } + b.negDst.map { score(i, $0) }
        } else {
          row = [score(i, b.dst[i])]
          if b.shared { row += b.negDst.map { score(i, $0) } } else {
            let k = b.negDst.count / n
            row += (0..<k).map { score(i, b.negDst[i * k + $0]) }
          }
        }
        rowsL.append(row)
      }
      let m = rowsL[0].count
      let logits = DM(n, m, rowsL.flatMap { $0 })
      let posCol: (Int) -> Int = { lp.negatives == .inbatchJoint ? $0 : 0 }
      switch lp.loss {
      case .crossEntropy:
        var y = DM(n, m)
        for i in 0..<n { y[i, posCol(i)] = 1 }
        terms.append((refBCE(logits, y), n * m))
      case .contrastive(let temp):
        let scaled = DM(n, m, logits.a.map { $0 / Double(temp) })
        terms.append((refSoftmaxCE(scaled, (0..<n).map { Int32(posCol($0)) }, nil), n))
      }
    }
    let total = Double(terms.reduce(0) { $0 + $1.1 })
    return terms.reduce(0) { $0 + $1.0 * Double($1.1) / total }
  default:
    fatalError("rows do not fit")
  }
}
