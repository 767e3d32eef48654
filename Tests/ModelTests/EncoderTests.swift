import XCTest
@testable import Model
import Tensor

final class EncoderTests: XCTestCase {
  let gc = ModelGradCheck()

  /// Encoder outputs of every seed type, flattened in a fixed type order.
  func flatten(_ tape: Tape, _ out: [String: Var]) -> Var {
    let parts = ["author", "paper", "subject"].compactMap { out[$0] }.map { v in
      tape.reshape(v, rows: 1, cols: tape.shape(v).rows * tape.shape(v).cols)
    }
    return tape.concatCols(parts)
  }
  func flattenD(_ out: [String: DM]) -> [Double] { ["author", "paper", "subject"].compactMap { out[$0] }.flatMap(\.a) }

  func checkEncoder(_ cfg: EncoderConfig, skipLast: Bool = false, order: FirstLayerOrder = .automatic,
                    file: StaticString = #filePath, line: UInt = #line) {
    let reg = ParameterRegistry()
    let enc = Encoder(config: cfg, registry: reg)
    reg.sealAndInitialize(seed: 42)
    let flow = Toy.flow(layers: cfg.numLayers)
    XCTAssertNoThrow(try flow.validate())
    let spec = Toy.inputs(cfg, flow)
    gc.check(arena: reg.arena, inputs: spec.map(\.2), file: file, line: line, forward: { tape, vars in
      let out = enc.forward(tape, flow: flow, inputs: Toy.nodeInputs(spec, vars),
                            options: ForwardOptions(skipLastSelfLoop: skipLast, firstLayerOrder: order))
      return self.flatten(tape, out)
    }, reference: { P, xs in
      let (f, e) = Toy.refInputs(spec, xs)
      return self.flattenD(refEncoder(cfg, P, flow: flow, feats: f, embs: e, skipLast: skipLast))
    })
  }

  func testRGCNLayerGradientsPerRelationWeights() {
    checkEncoder(Toy.config(layers: 1))
    checkEncoder(Toy.config(layers: 1, selfLoop: false))
    checkEncoder(Toy.config(layers: 1), skipLast: true)
  }

  func testRGCNLayerGradientsWithBases() {
    checkEncoder(Toy.config(layers: 1, bases: 2))
    checkEncoder(Toy.config(layers: 1, bases: 2, selfLoop: false))
  }

  func testTwoLayerEncoderGradients() {
    checkEncoder(Toy.config(layers: 2))
    checkEncoder(Toy.config(layers: 2, bases: 3), skipLast: true)
    checkEncoder(Toy.config(layers: 2, nodeEmbeddings: true))
  }

  func testBothFirstLayerOrdersMatchTheReference() {
    for order in [FirstLayerOrder.projectThenAggregate, .aggregateThenProject] {
      checkEncoder(Toy.config(layers: 2), order: order)
      checkEncoder(Toy.config(layers: 1, bases: 2, nodeEmbeddings: true), order: order)
    }
  }

  /// linear ∘ mean = mean ∘ linear: both orders give the same outputs and gradients.
  func testAggregateThenProjectEqualsProjectThenAggregate() {
    for cfg in [Toy.config(layers: 2), Toy.config(layers: 1, nodeEmbeddings: true), Toy.config(layers: 2, bases: 2)] {
      let reg = ParameterRegistry()
      let enc = Encoder(config: cfg, registry: reg)
      reg.sealAndInitialize(seed: 7)
      let flow = Toy.flow(layers: cfg.numLayers, seed: 3)
      let spec = Toy.inputs(cfg, flow)
      var results: [(Tensor, [Float], [Tensor])] = []
      for order in [FirstLayerOrder.projectThenAggregate, .aggregateThenProject] {
        reg.arena.zeroGradients()
        let tape = Tape()
        let vars = spec.map { tape.leaf($0.2, requiresGrad: true) }
        let out = flatten(tape, enc.forward(tape, flow: flow, inputs: Toy.nodeInputs(spec, vars),
                                           options: ForwardOptions(firstLayerOrder: order)))
        let y = tape.tensor(out)
        tape.backward(from: out, seed: randomTensor(1, y.cols, seed: 9))
        let grads = Array(UnsafeBufferPointer(start: reg.arena.gradients, count: reg.arena.count))
        results.append((y, grads, vars.map { tape.gradient(of: $0)! }))
      }
      XCTAssertLessThan(results[0].0.maxAbsDifference(results[1].0), 1e-5)
      for (a, b) in zip(results[0].1, results[1].1) { XCTAssertEqual(a, b, accuracy: 1e-4) }
      for (a, b) in zip(results[0].2, results[1].2) { XCTAssertLessThan(a.maxAbsDifference(b), 1e-5) }
    }
  }

