import Config

/// The best score of one task's metric so far: the best validation value, the test value at
/// that evaluation, and its global step (GraphStorm's per-task `best_val_score`,
/// `best_test_score`, `best_iter_num`).
public struct BestScore: Codable, Equatable, Sendable {
  public var val: Double?
  public var test: Double?
  public var step: Int
}

/// A checkpoint kept by `topk_model_to_save`.
public struct KeptCheckpoint: Codable, Equatable, Sendable {
  public var name: String
  /// The model-selection score when it was saved (nil: no validation score yet).
  public var score: Double?
  public var globalStep: Int
}

/// Model selection, early stopping and checkpoint retention across evaluations (SPEC §4;
/// **Gust:** these work in multi-task mode). The score is the major metric of the selection task
/// (`model_select_task`, else the first task) on its val split (its test split when it has no
/// val mask). Saved in every checkpoint so a resumed run decides exactly as an uninterrupted one.
public struct SelectionState: Codable, Equatable, Sendable {
  /// `[task id][metric name]`.
  public var best: [String: [String: BestScore]] = [:]
  /// The last evaluation's selection score.
  public var lastScore: Double?
  /// Early stopping: evaluations seen, and the window of the last `early_stop_rounds` scores.
  public var evaluations = 0
  public var window: [Double] = []
  public var kept: [KeptCheckpoint] = []
  /// Early stopping has ended the run.
  public var stopped = false

  public init() {}

  /// Records one evaluation's values (`[task id][metric] → (val, test)`) at `step`.
  public mutating func record(_ results: [String: [EvalMetric: (val: Double?, test: Double?)]], step: Int,
                              tasks: [TaskConfig], selection: TaskConfig) {
    for t in tasks {
      guard let r = results[t.id] else { continue }
      for m in t.evalMetrics {
        guard let (v, te) = r[m] else { continue }
        let key = m.description
        let cur = best[t.id]?[key]
        let better: Bool
        if let cur {
          if let v, let cv = cur.val { better = m.higherIsBetter ? v > cv : v < cv }
          else if v == nil, cur.val == nil, let te, let ct = cur.test { better = m.higherIsBetter ? te > ct : te < ct }
          else { better = v != nil && cur.val == nil }
        } else {
          better = v != nil || te != nil
        }
        if better { best[t.id, default: [:]][key] = BestScore(val: v, test: te, step: step) }
      }
    }
    if let r = results[selection.id]?[selection.majorMetric] { lastScore = r.val ?? r.test } else { lastScore = nil }
  }

  /// GraphStorm's early-stop judges (`early_stop_*_judge`), after `burnin` evaluations: with
  /// `consecutive_increase` stop when the new score is no better than each of the last
  /// `rounds` scores; with `average_increase` when it is no better than their mean. The window
  /// must be full before either can stop the run.
  public mutating func shouldStop(score: Double, higherIsBetter: Bool, burnin: Int, rounds: Int,
                                  strategy: EarlyStopStrategy) -> Bool {
    evaluations += 1
    if evaluations <= burnin { return false }
    func noBetter(_ a: Double, _ b: Double) -> Bool { higherIsBetter ? a <= b : a >= b }
    var stop = false
    if window.count >= max(rounds, 1) {
      switch strategy {
      case .consecutiveIncrease: stop = window.allSatisfy { noBetter(score, $0) }
      case .averageIncrease: stop = noBetter(score, window.reduce(0, +) / Double(window.count))
      }
    }
    window.append(score)
    while window.count > max(rounds, 1) { window.removeFirst() }
    return stop
  }

  /// Adds a saved checkpoint; returns the names to delete so that at most `k` remain, the
  /// worst by score first (no score counts as worst; ties: the oldest goes).
  public mutating func keep(_ c: KeptCheckpoint, k: Int?, higherIsBetter: Bool) -> [String] {
    kept.removeAll { $0.name == c.name }
    kept.append(c)
    guard let k, k > 0, kept.count > k else { return [] }
    func worse(_ a: KeptCheckpoint, _ b: KeptCheckpoint) -> Bool {  // a is worse than b
      switch (a.score, b.score) {
      case (nil, nil): return a.globalStep < b.globalStep
      case (nil, _): return true
      case (_, nil): return false
      case (let x?, let y?): return x == y ? a.globalStep < b.globalStep : (higherIsBetter ? x < y : x > y)
      }
    }
    var removed: [String] = []
    while kept.count > k {
      let worst = kept.indices.min { worse(kept[$0], kept[$1]) }!
      removed.append(kept.remove(at: worst).name)
    }
    return removed
  }
}
