import Foundation
import Model
import Tensor
import XCTest
@testable import Training

/// The trainer's fast path reads feature rows in place from the mapped partition (one
/// partition: `nodeFeatureTable`) instead of gathering a copy: every task's loss and every
/// parameter gradient are bit-identical to the gathered path, with and without dropout (which
/// makes the encoder project all rows first), in training and in evaluation.
final class InPlaceFeatureTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic(papers: 200, authors: 80, parts: 1) }
  override class func tearDown() { graph.remove() }

  func testInPlaceFeaturesEqualGatheredRows() throws {
    let s = Self.graph!
    for dropout in ["0.0", "0.3"] {
      let (t, a) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, extra: "dropout: \(dropout)"))
      XCTAssertNotNil(a.nodeFeatureTable(ntype: a.partitionConfig.ntypeId("paper")!, fields: ["feat"]))
      for (k, task) in t.plan.tasks.enumerated() {
        let items = t.trainItems[k].subset(Array(0..<min(48, t.trainItems[k].count))[...])
        for training in [true, false] {
          let batch = try t.builder.build(task: task, items: items, training: training, seed: 11)
          func run(_ inPlace: Bool) throws -> (Float, [Float]) {
            let arena = t.model.arena
            arena.zeroGradients()
            let tape = Tape()
            tape.isTraining = training
            let (inputs, _) = try t.builder.inputs(tape, flow: batch.flow, gradients: training, inPlace: inPlace)
            XCTAssertEqual(inPlace, !inputs.featureRows.isEmpty)
            if !training {
              let emb = t.model.embed(tape, flow: batch.flow, inputs: inputs,
                                      options: ForwardOptions(skipLastSelfLoop: task.spec.kind.skipsLastSelfLoop))
              let out = emb.keys.sorted().flatMap { tape.tensor(emb[$0]!).storage }
              return (out.reduce(0, +), out)
            }
            let loss = t.model.loss(tape, task: t.model.heads[k], flow: batch.flow, inputs: inputs, rows: batch.rows,
                                    targets: batch.targets, options: ForwardOptions(dropoutSeed: 3))
            if tape.requiresGrad(loss) { tape.backward(from: loss) }
            return (tape.scalar(loss), Array(UnsafeBufferPointer(start: arena.gradients, count: arena.count)))
          }
          let (l0, g0) = try run(false), (l1, g1) = try run(true)
          XCTAssertEqual(l0, l1, "\(task.id) training \(training) dropout \(dropout)")
          XCTAssertEqual(g0, g1, "\(task.id) training \(training) dropout \(dropout)")
        }
      }
    }
  }
}
