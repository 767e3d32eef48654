import Config
import Foundation
import Graph
import XCTest
@testable import Training

/// `restore_model_layers`: only the chosen layers come from the checkpoint, the rest keep their
/// seeded initialisation; the task check applies only when `decoder` is restored.
final class RestoreLayersTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  nonisolated(unsafe) static var saved: (dir: String, trainer: Trainer, access: LocalGraphAccess)!
  override class func setUp() {
    graph = try! Synthetic(papers: 120, authors: 40)
    let (a, aa) = try! graph.makeTrainer(yaml: sameTasks, overrides: ["--save-model-path", graph.root + "/ckpt"], seed: 2)
    _ = try! a.run()
    saved = (graph.root + "/ckpt/epoch-0", a, aa)
  }
  override class func tearDown() { graph.remove() }

  static let sameTasks = Synthetic.yaml(epochs: 1, batch: 32, tasks: [Synthetic.nc, Synthetic.nr].joined(separator: "\n"))
  /// Another task set: nc kept, nr replaced by edge classification.
  static let otherTasks = Synthetic.yaml(epochs: 1, batch: 32, tasks: [Synthetic.nc, Synthetic.ec].joined(separator: "\n"))

  func params(_ t: Trainer) -> [String: [UInt32]] {
    let a = t.model.arena
    var out: [String: [UInt32]] = [:]
    for (n, v) in zip(a.names, a.views) { out[n] = a.tensor(v).storage.map(\.bitPattern) }
    return out
  }

  func checkpointParams() throws -> [String: [UInt32]] {
    try BinaryBlob.readWithWidths(path: Self.saved.dir + "/model.bin").mapValues { s in
      guard case .f32(let a) = s.data else { return [] }
      return a.map(\.bitPattern)
    }
  }

  func embeddings(_ t: Trainer, _ a: LocalGraphAccess) -> [UInt32] {
    t.plan.embeddingTypes.flatMap { a.embeddingTable(ntype: $0)! }.map(\.bitPattern)
  }

  /// `node_embed,gnn` with other tasks: inference runs; input and encoder parameters and the
  /// embedding rows equal the checkpoint's, every decoder (also nc's, which the checkpoint has)
  /// equals a fresh model's.
  func testEncoderOnlyRestoreWithOtherTasks() throws {
    let s = Self.graph!
    let (b, ba) = try s.makeTrainer(yaml: Self.otherTasks, overrides: ["--restore-model-path", Self.saved.dir,
                                    "--restore-model-layers", "node_embed,gnn"], seed: 9, inference: true)
    let (fresh, freshAccess) = try s.makeTrainer(yaml: Self.otherTasks, seed: 9, inference: true)
    XCTAssertNotEqual(embeddings(fresh, freshAccess), embeddings(Self.saved.trainer, Self.saved.access))
    let r = try b.runInference()
    XCTAssertEqual(Set(r.keys), Set(b.plan.tasks.map(\.id)))
    let ck = try checkpointParams(), pb = params(b), pf = params(fresh)
    var encoder = 0, decoder = 0
    for (name, v) in pb {
      if name.hasPrefix("decoder.") {
        XCTAssertEqual(v, pf[name], "\(name) should keep its seeded value")
        if let c = ck[name] { XCTAssertNotEqual(v, c, "\(name) must not come from the checkpoint") }
        decoder += 1
      } else {
        XCTAssertEqual(v, ck[name], "\(name) should come from the checkpoint")
        XCTAssertNotEqual(v, pf[name], name)
        encoder += 1
      }
    }
    XCTAssertGreaterThan(encoder, 3)
    XCTAssertGreaterThan(decoder, 1)
    XCTAssertFalse(embeddings(b, ba).isEmpty)
    XCTAssertEqual(embeddings(b, ba), embeddings(Self.saved.trainer, Self.saved.access), "node_embed restores the embedding rows")

    // Fine-tuning with the other tasks from the encoder: training starts (no task check).
    let (t, _) = try s.makeTrainer(yaml: Self.otherTasks, overrides: ["--restore-model-path", Self.saved.dir,
                                   "--restore-model-layers", "node_embed,gnn"], seed: 9) { $0.stopAfterSteps = 1 }
    XCTAssertEqual(try t.run().globalStep, 1)
  }

  /// The default (every layer) with other tasks fails and names the missing and extra task ids.
  func testDefaultLayersWithOtherTasksNameTheTaskIDs() throws {
    let s = Self.graph!
    let (b, _) = try s.makeTrainer(yaml: Self.otherTasks, overrides: ["--restore-model-path", Self.saved.dir], seed: 9, inference: true)
    let ec = b.plan.tasks[1].id, nr = Self.saved.trainer.plan.tasks[1].id
    XCTAssertThrowsError(try b.runInference()) { e in
      let m = "\(e)"
      XCTAssertTrue(m.contains("missing from the checkpoint: \(ec)"), m)
      XCTAssertTrue(m.contains("in the checkpoint but not in the YAML: \(nr)"), m)
    }
    // Fine-tuning restores the decoder by default too: the same check.
    let (t, _) = try s.makeTrainer(yaml: Self.otherTasks, overrides: ["--restore-model-path", Self.saved.dir], seed: 9)
    XCTAssertThrowsError(try t.run()) { XCTAssertTrue("\($0)".contains("missing from the checkpoint: \(ec)"), "\($0)") }
  }

  /// `sparse_embed` alone brings the embedding rows and not the input layer's dense
  /// parameters; without it (and without node_embed) the rows keep their seeded values.
  func testSparseEmbedRestoredOrNot() throws {
    let s = Self.graph!
    let ck = try checkpointParams()
    let savedRows = embeddings(Self.saved.trainer, Self.saved.access)
    let (fresh, fa) = try s.makeTrainer(yaml: Self.sameTasks, seed: 9, inference: true)
    let pf = params(fresh), freshRows = embeddings(fresh, fa)
    XCTAssertNotEqual(freshRows, savedRows)
    for (layers, rowsRestored) in [("gnn,decoder", false), ("sparse_embed,gnn,decoder", true)] {
      let (t, a) = try s.makeTrainer(yaml: Self.sameTasks, overrides: ["--restore-model-path", Self.saved.dir,
                                     "--restore-model-layers", layers], seed: 9, inference: true)
      try t.restore(from: Self.saved.dir)
      XCTAssertEqual(embeddings(t, a), rowsRestored ? savedRows : freshRows, layers)
      for (name, v) in params(t) {
        XCTAssertEqual(v, name.hasPrefix("input.") ? pf[name] : ck[name], "\(layers): \(name)")
      }
    }
  }

  /// Fine-tuning loads Adam's state only when every layer is restored.
  func testOptimizerStateOnlyWithEveryLayer() throws {
    let s = Self.graph!
    let a = Self.saved.trainer
    XCTAssertGreaterThan(a.adam.stepCount, 0)
    let (all, _) = try s.makeTrainer(yaml: Self.sameTasks, overrides: ["--restore-model-path", Self.saved.dir], seed: 9)
    try all.restore(from: Self.saved.dir, optimizer: true)
    XCTAssertEqual(all.adam.stepCount, a.adam.stepCount)
    XCTAssertEqual(all.adam.m.map(\.bitPattern), a.adam.m.map(\.bitPattern))
    XCTAssertEqual(all.adam.v.map(\.bitPattern), a.adam.v.map(\.bitPattern))
    let (part, _) = try s.makeTrainer(yaml: Self.sameTasks, overrides: ["--restore-model-path", Self.saved.dir,
                                      "--restore-model-layers", "node_embed,gnn"], seed: 9)
    try part.restore(from: Self.saved.dir, optimizer: true)
    XCTAssertEqual(part.adam.stepCount, 0)
    XCTAssertTrue(part.adam.m.allSatisfy { $0 == 0 })
  }
}
