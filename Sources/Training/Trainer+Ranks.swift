import Config
import Foundation
import Model
import Tensor

/// What several ranks agree on: parameters at the start, sparse embedding gradients each step,
/// exact evaluation counts, logged losses, and a digest of the parameters at the end.
extension Trainer {
  /// Every rank's accumulator of one task merged in rank order: counts and sums add, scores
  /// and labels concatenate, so the metrics equal one rank evaluating every item.
  func reduceAcrossRanks(_ acc: MetricAccumulator, task: TaskPlan) throws -> MetricAccumulator {
    guard reducer.worldSize > 1 else { return acc }
    var out = MetricAccumulator.make(for: task)
    for v in try reducer.gatherVariable(acc.encoded()) { out.merge(acc.decoded(v)) }
    return out
  }

  /// Rank 0's parameters on every rank (after any restore or resume, which every rank did alike).
  func broadcastParameters() throws {
    guard reducer.worldSize > 1 else { return }
    try reducer.broadcast(model.arena.values, count: model.arena.count)
  }

  /// FNV-1a over the bit patterns of every dense parameter.
  public func parameterDigest() -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    let v = model.arena.values
    for i in 0..<model.arena.count {
      h = (h ^ UInt64(v[i].bitPattern)) &* 0x0000_0100_0000_01b3
    }
    return h
  }

  /// Checks every rank holds the same parameters (their digests agree); throws naming the
  /// ranks that differ from rank 0.
  public func checkRanksInSync() throws -> UInt64 {
    let d = parameterDigest()
    guard reducer.worldSize > 1 else { return d }
    let all = try reducer.gather([Double(d >> 32), Double(d & 0xffff_ffff)]).map { UInt64($0[0]) << 32 | UInt64($0[1]) }
    let off = all.indices.filter { all[$0] != all[0] }
    guard off.isEmpty else {
      throw TrainingError(.runtime, "ranks \(off) hold other parameters than rank 0 (digests \(all.map { String($0, radix: 16) }))")
    }
    return d
  }

  /// One step's sparse embedding gradients of every rank reach the rows once: all ranks'
  /// rows concatenated in rank order, scaled by 1/W (the dense gradients are a mean too), so
  /// duplicates summed by SparseAdam give what one rank with the whole batch would push.
  /// Shared rows (graph servers): rank 0 pushes them, then a barrier so no rank pulls the
  /// rows before the update. Per-rank copies (`LocalGraphAccess`): every rank pushes them.
  func pushEmbeddingGradients(_ pushes: [Int: (ids: [Int64], grads: [Float])]) throws {
    let lr = Float(tc.sparseOptimizerLR)
    let W = reducer.worldSize
    if W == 1 {
      for (t, p) in pushes.sorted(by: { $0.key < $1.key }) {
        try graph.pushEmbeddingGradients(ntype: t, ids: p.ids, grads: p.grads, lr: lr)
      }
      return
    }
    let types = plan.embeddingTypes.sorted()
    guard !types.isEmpty else { return }
    let width = plan.encoder.embeddingSize
    var mine = types.map { Double(pushes[$0]?.ids.count ?? 0) }
    for t in types { if let p = pushes[t] { mine += p.ids.map { Double($0) } } }
    let all = try reducer.gatherVariable(mine)
    let counts = all.map { Array($0.prefix(types.count)).map { Int($0) } }  // [rank][type]
    // Float layout: per type, per rank, its rows.
    var offset = [[Int]](repeating: [Int](repeating: 0, count: W), count: types.count)
    var total = 0
    for k in types.indices {
      for q in 0..<W { offset[k][q] = total; total += counts[q][k] * width }
    }
    guard total > 0 else { return }
    var buffer = [Float](repeating: 0, count: total)
    for (k, t) in types.enumerated() {
      if let p = pushes[t] { buffer.replaceSubrange(offset[k][reducer.rank]..<(offset[k][reducer.rank] + p.grads.count), with: p.grads) }
    }
    try buffer.withUnsafeMutableBufferPointer { try reducer.sum($0.baseAddress!, count: total) }
    let scale = 1 / Float(W)
    for i in 0..<total { buffer[i] *= scale }
    let pushHere = !graph.embeddingsShared || reducer.rank == 0
    if pushHere {
      for (k, t) in types.enumerated() {
        var ids: [Int64] = []
        for q in 0..<W {
          let before = all[q].prefix(types.count).enumerated().filter { $0.offset < k }.reduce(0) { $0 + Int($1.element) }
          ids += all[q][(types.count + before)..<(types.count + before + counts[q][k])].map { Int64($0) }
        }
        guard !ids.isEmpty else { continue }
        let lo = offset[k][0]
        try graph.pushEmbeddingGradients(ntype: t, ids: ids, grads: Array(buffer[lo..<(lo + ids.count * width)]), lr: lr)
      }
    }
    if graph.embeddingsShared { try reducer.barrier() }
  }

  /// The logged losses since the last line, averaged over ranks (every rank logs at the same steps).
  func lossesAcrossRanks() throws -> (perTask: [Double], total: Double) {
    guard reducer.worldSize > 1 else { return (lossSums, lossTotal) }
    let all = try reducer.gather(lossSums + [lossTotal])
    var mean = [Double](repeating: 0, count: lossSums.count + 1)
    for a in all { for i in mean.indices { mean[i] += a[i] / Double(all.count) } }
    return (Array(mean.dropLast()), mean.last!)
  }
}

