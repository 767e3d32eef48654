import Foundation
import Graph
import Model
import Tensor
import XCTest
@testable import Training

final class LeakageTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic(papers: 120, authors: 40) }
  override class func tearDown() { graph.remove() }

  /// Node feature reconstruction: the reconstructed feature of a node cannot influence its own
  /// prediction (last self-loop off), while it does with the self-loop on.
  func testReconstructedFeatureCannotReachItsOwnPrediction() throws {
    let s = Self.graph!
    let (t, _) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, layers: 1, tasks: Synthetic.nfr))
    let task = t.plan.tasks[0]
    let items = t.testItems[0]!.subset(Array(0..<8)[...])
    let batch = try t.builder.build(task: task, items: items, training: false, seed: 1)
    let tape = Tape()
    tape.isRecording = false
    tape.isTraining = false
    let head = t.model.heads[0]
    func predict(perturb: Bool, skip: Bool) throws -> Tensor {
      tape.reset()
      var (inputs, _) = try t.builder.inputs(tape, flow: batch.flow, gradients: false)
      if perturb {
        var x = tape.tensor(inputs.features["paper"]!)
        for j in 0..<x.cols { x[0, j] += 10 }  // seed 0 is source row 0 (destinations come first)
        inputs.features["paper"] = tape.constant(x)
      }
      let emb = t.model.embed(tape, flow: batch.flow, inputs: inputs, options: ForwardOptions(skipLastSelfLoop: skip))
      return tape.tensor(head.outputs(tape, embeddings: emb, rows: batch.rows))
    }
    let base = try predict(perturb: false, skip: true), moved = try predict(perturb: true, skip: true)
    XCTAssertEqual(Array(base.row(0)), Array(moved.row(0)), "the seed's own feature reached its reconstruction")
    XCTAssertNotEqual(Array(try predict(perturb: false, skip: false).row(0)), Array(try predict(perturb: true, skip: false).row(0)))
    XCTAssertTrue(task.spec.kind.skipsLastSelfLoop)
  }

  /// Link prediction: messages only over train-mask edges of the target type, never over the
  /// batch's targets or their reverse twins; without exclusion the targets do show up.
  func testLinkPredictionSamplesTrainEdgesOnlyAndExcludesTargets() throws {
    let s = Self.graph!
    for exclude in [true, false] {
      let (t, a) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, tasks: Synthetic.lp),
                                     overrides: ["--fanout", "-1,-1", "--task", "link_prediction-paper_cites_paper.exclude_training_targets=\(exclude)"])
      let task = t.plan.tasks[0]
      let c = a.partitionConfig
      let cites = c.etypeId(Synthetic.cites)!, cited = c.etypeId(Synthetic.cited)!
      let items = t.trainItems[0].subset(Array(0..<40)[...])
      let batch = try t.builder.build(task: task, items: items, training: true, seed: 3)
      var citesPairs = Set<[Int64]>(), citedPairs = Set<[Int64]>(), sampledCites = Set<Int64>()
      for (l, blk) in batch.flow.blocks.enumerated() {
        let dst = batch.flow.nodes[l + 1]["paper"]!, src = batch.flow.nodes[l]["paper"]!
        for (et, set) in [(Model.EdgeType("paper", "cites", "paper"), 0), (Model.EdgeType("paper", "cited", "paper"), 1)] {
          guard let csr = blk.edges[et] else { continue }
          for d in 0..<csr.numDst {
            for k in Int(csr.offsets[d])..<Int(csr.offsets[d + 1]) {
              let pair = [src[Int(csr.indices[k])], dst[d]]  // (source, destination)
              if set == 0 { citesPairs.insert(pair) } else { citedPairs.insert(pair) }
            }
          }
        }
        sampledCites.formUnion(batch.sampled.edgeIds[l][cites] ?? [])
      }
      XCTAssertFalse(sampledCites.isEmpty)
      let mask = try a.edgeColumn(etype: cites, field: "lp_train", ids: Array(sampledCites))
      XCTAssertEqual(mask, .u8([UInt8](repeating: 1, count: sampledCites.count)), "only train-mask edges pass messages")
      var targetsSeen = 0, twinsSeen = 0
      for i in 0..<items.count {
        if citesPairs.contains([items.src[i], items.dst[i]]) { targetsSeen += 1 }
        if citedPairs.contains([items.dst[i], items.src[i]]) { twinsSeen += 1 }
      }
      if exclude {
        XCTAssertEqual(targetsSeen, 0, "a target edge passed messages")
        XCTAssertEqual(twinsSeen, 0, "a reverse twin passed messages")
        XCTAssertTrue(Set(items.ids).isSubset(of: batch.excluded))
        XCTAssertGreaterThan(batch.excluded.count, items.count, "reverse twins are excluded too")
      } else {
        XCTAssertGreaterThan(targetsSeen, 0)
        XCTAssertGreaterThan(twinsSeen, 0)
      }
      _ = cited
    }
  }

  /// Edge tasks with remove_target_edge_type: the target type and its reverse pass no messages,
  /// in training and in evaluation.
  func testRemoveTargetEdgeType() throws {
    let s = Self.graph!
    let ec = Synthetic.ec + "\n        reverse_edge_types_map: [\"paper,cites,cited,paper\"]"
    let (t, _) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, tasks: ec), overrides: ["--fanout", "-1,-1"])
    let task = t.plan.tasks[0]
    XCTAssertEqual(task.trainSampling.fanouts[0].filter { $0 == 0 }.count, 1, "only the target type has no reverse here")
    for training in [true, false] {
      let items = (training ? t.trainItems[0] : t.testItems[0]!).subset(Array(0..<20)[...])
      let batch = try t.builder.build(task: task, items: items, training: training, seed: 2)
      for blk in batch.flow.blocks {
        XCTAssertNil(blk.edges[Model.EdgeType("paper", "related", "paper")])
        XCTAssertNotNil(blk.edges[Model.EdgeType("paper", "cites", "paper")])
      }
    }
    // The reverse of the target type is removed too.
    let onCites = ec.replacingOccurrences(of: "paper,related,paper", with: "paper,cites,paper")
      .replacingOccurrences(of: "label_ec", with: "lp_train").replacingOccurrences(of: "e_train, e_val, e_test", with: "lp_train, lp_val, lp_test")
    let (t2, a2) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, tasks: onCites), overrides: ["--fanout", "-1,-1"])
    let c = a2.partitionConfig
    for l in 0..<2 {
      XCTAssertEqual(t2.plan.tasks[0].trainSampling.fanouts[l][c.etypeId(Synthetic.cites)!], 0)
      XCTAssertEqual(t2.plan.tasks[0].trainSampling.fanouts[l][c.etypeId(Synthetic.cited)!], 0)
      XCTAssertEqual(t2.plan.tasks[0].evalSampling.fanouts[l][c.etypeId(Synthetic.cited)!], 0)
    }
  }
}
