import Collective
import Config
import Foundation
import Model
import Net
import Tensor
import XCTest
@testable import Training

/// Several ranks in one process: each a thread with its own `LocalGraphAccess` and a
/// communicator of one `InMemoryGroup` (the process-level ring is tested in LaunchTests).
final class MultiRankTests: XCTestCase {
  /// Runs `body(rank)` on `W` threads at once; rethrows the first error.
  static func onRanks<T>(_ W: Int, _ body: @escaping (Int) throws -> T) throws -> [T] {
    let box = RankThreads(W, body)
    let threads = (0..<W).map { r in Thread { box.run(r) } }
    for t in threads { t.stackSize = 8 << 20; t.start() }
    for _ in 0..<W { box.done.wait() }
    return try box.out.map { try $0!.get() }
  }

  static func params(_ t: Trainer) -> [Float] { Array(UnsafeBufferPointer(start: t.model.arena.values, count: t.model.arena.count)) }

  /// 2 ranks with batch b equal 1 rank with batch 2b: one partition (so the ownership split
  /// gives each rank half of every task's items), every batch a whole pass (so the 1-rank
  /// batch is exactly the union of the 2 ranks' batches), all neighbours, no dropout, tasks
  /// without random negatives, learnable author embeddings. Every rank holds the same
  /// parameters after every step; parameters, embedding rows and evaluation match 1 rank's
  /// within float tolerance.
  func testTwoRanksEqualOneRankWithTwiceTheBatch() throws {
    Threads.configure(1)
    let s = try Synthetic(papers: 80, authors: 40, parts: 1)
    defer { s.remove() }
    func yaml(_ batch: Int) -> String {
      Synthetic.yaml(epochs: 3, layers: 2, batch: batch, extra: """
        eval_fanout: "-1,-1"
        """, tasks: [Synthetic.nc, Synthetic.nr, Synthetic.ec].joined(separator: "\n"))
        .replacingOccurrences(of: "fanout: \"6,6\"", with: "fanout: \"-1,-1\"")
    }
    let (one, oneAccess) = try s.makeTrainer(yaml: yaml(96), seed: 3)
    XCTAssertEqual(one.schedule.stepsPerEpoch, 1)
    let r1 = try one.run()
    XCTAssertFalse(oneAccess.embeddings.isEmpty, "the run pushes learnable embedding gradients")

    let comms = InMemoryGroup.make(worldSize: 2)
    final class Digests: @unchecked Sendable { var d: [[UInt64]] = [[], []] }
    let digests = Digests()
    let two = try Self.onRanks(2) { r -> (Trainer, LocalGraphAccess, RunSummary) in
      let (t, a) = try s.makeTrainer(yaml: yaml(48), seed: 3, options: { o in
        o.afterStep = { digests.d[r].append($0.parameterDigest()) }
      }, reducer: CollectiveReducer(comms[r]))
      return (t, a, try t.run())
    }
    XCTAssertEqual(digests.d[0].count, 3)
    XCTAssertEqual(digests.d[0], digests.d[1], "ranks hold identical parameters after every step")
    XCTAssertEqual(Self.params(two[0].0), Self.params(two[1].0))
    for (t, task) in one.plan.tasks.enumerated() {
      XCTAssertEqual(two[0].0.trainItems[t].count + two[1].0.trainItems[t].count, one.trainItems[t].count, task.id)
      XCTAssertEqual(two[0].0.schedule.batchesPerPass[t], 1)
    }
    let p1 = Self.params(one), p2 = Self.params(two[0].0)
    var worst: Float = 0
    for i in p1.indices { worst = max(worst, abs(p1[i] - p2[i]) / max(1e-3, abs(p1[i]))) }
    XCTAssertLessThan(worst, 1e-3, "dense parameters: 2 ranks vs 1")
    XCTAssertNotEqual(p1, Self.params(try s.makeTrainer(yaml: yaml(96), seed: 3).0), "training moved the parameters")
    for ty in one.plan.embeddingTypes {
      let e1 = oneAccess.embeddingTable(ntype: ty)!
      for k in 0..<2 {
        let e2 = two[k].1.embeddingTable(ntype: ty)!
        var w: Float = 0
        for i in e1.indices { w = max(w, abs(e1[i] - e2[i])) }
        XCTAssertLessThan(w, 1e-4, "embedding rows of rank \(k): 2 ranks vs 1")
      }
    }
    for (id, m) in r1.lastEvaluation {
      for (metric, v) in m {
        for k in 0..<2 {
          let u = two[k].2.lastEvaluation[id]?[metric]
          XCTAssertEqual(u?.val ?? -1, v.val ?? -1, accuracy: 1e-4, "\(id) \(metric) val on rank \(k)")
          XCTAssertEqual(u?.test ?? -1, v.test ?? -1, accuracy: 1e-4, "\(id) \(metric) test on rank \(k)")
        }
      }
    }
  }