  func testAutomaticOrderPrefersAggregatingWideFrontiers() {
    // 1000 source rows of width 64 feeding 10 destinations: aggregating first is far cheaper.
    let et = EdgeType("a", "r", "b")
    let cfg = EncoderConfig(nodeTypes: ["a", "b"], edgeTypes: [et], featureWidths: ["a": 64, "b": 64],
                            hiddenSize: 64, numLayers: 1)
    let reg = ParameterRegistry()
    let enc = Encoder(config: cfg, registry: reg)
    reg.sealAndInitialize(seed: 1)
    let csr = randomCSR(numDst: 10, numSrc: 1000, maxDeg: 10, seed: 2)
    let block = Block(numSrc: ["a": 1000, "b": 10], numDst: ["b": 10], edges: [et: csr])
    XCTAssertTrue(enc.aggregateFirstIsCheaper("a", block))
    // With the input map folded into the relation weight, aggregating first costs no more at
    // equal widths even when few sources feed many destinations.
    let dense = randomCSR(numDst: 1000, numSrc: 20, maxDeg: 40, seed: 3)
    let b2 = Block(numSrc: ["a": 20, "b": 1000], numDst: ["b": 1000], edges: [et: dense])
    XCTAssertTrue(enc.aggregateFirstIsCheaper("a", b2))
    // Raw rows 8× wider than the hidden size, each read by many destinations: projecting once
    // is cheaper.
    let wide = EncoderConfig(nodeTypes: ["a", "b"], edgeTypes: [et], featureWidths: ["a": 512, "b": 64],
                             hiddenSize: 64, numLayers: 1)
    let reg2 = ParameterRegistry()
    let enc2 = Encoder(config: wide, registry: reg2)
    reg2.sealAndInitialize(seed: 1)
    XCTAssertFalse(enc2.aggregateFirstIsCheaper("a", b2))
  }

  func testSkippingTheLastSelfLoopRemovesTheSeedsOwnFeature() {
    // One layer, no edges into paper: with the self-loop off a seed's output cannot depend
    // on its own feature row.
    let cfg = Toy.config(layers: 1)
    let reg = ParameterRegistry()
    let enc = Encoder(config: cfg, registry: reg)
    reg.sealAndInitialize(seed: 3)
    var flow = Toy.flow(layers: 1)
    for et in Toy.edgeTypes where et.dst == "paper" { flow.blocks[0].edges[et] = nil }
    let spec = Toy.inputs(cfg, flow)
    let tape = Tape()
    let vars = spec.map { tape.leaf($0.2, requiresGrad: true) }
    let out = enc.forward(tape, flow: flow, inputs: Toy.nodeInputs(spec, vars), options: ForwardOptions(skipLastSelfLoop: true))
    let paper = out["paper"]!
    tape.backward(from: paper, seed: Tensor(rows: tape.shape(paper).rows, cols: tape.shape(paper).cols, repeating: 1))
    let featIndex = spec.firstIndex { $0.0 == "paper" && $0.1 }!
    let g = tape.gradient(of: vars[featIndex])
    XCTAssertTrue(g == nil || g!.storage.allSatisfy { $0 == 0 })
  }

  func testDropoutIsSeededAndOffInEvaluation() {
    let cfg = Toy.config(layers: 2, dropout: 0.5)
    let reg = ParameterRegistry()
    let enc = Encoder(config: cfg, registry: reg)
    reg.sealAndInitialize(seed: 3)
    let flow = Toy.flow(layers: 2)
    let spec = Toy.inputs(cfg, flow)
    func run(seed: UInt64, training: Bool) -> Tensor {
      let tape = Tape()
      tape.isTraining = training
      let vars = spec.map { tape.constant($0.2) }
      return tape.tensor(flatten(tape, enc.forward(tape, flow: flow, inputs: Toy.nodeInputs(spec, vars),
                                                   options: ForwardOptions(dropoutSeed: seed))))
    }
    XCTAssertEqual(run(seed: 1, training: true), run(seed: 1, training: true))
    XCTAssertNotEqual(run(seed: 1, training: true), run(seed: 2, training: true))
    XCTAssertEqual(run(seed: 1, training: false), run(seed: 2, training: false))
  }

  func testParameterNamesAndSeededInitialisation() {
    let a = MultiTaskModel(encoder: Toy.config(layers: 2), tasks: [
      TaskSpec(id: "node_classification-paper-label", kind: .nodeClassification(ntype: "paper", ClassificationSpec(numClasses: 4)))
    ], seed: 11)
    let names = Set(a.arena.names)
    for n in ["input.paper.w", "input.author.w", "input.subject.proj", "encoder.layer0.rel.paper:cites:paper.w",
              "encoder.layer1.rel.author:writes:paper.w", "encoder.layer0.loop.w", "encoder.layer1.bias",
              "decoder.node_classification-paper-label.w", "decoder.node_classification-paper-label.b"] {
      XCTAssertTrue(names.contains(n), n)
    }
    let b = MultiTaskModel(encoder: Toy.config(layers: 2), tasks: [
      TaskSpec(id: "node_classification-paper-label", kind: .nodeClassification(ntype: "paper", ClassificationSpec(numClasses: 4)))
    ], seed: 11)
    XCTAssertEqual(Array(UnsafeBufferPointer(start: a.arena.values, count: a.arena.count)),
                   Array(UnsafeBufferPointer(start: b.arena.values, count: b.arena.count)))
    // Xavier bound of a 3×3 weight with relu gain: √2·√(6/6) = 1.414…; biases start at zero.
    let w = a.arena.tensor(a.arena.view(named: "input.paper.w")!)
    XCTAssertTrue(w.storage.allSatisfy { abs($0) <= 1.4143 })
    XCTAssertTrue(w.storage.contains { $0 != 0 })
    XCTAssertTrue(a.arena.tensor(a.arena.view(named: "encoder.layer0.bias")!).storage.allSatisfy { $0 == 0 })
  }

  func testMessageFlowValidation() throws {
    var flow = Toy.flow(layers: 2)
    try flow.validate()
    flow.nodes[1]["paper"]![0] = 99
    XCTAssertThrowsError(try flow.validate())
    var f2 = Toy.flow(layers: 2)
    f2.blocks[1].edges[Toy.cites] = randomCSR(numDst: 2, numSrc: 5, maxDeg: 1, seed: 1)
    XCTAssertThrowsError(try f2.validate())
  }
}
