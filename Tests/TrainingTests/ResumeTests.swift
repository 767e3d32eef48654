import Foundation
import Graph
import XCTest
@testable import Training

final class ResumeTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic(papers: 160, authors: 60) }
  override class func tearDown() { graph.remove() }

  static let yaml = Synthetic.yaml(epochs: 2, batch: 32, extra: """
    dropout: 0.2
    alpha_l2norm: 0.0001
    wd_l2norm: 0.001
    max_grad_norm: 1.0
    eval_frequency: 4
    save_model_frequency: 3
    topk_model_to_save: 2
    """, tasks: [Synthetic.nc, Synthetic.lp, Synthetic.nfr].joined(separator: "\n"))

  func state(_ t: Trainer, _ a: LocalGraphAccess) -> (params: [Float], emb: [Float]) {
    let arena = t.model.arena
    let params = Array(UnsafeBufferPointer(start: arena.values, count: arena.count))
    let emb = t.plan.embeddingTypes.flatMap { a.embeddingTable(ntype: $0)! }
    return (params, emb)
  }

  /// An interrupted run resumed from its newest checkpoint ends with bit-identical parameters,
  /// embedding rows and model-selection state; `topk_model_to_save` keeps the best two.
  func testResumeIsBitForBit() throws {
    let s = Self.graph!
    let full = s.root + "/full", cut = s.root + "/cut"
    let (a, aa) = try s.makeTrainer(yaml: Self.yaml, overrides: ["--save-model-path", full], seed: 5)
    let ra = try a.run()
    XCTAssertGreaterThan(ra.globalStep, 9)
    XCTAssertFalse(aa.embeddings.isEmpty, "the run uses learnable embeddings")

    let (b, _) = try s.makeTrainer(yaml: Self.yaml, overrides: ["--save-model-path", cut], seed: 5) { $0.stopAfterSteps = 10 }
    let rb = try b.run()
    XCTAssertTrue(rb.interrupted)
    XCTAssertEqual(rb.globalStep, 10)
    let newest = try XCTUnwrap(Checkpoint.newest(root: cut))
    XCTAssertEqual(try Checkpoint.loadState(dir: newest).globalStep, 9)

    let (c, ca) = try s.makeTrainer(yaml: Self.yaml, overrides: ["--save-model-path", cut], seed: 5) { $0.resume = true }
    XCTAssertEqual(c.globalStep, 0)
    let rc = try c.run()
    XCTAssertEqual(rc.globalStep, ra.globalStep)
    let (pa, ea) = state(a, aa), (pc, ec) = state(c, ca)
    XCTAssertEqual(pa.count, pc.count)
    XCTAssertTrue(pa.map(\.bitPattern) == pc.map(\.bitPattern), "dense parameters differ")
    XCTAssertTrue(ea.map(\.bitPattern) == ec.map(\.bitPattern), "embedding rows differ")
    XCTAssertEqual(ra.selection, rc.selection)
    XCTAssertEqual(ra.checkpoints.count, 2)
    let left = try FileManager.default.contentsOfDirectory(atPath: full).filter { $0.hasPrefix("epoch-") }.sorted()
    XCTAssertEqual(left, ra.checkpoints.sorted())
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cut).filter { $0.hasPrefix("epoch-") }.sorted(), left)
    for n in left {
      for f in ["model.bin", "optimizer.bin", "state.json", "embeddings/author/part0.emb", "embeddings/author/part1.adam"] {
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(full)/\(n)/\(f)"), "\(n)/\(f)")
      }
    }
  }

  /// `restore_model_path` loads the parameters: evaluation after restoring equals the saved run's.
  func testRestoreModelPathLoadsParameters() throws {
    let s = Self.graph!
    let save = s.root + "/restore"
    let yaml = Synthetic.yaml(epochs: 1, tasks: [Synthetic.nc, Synthetic.nr].joined(separator: "\n"))
    let (a, _) = try s.makeTrainer(yaml: yaml, overrides: ["--save-model-path", save], seed: 2)
    _ = try a.run()
    let (b, _) = try s.makeTrainer(yaml: yaml, overrides: ["--restore-model-path", save + "/epoch-0"], seed: 9, inference: true)
    let r = try b.runInference()
    let ev = try a.evaluate(splits: [.test])
    for (id, m) in ev {
      for (metric, v) in m { XCTAssertEqual(r[id]?[metric]?.test, v.test, "\(id) \(metric)") }
    }
  }

  /// `restore_model_path` with every layer (fine-tuning from a checkpoint) loads the whole
  /// optimiser state: Adam's moments and step count and the embedding rows' sparse Adam. With
  /// some layers only, neither (the rows still load with `node_embed`). `--resume` with a
  /// checkpoint in `restore_model_path` needs every layer.
  func testRestoreWithEveryLayerLoadsTheSparseOptimizerToo() throws {
    let s = Self.graph!
    let save = s.root + "/sparse"
    let yaml = Synthetic.yaml(epochs: 1, batch: 32, tasks: [Synthetic.nc, Synthetic.nfr].joined(separator: "\n"))
    let (a, aa) = try s.makeTrainer(yaml: yaml, overrides: ["--save-model-path", save], seed: 2)
    _ = try a.run()
    let author = try XCTUnwrap(a.plan.embeddingTypes.first)
    func sparse(_ x: LocalGraphAccess) -> (steps: [[Int32]], m: [[Float]]) {
      (x.embeddings[author]!.map(\.adam.steps), x.embeddings[author]!.map(\.adam.m))
    }
    XCTAssertGreaterThan(sparse(aa).steps.joined().count, 0)
    let cp = save + "/epoch-0"
    let (b, ba) = try s.makeTrainer(yaml: yaml, overrides: ["--restore-model-path", cp], seed: 2)
    try b.restore(from: cp, optimizer: true)
    XCTAssertEqual(sparse(ba).steps, sparse(aa).steps)
    XCTAssertEqual(sparse(ba).m, sparse(aa).m)
    XCTAssertEqual(b.adam.stepCount, a.adam.stepCount)
    XCTAssertEqual(b.adam.m, a.adam.m)

    let partial = ["--restore-model-path", cp, "--restore-model-layers", "node_embed,gnn"]
    let (c, ca) = try s.makeTrainer(yaml: yaml, overrides: partial, seed: 2)
    try c.restore(from: cp, optimizer: true)
    XCTAssertEqual(ca.embeddingTable(ntype: author), aa.embeddingTable(ntype: author), "node_embed restores the rows")
    XCTAssertEqual(sparse(ca).steps.joined().count, 0, "but not their optimiser")
    XCTAssertEqual(c.adam.stepCount, 0)

    let (d, _) = try s.makeTrainer(yaml: yaml, overrides: partial, seed: 2) { $0.resume = true }
    XCTAssertThrowsError(try d.run()) {
      XCTAssertEqual(($0 as? TrainingError)?.code, .badInput)
      XCTAssertTrue("\($0)".contains("restore_model_layers"), "\($0)")
    }
  }

  /// `use_early_stop` ends a multi-task run once the selection score stops improving.
  func testEarlyStoppingEndsTheRun() throws {
    let s = Self.graph!
    let yaml = Synthetic.yaml(epochs: 5, extra: """
      use_early_stop: true
      early_stop_rounds: 1
      early_stop_strategy: consecutive_increase
      model_select_task: node_regression-paper-label_reg
      """, tasks: [Synthetic.nc, Synthetic.nr].joined(separator: "\n"))
    let (t, _) = try s.makeTrainer(yaml: yaml, overrides: ["--lr", "1e-12", "--sparse-optimizer-lr", "1e-12"], seed: 4)
    let r = try t.run()
    XCTAssertTrue(r.stoppedEarly)
    XCTAssertEqual(r.epochsCompleted, 2, "a flat score stops the run at the second evaluation")
    XCTAssertNotNil(r.selection.best["node_regression-paper-label_reg"]?["rmse"])
  }

  /// Model selection and early stopping (GraphStorm's judges, in multi-task mode).
  func testEarlyStoppingJudges() {
    var s = SelectionState()
    // consecutive_increase, rounds 2, burn-in 1: stop when no better than both of the last two.
    let scores = [0.5, 0.6, 0.7, 0.65, 0.66]
    let stops = scores.map { s.shouldStop(score: $0, higherIsBetter: true, burnin: 1, rounds: 2, strategy: .consecutiveIncrease) }
    XCTAssertEqual(stops, [false, false, false, false, false])
    XCTAssertTrue(s.shouldStop(score: 0.64, higherIsBetter: true, burnin: 1, rounds: 2, strategy: .consecutiveIncrease))
    var avg = SelectionState()
    let lower = [1.0, 0.9, 0.8, 0.95].map { avg.shouldStop(score: $0, higherIsBetter: false, burnin: 0, rounds: 3, strategy: .averageIncrease) }
    XCTAssertEqual(lower, [false, false, false, true])  // 0.95 ≥ mean(1.0, 0.9, 0.8)
    // top-k keeps the best scores; no score counts as worst.
    var k = SelectionState()
    XCTAssertEqual(k.keep(KeptCheckpoint(name: "a", score: 0.5, globalStep: 1), k: 2, higherIsBetter: true), [])
    XCTAssertEqual(k.keep(KeptCheckpoint(name: "b", score: nil, globalStep: 2), k: 2, higherIsBetter: true), [])
    XCTAssertEqual(k.keep(KeptCheckpoint(name: "c", score: 0.7, globalStep: 3), k: 2, higherIsBetter: true), ["b"])
    XCTAssertEqual(k.keep(KeptCheckpoint(name: "d", score: 0.6, globalStep: 4), k: 2, higherIsBetter: true), ["a"])
  }
}