  /// Three ranks (threads over a real TCP ring) on two partitions with batch sizes that divide nothing: every rank runs the
  /// same number of steps (the collectives would fail otherwise), parameters agree, and a val
  /// set smaller than the world still evaluates.
  func testUnevenSplitsRunTheSameStepsOnEveryRank() throws {
    Threads.configure(1)
    let s = try Synthetic(papers: 70, authors: 30, parts: 2)
    defer { s.remove() }
    let yaml = Synthetic.yaml(epochs: 1, layers: 1, batch: 7, extra: "eval_frequency: 3",
                              tasks: [Synthetic.nc, Synthetic.lp].joined(separator: "\n"))
    // Real sockets: a TCP ring on 127.0.0.1, listeners bound first so the ports are known.
    let listeners = try (0..<3).map { _ in try TCPRing.listen(on: try Endpoint(parsing: "127.0.0.1:0")) }
    let endpoints = listeners.map(\.endpoint)
    let secret = try Secret.random()
    let out = try Self.onRanks(3) { r -> (Trainer, RunSummary) in
      let ring = try TCPRing.connect(rank: r, endpoints: endpoints, secret: secret, options: CollectiveOptions(timeout: 30),
                                     listener: listeners[r])
      defer { ring.close() }
      let (t, _) = try s.makeTrainer(yaml: yaml, seed: 8, reducer: CollectiveReducer(ring))
      return (t, try t.run())
    }
    XCTAssertEqual(Set(out.map { $0.1.globalStep }).count, 1)
    XCTAssertEqual(Set(out.map { $0.0.schedule.batchesPerPass }).count, 1)
    XCTAssertGreaterThan(out[0].1.globalStep, 2)
    XCTAssertEqual(Set(out.map { Self.params($0.0) }).count, 1)
    let nc = "node_classification-paper-label_class"
    XCTAssertEqual(out[0].1.lastEvaluation[nc]?[.accuracy]?.val, out[2].1.lastEvaluation[nc]?[.accuracy]?.val)
    XCTAssertNotNil(out[0].1.lastEvaluation[nc]?[.accuracy]?.val ?? nil)
  }

  /// Val and test sets smaller than the world (2 items, one global batch, 4 ranks: three score nothing):
  /// every rank gets the metrics one rank computes over the whole sets with the same parameters.
  func testEvaluationSetsSmallerThanTheWorld() throws {
    Threads.configure(1)
    let s = try Synthetic(papers: 12, authors: 6, parts: 2)
    defer { s.remove() }
    let yaml = Synthetic.yaml(epochs: 1, layers: 1, batch: 2, extra: "eval_fanout: \"-1\"",
                              tasks: [Synthetic.nc, Synthetic.nr].joined(separator: "\n"))
    let comms = InMemoryGroup.make(worldSize: 4)
    let out = try Self.onRanks(4) { r -> (Trainer, [String: [EvalMetric: (val: Double?, test: Double?)]]) in
      let (t, _) = try s.makeTrainer(yaml: yaml, seed: 2, reducer: CollectiveReducer(comms[r]))
      _ = try t.run()
      return (t, try t.evaluate(splits: [.val, .test]))
    }
    let sizes = out.map { o in o.0.valItems[0].map { Trainer.evaluationShare($0, batchSize: o.0.plan.tasks[0].config.evalBatchSize, rank: o.0.options.rank, worldSize: 4).items.count } ?? -1 }
    XCTAssertEqual(sizes, [0, 0, 0, 2], "one global batch: one rank scores it, the others none")
    // One rank with the same parameters and embedding rows scores the whole sets.
    let (one, oneAccess) = try s.makeTrainer(yaml: yaml, seed: 2)
    let a = one.model.arena, b = out[0].0.model.arena
    a.values.update(from: b.values, count: a.count)
    for ty in one.plan.embeddingTypes {
      try out[0].0.graph.dumpEmbeddings(ntype: ty, directory: s.root + "/emb")
      try oneAccess.loadEmbeddings(ntype: ty, directory: s.root + "/emb", optimizerState: false)
    }
    let whole = try one.evaluate(splits: [.val, .test])
    XCTAssertEqual(whole.count, 2)
    for (id, m) in whole {
      for (metric, v) in m {
        for r in 0..<4 {
          XCTAssertEqual(out[r].1[id]?[metric]?.val ?? -1, v.val ?? -2, accuracy: 1e-6, "\(id) \(metric) val, rank \(r)")
          XCTAssertEqual(out[r].1[id]?[metric]?.test ?? -1, v.test ?? -2, accuracy: 1e-6, "\(id) \(metric) test, rank \(r)")
        }
      }
    }
  }

