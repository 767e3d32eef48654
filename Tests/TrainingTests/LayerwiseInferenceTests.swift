import Foundation
import Model
import Tensor
import XCTest
@testable import Training

/// Layer-wise inference (the embedding pass of `gust infer`) gives every node the row that
/// mini-batch inference (`Trainer.nodeEmbeddings`) gives it: per-(seed, layer, node) sampling
/// makes a node's neighbourhoods the same in both, for any chunk size, rank slice, number of
/// layers and partitions; rows come out in seed order.
final class LayerwiseInferenceTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic(papers: 200, authors: 80, parts: 2) }
  override class func tearDown() { graph.remove() }

  func testLayerwiseRowsEqualMiniBatchRows() throws {
    let s = Self.graph!
    for layers in [1, 2, 3] {
      // A small eval_fanout, so that sampling (not every neighbour) decides the rows.
      let fanout = Array(repeating: "2", count: layers).joined(separator: ",")
      let (t, a) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, layers: layers, extra: "eval_fanout: \"\(fanout)\""))
      XCTAssertTrue(t.embeddingSampling.fanouts.allSatisfy { $0.allSatisfy { $0 == 2 } })
      let g = a.partitionConfig
      for (chunk, rank, world) in [(7, 0, 1), (64, 1, 2)] {
        let seeds = (0..<g.ntypes.count).map { ty in
          let all = a.allNodes(ntype: ty)
          return Array(all[Trainer.rankSlice(count: all.count, rank: rank, worldSize: world)])
        }
        var seen = [[Int64]](repeating: [], count: g.ntypes.count)
        var compared = 0
        try LayerwiseInference(sampler: t.builder.sampler, builder: t.builder, model: t.model, tape: Tape(), plan: t.embeddingSampling,
                               seed: deriveSeed(base: t.inferenceSeed, salt: 0x5341_4D50), chunk: chunk)
          .run(seeds: seeds) { ty, ids, rows in
            seen[ty] += ids
            let h = t.model.config.outputSize
            XCTAssertEqual(rows.count, ids.count * h)
            let ref = try t.nodeEmbeddings(ntype: ty, ids: ids)
            for k in rows.indices {
              XCTAssertEqual(rows[k], ref[k], accuracy: 1e-5 * max(1, abs(ref[k])),
                             "layers \(layers) chunk \(chunk) \(g.ntypes[ty]) \(ids[k / h])[\(k % h)]")
            }
            compared += ids.count
          }
        XCTAssertEqual(seen, seeds, "layers \(layers): rows in seed order, each once")
        XCTAssertEqual(compared, seeds.reduce(0) { $0 + $1.count })
        XCTAssertGreaterThan(compared, 0)
      }
    }
  }

  /// Link prediction and reconstruction test metrics from the layer-wise pass equal the
  /// mini-batch `Evaluator`'s when every neighbour is taken (the default `eval_fanout`), so
  /// batches, negatives, leakage rules and the skipped self-loop are the same.
  func testLayerwiseEvaluationEqualsMiniBatchWithFullNeighbourhoods() throws {
    let s = Self.graph!
    let (t, _) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, batch: 16, extra: "eval_batch_size: 7"), inference: true)
    let ev = Evaluator(model: t.model, builder: t.builder)
    var checked = 0
    for (k, task) in t.plan.tasks.enumerated() where !Trainer.hasPredictions(task.spec.kind) {
      guard let items = t.testItems[k], items.count > 0 else { continue }
      XCTAssertEqual(task.config.evalBatchSize, 7)
      let ref = try ev.evaluate(task, items: items, seed: 5, tape: Tape())
      let mine = try XCTUnwrap(t.evaluateLayerwise(task, items: items, seed: 5, reuse: nil, evaluator: ev))
      for metric in task.config.evalMetrics {
        let a = try XCTUnwrap(ref.value(metric)), b = try XCTUnwrap(mine.value(metric))
        XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(a)), "\(task.id) \(metric)")
      }
      XCTAssertEqual(ref.count, mine.count, task.id)
      checked += 1
    }
    XCTAssertGreaterThanOrEqual(checked, 3, "LP and the two reconstruction tasks")
  }
}
