import Collective
import Config
import Tensor
import Foundation
import XCTest
@testable import Training

/// Resuming a job of two ranks (threads, each with its own `LocalGraphAccess` — `--local` — and a
/// communicator of one `InMemoryGroup`). "The same" run means: epochs keep their numbers (a
/// resumed job continues at the checkpoint's epoch and step, so every shuffle, sampling,
/// negative and dropout seed — derived from (seed, rank, epoch, task, step) — repeats), the
/// learning rates are constant, the global step (evaluation and checkpoint cadence, Adam's bias
/// correction) and the model-selection / early-stopping state come from `state.json`, and every
/// rank loads rank 0's checkpoint: dense parameters, Adam moments, embedding rows and their
/// sparse Adam.
final class MultiRankResumeTests: XCTestCase {
  static let seed: UInt64 = 6
  static let yaml = Synthetic.yaml(epochs: 3, layers: 2, batch: 16, extra: """
    dropout: 0.2
    alpha_l2norm: 0.0001
    wd_l2norm: 0.001
    max_grad_norm: 1.0
    eval_frequency: 3
    save_model_frequency: 3
    use_early_stop: true
    early_stop_burnin_rounds: 1
    early_stop_rounds: 50
    """, tasks: [Synthetic.nc, Synthetic.lp, Synthetic.nfr].joined(separator: "\n"))

  typealias Rank = (trainer: Trainer, access: LocalGraphAccess, summary: RunSummary)

  /// One job of two ranks; rank 0 writes `<root>/<tag>.jsonl`.
  func job(_ s: Synthetic, _ tag: String, _ overrides: [String], resume: Bool = false) throws -> [Rank] {
    let comms = InMemoryGroup.make(worldSize: 2)
    return try MultiRankTests.onRanks(2) { r -> Rank in
      let (t, a) = try s.makeTrainer(yaml: Self.yaml, overrides: overrides, seed: Self.seed, options: { o in
        o.resume = resume
        o.metricsPath = s.root + "/\(tag).jsonl"
      }, reducer: CollectiveReducer(comms[r]))
      return (t, a, try t.run())
    }
  }