  /// Evaluation does not depend on the number of ranks beyond float order: with identical
  /// parameters (the same seed), 1 rank and 2 ranks score val and test alike — sampled
  /// `eval_fanout`, uniform LP negatives, several `eval_batch_size` batches of sizes that do
  /// not divide — because batches are global (fixed items) and seeded by their global index.
  func testEvaluationWithOneAndTwoRanksAgrees() throws {
    Threads.configure(1)
    let s = try Synthetic(papers: 90, authors: 30, parts: 2)
    defer { s.remove() }
    let yaml = Synthetic.yaml(epochs: 1, layers: 2, batch: 8, extra: """
      eval_fanout: "3,2"
      eval_batch_size: 5
      """, tasks: [Synthetic.nc, Synthetic.nr, Synthetic.lp].joined(separator: "\n"))
      .replacingOccurrences(of: "num_negative_edges_eval: 20", with: "num_negative_edges_eval: 6\n        eval_negative_sampler: uniform")
    let (one, _) = try s.makeTrainer(yaml: yaml, seed: 5)
    let whole = try one.evaluate(splits: [.val, .test])
    XCTAssertEqual(whole.count, 3)
    let comms = InMemoryGroup.make(worldSize: 2)
    let two = try Self.onRanks(2) { r in
      try s.makeTrainer(yaml: yaml, seed: 5, reducer: CollectiveReducer(comms[r])).0.evaluate(splits: [.val, .test])
    }
    let lp = "link_prediction-paper_cites_paper"
    XCTAssertNotNil(whole[lp]?[.mrr]?.test ?? nil)
    for (id, m) in whole {
      for (metric, v) in m {
        for r in 0..<2 {
          XCTAssertEqual(two[r][id]?[metric]?.val ?? -1, v.val ?? -2, accuracy: 1e-6, "\(id) \(metric) val, rank \(r)")
          XCTAssertEqual(two[r][id]?[metric]?.test ?? -1, v.test ?? -2, accuracy: 1e-6, "\(id) \(metric) test, rank \(r)")
        }
      }
    }
    // The shares: whole batches of 5, contiguous, covering the set once.
    let items = one.testItems[0]!
    let a = Trainer.evaluationShare(items, batchSize: 5, rank: 0, worldSize: 2), b = Trainer.evaluationShare(items, batchSize: 5, rank: 1, worldSize: 2)
    XCTAssertEqual(a.items.ids + b.items.ids, items.ids)
    XCTAssertEqual(a.items.count % 5, 0)
    XCTAssertEqual(b.firstBatch, a.items.count / 5)
  }

  /// Only rank 0 keeps checkpoints (and so knows the best): `gust train --save-embed-path` takes
  /// rank 0's best checkpoint on every rank before each writes its share of the embeddings.
  func testEveryRankTakesRankZerosBestCheckpoint() throws {
    Threads.configure(1)
    let s = try Synthetic(papers: 40, authors: 20, parts: 2)
    defer { s.remove() }
    let yaml = Synthetic.yaml(epochs: 2, layers: 1, batch: 8, tasks: Synthetic.nc)
    let comms = InMemoryGroup.make(worldSize: 2)
    let out = try Self.onRanks(2) { r -> (RunSummary, String?, Bool) in
      let (t, _) = try s.makeTrainer(yaml: yaml, overrides: ["--save-model-path", s.root + "/model"], seed: 4,
                                     reducer: CollectiveReducer(comms[r]))
      let summary = try t.run()
      let agreed = try t.agreeOnBestCheckpoint(summary)
      return (summary, agreed.best, agreed.interrupted)
    }
    let best = try XCTUnwrap(out[0].0.bestCheckpoint)
    XCTAssertTrue(best.hasPrefix(s.root + "/model/epoch-"), best)
    XCTAssertNil(out[1].0.bestCheckpoint, "rank 1 keeps no checkpoints itself")
    XCTAssertEqual(out[0].1, best)
    XCTAssertEqual(out[1].1, best)
    XCTAssertEqual(out.map(\.2), [false, false])
  }