extension MetricAccumulator {
  /// The accumulator as doubles (counts below 2⁵³ and float32 scores are exact).
  /// Classification: `k·k` confusion counts, then labels, then scores (`n·k`); multilabel:
  /// scores then targets; regression: the two sums and the count; ranking: the reciprocal-rank
  /// sum, the count, the hit counts in order of k.
  func encoded() -> [Double] {
    switch self {
    case .classification(let cm, let scores, let labels, _):
      return cm.matrix.map(Double.init) + labels.map(Double.init) + scores.map(Double.init)
    case .multilabel(let scores, let targets, _):
      return scores.map(Double.init) + targets.map(Double.init)
    case .regression(let r):
      return [r.sumSquaredError, r.sumAbsoluteError, Double(r.count)]
    case .ranking(let r):
      return [r.sumReciprocalRank, Double(r.count)] + r.hits.keys.sorted().map { r.hits[$0]! }
    }
  }

  /// Reads `encoded()` of an accumulator of the same task (`self` gives the shape).
  func decoded(_ v: [Double]) -> MetricAccumulator {
    switch self {
    case .classification(_, _, _, let k):
      let n = (v.count - k * k) / (k + 1)
      let cm = ConfusionCounts(numClasses: k, matrix: v[0..<(k * k)].map { Int($0) })
      let labels = v[(k * k)..<(k * k + n)].map { Int32($0) }
      return .classification(confusion: cm, scores: v[(k * k + n)...].map { Float($0) }, labels: labels, numClasses: k)
    case .multilabel(_, _, let k):
      let h = v.count / 2
      return .multilabel(scores: v[..<h].map { Float($0) }, targets: v[h...].map { Float($0) }, numClasses: k)
    case .regression:
      var r = RegressionCounts()
      r.sumSquaredError = v[0]
      r.sumAbsoluteError = v[1]
      r.count = Int(v[2])
      return .regression(r)
    case .ranking(let mine):
      var r = mine
      r.sumReciprocalRank = v[0]
      r.count = Int(v[1])
      for (i, k) in mine.hits.keys.sorted().enumerated() { r.hits[k] = v[2 + i] }
      return .ranking(r)
    }
  }

  /// Adds `o` (an accumulator of the same task) after this one's items.
  mutating func merge(_ o: MetricAccumulator) {
    switch (self, o) {
    case (.classification(var cm, let s, let l, let k), .classification(let cm2, let s2, let l2, _)):
      cm.merge(cm2)
      self = .classification(confusion: cm, scores: s + s2, labels: l + l2, numClasses: k)
    case (.multilabel(let s, let t, let k), .multilabel(let s2, let t2, _)):
      self = .multilabel(scores: s + s2, targets: t + t2, numClasses: k)
    case (.regression(var r), .regression(let r2)):
      r.merge(r2)
      self = .regression(r)
    case (.ranking(var r), .ranking(let r2)):
      r.merge(r2)
      self = .ranking(r)
    default:
      preconditionFailure("MetricAccumulator: merging accumulators of different task kinds")
    }
  }
}
