import Tensor

/// Link-prediction scoring and losses.
///
/// A score is `Σ a ⊙ c` of an anchor row and a candidate row: for a destination candidate the
/// anchor is `u` (dot product) or `u ⊙ r` (DistMult); for a corrupted source it is `v` or
/// `v ⊙ r`. Shared (joint) negatives are scored with one product `anchors · candidatesᵀ`;
/// per-positive negatives with a row-wise dot of repeated anchors.
extension TaskHead {
  var linkSpec: LinkPredictionSpec {
    guard case .linkPrediction(let lp) = spec.kind else { preconditionFailure("TaskHead '\(spec.id)' is not link prediction") }
    return lp
  }

  /// The embeddings this task scores with: L2-normalised per row with `lp_embed_normalizer`.
  public func linkEmbeddings(_ tape: Tape, _ embeddings: [String: Var]) -> [String: Var] {
    guard linkSpec.l2Normalize else { return embeddings }
    var types = Set<String>()
    for et in linkSpec.edgeTypes { types.insert(et.src); types.insert(et.dst) }
    var out = embeddings
    for t in types { if let e = embeddings[t] { out[t] = tape.l2NormalizeRows(e) } }
    return out
  }

  /// `rows × h` relation rows of `etype` (DistMult), or nil (dot product).
  func relationRows(_ tape: Tape, _ etype: EdgeType, _ n: Int) -> Var? {
    guard case .distMult = linkSpec.score else { return nil }
    guard let r = relIndex[etype] else { preconditionFailure("TaskHead '\(spec.id)': unknown edge type \(etype)") }
    return tape.gatherRows(param(tape, "rel")!, [Int32](repeating: Int32(r), count: n))
  }

  /// Scores of `anchors[n × h]` against candidates: shared (`[k × h]` → `[n × k]`) or
  /// per anchor (`[n·k × h]` → `[n × k]`).
  func candidateScores(_ tape: Tape, anchors: Var, candidates: Var, shared: Bool) -> Var {
    let n = tape.shape(anchors).rows, m = tape.shape(candidates).rows
    if shared { return tape.matmul(anchors, candidates, transB: true) }
    let k = n == 0 ? 0 : m / n
    let rep = tape.gatherRows(anchors, (0..<Int32(n)).flatMap { [Int32](repeating: $0, count: k) })
    return tape.reshape(tape.rowDot(rep, candidates), rows: n, cols: k)
  }

  /// Scores of one edge type's positives `[n × 1]` and negatives `[n × m]`: the `negDst`
  /// corruptions first, then the `negSrc` ones. `embeddings` are used as given (call
  /// `linkEmbeddings` first for the task's normaliser). Works with recording off (evaluation).
  public func linkScores(_ tape: Tape, embeddings: [String: Var], batch b: LinkRows) -> (positive: Var, negative: Var) {
    let et = b.etype, n = b.count
    guard let es = embeddings[et.src], let ed = embeddings[et.dst] else {
      preconditionFailure("TaskHead '\(spec.id)': no embeddings for \(et)")
    }
    let u = tape.gatherRows(es, b.src), v = tape.gatherRows(ed, b.dst)
    let r = relationRows(tape, et, n)
    let uAnchor = r.map { tape.mul(u, $0) } ?? u
    let pos = tape.rowDot(uAnchor, v)
    var parts: [Var] = []
    if !b.negDst.isEmpty {
      parts.append(candidateScores(tape, anchors: uAnchor, candidates: tape.gatherRows(ed, b.negDst), shared: b.shared))
    }
    if !b.negSrc.isEmpty {
      let vAnchor = r.map { tape.mul(v, $0) } ?? v
      parts.append(candidateScores(tape, anchors: vAnchor, candidates: tape.gatherRows(es, b.negSrc), shared: b.shared))
    }
    let neg = parts.isEmpty ? tape.constant(Tensor(rows: n, cols: 0))
                            : (parts.count == 1 ? parts[0] : tape.concatCols(parts))
    return (pos, neg)
  }

  /// The training loss over every edge type of the batch: one mean over all scores (BCE) or
  /// over all positives (contrastive), as GraphStorm concatenates the edge types.
  func linkLoss(_ tape: Tape, _ lp: LinkPredictionSpec, embeddings: [String: Var], batches: [LinkRows]) -> Var {
    let embs = linkEmbeddings(tape, embeddings)
    var terms: [Var] = [], counts: [Int] = []
    for b in batches where b.count > 0 {
      let n = b.count
      let logits: Var
      var diagonal = false
      if lp.negatives == .inbatchJoint {
        // [u·v_j for every positive j ‖ shared negatives]: row i's positive sits at column i,
        // every other column is a negative (GraphStorm's in-batch negatives drop only i = j).
        precondition(b.shared, "TaskHead '\(spec.id)': inbatch_joint needs shared negatives")
        let et = b.etype
        let u = tape.gatherRows(embs[et.src]!, b.src)
        let anchor = relationRows(tape, et, n).map { tape.mul(u, $0) } ?? u
        let inBatch = tape.matmul(anchor, tape.gatherRows(embs[et.dst]!, b.dst), transB: true)
        if b.negDst.isEmpty {
          logits = inBatch
        } else {
          let joint = tape.matmul(anchor, tape.gatherRows(embs[et.dst]!, b.negDst), transB: true)
          logits = tape.concatCols([inBatch, joint])
        }
        diagonal = true
      } else {
        let (pos, neg) = linkScores(tape, embeddings: embs, batch: b)
        logits = tape.shape(neg).cols == 0 ? pos : tape.concatCols([pos, neg])
      }
      let m = tape.shape(logits).cols
      switch lp.loss {
      case .crossEntropy:
        var y = Tensor(rows: n, cols: m)
        for i in 0..<n { y[i, diagonal ? i : 0] = 1 }
        terms.append(tape.bceWithLogits(logits, targets: tape.constant(y)))
        counts.append(n * m)
      case .contrastive(let temperature):
        let labels: [Int32] = diagonal ? (0..<Int32(n)).map { $0 } : [Int32](repeating: 0, count: n)
        terms.append(tape.softmaxCrossEntropy(tape.scale(logits, 1 / temperature), labels: labels))
        counts.append(n)
      }
    }
    let total = counts.reduce(0, +)
    if terms.isEmpty { return tape.constant(Tensor(rows: 1, cols: 1)) }
    return tape.weightedSum(terms, weights: counts.map { Float($0) / Float(total) })
  }
}