  /// Early stopping with two ranks: both evaluate, agree, and stop at the same step.
  func testEarlyStoppingIsAgreed() throws {
    Threads.configure(1)
    let s = try Synthetic(papers: 60, authors: 20, parts: 2)
    defer { s.remove() }
    let yaml = Synthetic.yaml(epochs: 5, layers: 1, batch: 8, extra: """
      use_early_stop: true
      early_stop_rounds: 1
      early_stop_strategy: consecutive_increase
      model_select_task: node_regression-paper-label_reg
      """, tasks: [Synthetic.nc, Synthetic.nr].joined(separator: "\n"))
    let comms = InMemoryGroup.make(worldSize: 2)
    let out = try Self.onRanks(2) { r -> RunSummary in
      let (t, _) = try s.makeTrainer(yaml: yaml, overrides: ["--lr", "1e-12", "--sparse-optimizer-lr", "1e-12"], seed: 4,
                                     reducer: CollectiveReducer(comms[r]))
      return try t.run()
    }
    XCTAssertTrue(out[0].stoppedEarly && out[1].stoppedEarly)
    XCTAssertEqual(out[0].epochsCompleted, 2, "a flat score stops the run at the second evaluation")
    XCTAssertEqual(out[0].globalStep, out[1].globalStep)
    XCTAssertEqual(out[0].selection, out[1].selection)
  }

  /// Evaluation counts reduce exactly (not a mean of per-rank means): shares of one accumulator merged across 3 ranks (one
  /// of them empty) give the metrics of the whole, for every accumulator kind.
  func testEvaluationReductionIsExact() throws {
    var g = Generator(seed: 11)
    let n = 50, k = 3
    let labels = (0..<n).map { _ in Int32(g.nextInt(below: k)) }
    var probs: [Float] = []
    for _ in 0..<n { let a = (0..<k).map { _ in g.nextFloat() }; let s = a.reduce(0, +); probs += a.map { $0 / s } }
    func cls(_ r: Range<Int>) -> MetricAccumulator {
      var cm = ConfusionCounts(numClasses: k)
      let p = r.map { i in Int32((0..<k).max { probs[i * k + $0] < probs[i * k + $1] }!) }
      cm.add(predicted: p, labels: Array(labels[r]))
      return .classification(confusion: cm, scores: Array(probs[(r.lowerBound * k)..<(r.upperBound * k)]), labels: Array(labels[r]), numClasses: k)
    }
    let preds = (0..<n).map { _ in g.nextFloat() }, ys = (0..<n).map { _ in g.nextFloat() }
    func reg(_ r: Range<Int>) -> MetricAccumulator { .regression(RegressionCounts(predictions: Array(preds[r]), targets: Array(ys[r]))) }
    func rank(_ r: Range<Int>) -> MetricAccumulator {
      var c = RankingCounts(hitsAt: [1, 10])
      for i in r { c.add(greater: i % 7, equal: i % 3) }
      return .ranking(c)
    }
    let shares = [0..<20, 20..<20, 20..<50]
    let comms = InMemoryGroup.make(worldSize: 3)
    for (make, metrics) in [(cls, [EvalMetric.accuracy, .f1Score, .rocAuc]), (reg, [.rmse, .mae]), (rank, [.mrr, .hitAt(10)])]
      as [((Range<Int>) -> MetricAccumulator, [EvalMetric])] {
      let whole = make(0..<n)
      let merged = try Self.onRanks(3) { r -> MetricAccumulator in
        let red = CollectiveReducer(comms[r])
        var out: MetricAccumulator? = nil
        for v in try red.gatherVariable(make(shares[r]).encoded()) {
          let d = whole.decoded(v)
          if out == nil { out = d } else { out!.merge(d) }
        }
        return out!
      }
      for m in metrics {
        // Counts are exact; sums of doubles (reciprocal ranks) only up to their order.
        for r in 0..<3 { XCTAssertEqual(merged[r].value(m)!, whole.value(m)!, accuracy: 1e-14, "\(m) on rank \(r)") }
      }
      XCTAssertEqual(merged[1].count, n)
    }
  }
}

/// Results of one thread per rank (each writes only its own slot).
final class RankThreads<T>: @unchecked Sendable {
  var out: [Result<T, Error>?]
  let body: (Int) throws -> T
  let done = DispatchSemaphore(value: 0)
  init(_ W: Int, _ body: @escaping (Int) throws -> T) { out = Array(repeating: nil, count: W); self.body = body }
  func run(_ r: Int) { out[r] = Result { try body(r) }; done.signal() }
}
