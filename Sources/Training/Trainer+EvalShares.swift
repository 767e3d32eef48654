import Config
import Foundation
import Model
import Tensor

/// How T ranks split evaluation and inference so that the metrics do not depend on T beyond
/// float order: a set of `n` items is cut into fixed global batches of `eval_batch_size`
/// (batch `b` = items `b·bs ..< (b+1)·bs`), rank `r` of `W` takes the contiguous run of batches
/// `B·r/W ..< B·(r+1)/W` (`B` = ⌈n/bs⌉; fewer batches than ranks leave some ranks none), and
/// every batch samples with a seed of its **global** index — so batch `b` holds the same items
/// and draws the same neighbours and negatives whichever rank scores it, or with one rank.
/// The accumulators are merged in rank order (= global batch order), exactly.
extension Trainer {
  /// Rank `rank`'s share of `items`: whole global batches of `batchSize`, and the global index
  /// of its first batch.
  public static func evaluationShare(_ items: TaskItems, batchSize: Int, rank: Int, worldSize: Int)
    -> (items: TaskItems, firstBatch: Int) {
    let bs = max(1, batchSize), n = items.count
    let batches = (n + bs - 1) / bs
    let b0 = batches * rank / worldSize, b1 = batches * (rank + 1) / worldSize
    return (items.subset(Array(min(n, b0 * bs)..<min(n, b1 * bs))[...]), b0)
  }

  /// The seed of task `t`'s evaluation on `split` (no rank in it: batch `b` then derives
  /// `deriveSeed(base: seed, step: b)` from its global index).
  func evaluationSeed(task t: Int, split: Split) -> UInt64 {
    deriveSeed(base: options.seed, task: t, salt: split == .val ? 0x56414C : 0x54455354)
  }

  /// Task `task` scored on `items` (the whole split): this rank's global batches, the
  /// accumulators of every rank merged. Every rank must call it in the same order.
  func evaluateShared(_ task: TaskPlan, items: TaskItems, split: Split) throws -> MetricAccumulator {
    let share = Self.evaluationShare(items, batchSize: task.config.evalBatchSize, rank: options.rank, worldSize: options.worldSize)
    let ev = Evaluator(model: model, builder: builder)
    let acc = try ev.evaluate(task, items: share.items, seed: evaluationSeed(task: task.index, split: split), tape: tape,
                              firstBatch: share.firstBatch)
    return try reduceAcrossRanks(acc, task: task)
  }

  /// Rank 0's best checkpoint on every rank (only rank 0 keeps checkpoints and their scores),
  /// and whether the run was interrupted as rank 0 saw it. One `gather`; world size 1 returns
  /// its own.
  func agreeOnBestCheckpoint(_ summary: RunSummary) throws -> (best: String?, interrupted: Bool) {
    guard reducer.worldSize > 1 else { return (summary.bestCheckpoint, summary.interrupted) }
    var mine: [Double] = [summary.interrupted ? 1 : 0]
    if let b = summary.bestCheckpoint { mine += b.utf8.map { Double($0) } }
    let leader = try reducer.gatherVariable(mine)[0]
    let name = leader.count > 1 ? String(decoding: leader.dropFirst().map { UInt8($0) }, as: UTF8.self) : nil
    return (name, leader[0] != 0)
  }

  /// `restore(from:)` on every rank; with shared embedding rows (graph servers, where every
  /// rank asks for the same load) a barrier, so no rank pulls rows while another's load runs.
  func restoreOnEveryRank(from dir: String, layers: RestoreLayers? = nil) throws {
    try restore(from: dir, layers: layers)
    if reducer.worldSize > 1 && graph.embeddingsShared { try reducer.barrier() }
  }
}
