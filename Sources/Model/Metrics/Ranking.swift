import Tensor

/// How a positive's rank treats negatives with exactly its score.
public enum TieRule: Sendable, Equatable {
  /// GraphStorm sorts the candidates with an unstable sort, so a tied positive lands anywhere
  /// among its ties. Gust reports the exact expectation of that: the rank is uniform over
  /// `g+1 … g+e+1` (`g` negatives above, `e` tied), so the reciprocal rank is the mean of
  /// `1/r` over that range and hit@k the fraction of it that is ≤ k. Deterministic, and a
  /// constant scorer gets a random ranker's score, not a perfect one.
  case expected
  /// The positive before every tie (rank g+1).
  case optimistic
  /// The positive after every tie (rank g+e+1).
  case pessimistic
}

/// Link-prediction ranking sums: each positive ranked among its own negatives (GraphStorm's
/// `calc_ranking`; ranking raw scores equals ranking their sigmoids, minus float32's
/// saturation ties). Additive across batches and ranks: `mrr = sumReciprocalRank / count`
/// over all positives (GraphStorm averages per-rank means instead; equal when ranks hold
/// equal counts).
public struct RankingCounts: Sendable, Equatable {
  public var sumReciprocalRank: Double = 0
  /// k → (expected) number of positives ranked ≤ k.
  public var hits: [Int: Double]
  public var count: Int = 0
  public var tieRule: TieRule

  public init(hitsAt ks: [Int] = [], tieRule: TieRule = .expected) {
    hits = Dictionary(uniqueKeysWithValues: ks.map { ($0, 0) })
    self.tieRule = tieRule
  }

  /// Adds positives `[n]` with negatives `[n × m]` (row i holds positive i's negatives).
  /// A NaN score ranks below everything.
  public mutating func add(positive: [Float], negatives: Tensor) {
    precondition(negatives.rows == positive.count, "RankingCounts: \(positive.count) positives, \(negatives.rows) rows of negatives")
    let m = negatives.cols
    for i in 0..<positive.count {
      let s = positive[i]
      var greater = 0, equal = 0
      if s.isNaN {
        greater = m
      } else {
        for j in 0..<m {
          let x = negatives[i, j]
          if x.isNaN { continue }
          if x > s { greater += 1 } else if x == s { equal += 1 }
        }
      }
      add(greater: greater, equal: equal)
    }
  }

  /// Adds one positive with `greater` negatives above it and `equal` tied.
  public mutating func add(greater g: Int, equal e: Int) {
    let lo: Int, hi: Int
    switch tieRule {
    case .expected: (lo, hi) = (g + 1, g + e + 1)
    case .optimistic: (lo, hi) = (g + 1, g + 1)
    case .pessimistic: (lo, hi) = (g + e + 1, g + e + 1)
    }
    let width = Double(hi - lo + 1)
    var rr = 0.0
    for r in lo...hi { rr += 1 / Double(r) }
    sumReciprocalRank += rr / width
    for k in hits.keys where k >= lo {
      hits[k]! += Double(min(hi, k) - lo + 1) / width
    }
    count += 1
  }

  public mutating func merge(_ o: RankingCounts) {
    precondition(o.tieRule == tieRule, "RankingCounts: merging different tie rules")
    sumReciprocalRank += o.sumReciprocalRank
    for (k, v) in o.hits { hits[k, default: 0] += v }
    count += o.count
  }

  public var mrr: Double { count == 0 ? 0 : sumReciprocalRank / Double(count) }

  /// Fraction of positives ranked ≤ k (`hit_at_<k>`); k must have been requested.
  public func hitRate(at k: Int) -> Double {
    guard let h = hits[k] else { preconditionFailure("RankingCounts: hit@\(k) was not requested") }
    return count == 0 ? 0 : h / Double(count)
  }
}