  /// metrics.jsonl as objects, the wall-clock field dropped.
  func metrics(_ path: String) throws -> [[String: AnyHashable]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
      var o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      o["seconds"] = nil
      return o.mapValues { $0 as! AnyHashable }
    }
  }

  /// Equal bit for bit (a failure says how many values differ, not all of them).
  func assertSameBits(_ a: [Float], _ b: [Float], _ what: String, line: UInt = #line) {
    let differ = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    XCTAssertTrue(a.count == b.count && differ == 0, "\(what): \(differ) of \(a.count) values differ (\(a.count) vs \(b.count))", line: line)
  }

  /// 2 ranks × 3 epochs straight = 2 ranks × 2 epochs, then a fresh 2-rank job that resumes
  /// from the epoch-1 checkpoint (`--resume --restore-model-path …/epoch-1`) for the third:
  /// parameters, embedding rows on both ranks, the last epoch's metrics.jsonl lines, the
  /// selection state and the final checkpoint's files are equal bit for bit.
  func testTwoRanksResumedFromACheckpointEqualTheStraightRun() throws {
    Threads.configure(1)
    let s = try Synthetic(papers: 96, authors: 40, parts: 2)
    defer { s.remove() }
    let straight = try job(s, "straight", ["--save-model-path", s.root + "/straight"])
    XCTAssertEqual(straight[0].summary.epochsCompleted, 3)
    XCTAssertFalse(straight[0].summary.stoppedEarly)
    XCTAssertFalse(straight[0].access.embeddings.isEmpty, "the run trains learnable embeddings")
    let S = straight[0].trainer.schedule.stepsPerEpoch
    XCTAssertGreaterThan(S, 1)

    let first = try job(s, "first", ["--save-model-path", s.root + "/first", "--num-epochs", "2"])
    XCTAssertEqual(first[0].summary.globalStep, 2 * S)
    let cut = s.root + "/first/epoch-1"
    let state = try Checkpoint.loadState(dir: cut)
    XCTAssertEqual([state.epoch, state.nextStep, state.globalStep, state.worldSize], [2, 0, 2 * S, 2])

    let resumed = try job(s, "resumed", ["--save-model-path", s.root + "/resumed", "--restore-model-path", cut], resume: true)
    XCTAssertEqual(resumed.map(\.summary.globalStep), [3 * S, 3 * S])
    for r in 0..<2 {
      assertSameBits(MultiRankTests.params(resumed[r].trainer), MultiRankTests.params(straight[r].trainer), "dense parameters, rank \(r)")
      for t in straight[r].trainer.plan.embeddingTypes {
        assertSameBits(resumed[r].access.embeddingTable(ntype: t)!, straight[r].access.embeddingTable(ntype: t)!,
                       "embedding rows of type \(t), rank \(r)")
      }
      XCTAssertEqual(resumed[r].summary.selection, straight[r].summary.selection, "selection and early-stopping state, rank \(r)")
    }
    XCTAssertNotEqual(MultiRankTests.params(first[0].trainer), MultiRankTests.params(straight[0].trainer), "the third epoch moved the parameters")

    // The last epoch's lines (train losses averaged over ranks, evaluations, the epoch line)
    // and the `best` lines; the resumed job logs nothing of the epochs before it.
    let a = try metrics(s.root + "/straight.jsonl"), b = try metrics(s.root + "/resumed.jsonl")
    let last = a.filter { $0["epoch"] == AnyHashable(2) || $0["kind"] == AnyHashable("best") }
    XCTAssertTrue(last.contains { $0["kind"] == AnyHashable("eval") } && last.contains { $0["kind"] == AnyHashable("train") })
    XCTAssertTrue(b.allSatisfy { $0["epoch"] == nil || $0["epoch"] == AnyHashable(2) }, "\(b.first ?? [:])")
    XCTAssertEqual(b, last)

    // The final checkpoint: the same bytes in every file (state.json included: position,
    // selection, the kept checkpoints' names).
    let files = ["model.bin", "optimizer.bin", "state.json", "embeddings/author/part0.emb", "embeddings/author/part1.emb",
                 "embeddings/author/part0.adam", "embeddings/author/part1.adam"]
    for f in files {
      let x = FileManager.default.contents(atPath: s.root + "/straight/epoch-2/" + f)
      XCTAssertNotNil(x, f)
      XCTAssertEqual(x, FileManager.default.contents(atPath: s.root + "/resumed/epoch-2/" + f), f)
    }

    // From a checkpoint in the middle of the last epoch and of a logging interval (every 5
    // steps here): the same end, and the first `train` lines average the same steps (each
    // rank's losses not yet logged are in state.json).
    let iters = try FileManager.default.contentsOfDirectory(atPath: s.root + "/straight").filter { $0.hasPrefix("epoch-2-iter-") }
    let midName = try XCTUnwrap(iters.first { n in
      let g = try! Checkpoint.loadState(dir: s.root + "/straight/" + n).globalStep
      return g % 5 != 0 && g < 3 * S - 1
    }, "an epoch-2 checkpoint off the log interval among \(iters)")
    let midState = try Checkpoint.loadState(dir: s.root + "/straight/" + midName)
    XCTAssertEqual(midState.pendingLosses?.count, 2)
    XCTAssertEqual(midState.pendingLosses?[1].last, Double(midState.globalStep % 5), "steps since the last logged line")
    let mid = try job(s, "mid", ["--save-model-path", s.root + "/mid", "--restore-model-path", s.root + "/straight/" + midName], resume: true)
    for r in 0..<2 {
      assertSameBits(MultiRankTests.params(mid[r].trainer), MultiRankTests.params(straight[r].trainer), "resumed mid-epoch, rank \(r)")
    }
    let after = a.filter { (($0["step"] as? Int).map { $0 > midState.globalStep } ?? false) || $0["kind"] == AnyHashable("best") }
    let m = try metrics(s.root + "/mid.jsonl")
    XCTAssertTrue(after.contains { $0["kind"] == AnyHashable("train") })
    XCTAssertEqual(m.filter { $0["kind"] != AnyHashable("epoch") }, after)
    XCTAssertEqual(m.first { $0["kind"] == AnyHashable("epoch") }?["steps"], AnyHashable(3 * S - midState.globalStep), "the steps this job ran")

    // `--resume` alone takes the newest checkpoint under save_model_path: the same result.
    let newest = try job(s, "newest", ["--save-model-path", s.root + "/first"], resume: true)
    assertSameBits(MultiRankTests.params(newest[1].trainer), MultiRankTests.params(straight[1].trainer), "--resume alone, rank 1")
  }
}
