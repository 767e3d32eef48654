import XCTest
@testable import Model
import Tensor

/// Every decoder and loss against the Double reference, with embeddings as leaves.
final class DecoderTests: XCTestCase {
  let gc = ModelGradCheck()
  let h = 3
  let edgeTypes = Toy.edgeTypes

  func check(_ spec: TaskSpec, rows: TaskRows, targets: Targets, types: [String: Int] = ["paper": 5, "author": 4],
             file: StaticString = #filePath, line: UInt = #line) {
    let reg = ParameterRegistry()
    let head = TaskHead(spec: spec, embeddingSize: h, edgeTypes: edgeTypes, registry: reg)
    reg.sealAndInitialize(seed: 21)
    let order = types.keys.sorted()
    let embs = order.enumerated().map { randomTensor(types[$0.element]!, h, seed: 40 + UInt64($0.offset)) }
    gc.check(arena: reg.arena, inputs: embs, file: file, line: line, forward: { tape, vars in
      head.loss(tape, embeddings: Dictionary(uniqueKeysWithValues: zip(order, vars)), rows: rows, targets: targets)
    }, reference: { P, xs in
      [refTaskLoss(spec, P, edgeTypes: self.edgeTypes, E: Dictionary(uniqueKeysWithValues: zip(order, xs)),
                   rows: rows, targets: targets)]
    })
  }

  func testNodeClassification() {
    let rows = TaskRows.nodes([0, 2, 4, 2])
    check(TaskSpec(id: "nc", kind: .nodeClassification(ntype: "paper", ClassificationSpec(numClasses: 3))),
          rows: rows, targets: .classes([0, 2, 1, 2]))
    check(TaskSpec(id: "nc", kind: .nodeClassification(ntype: "paper", ClassificationSpec(numClasses: 3, classWeights: [0.5, 2, 1]))),
          rows: rows, targets: .classes([0, 2, 1, 2]))
    check(TaskSpec(id: "nc", kind: .nodeClassification(ntype: "paper", ClassificationSpec(numClasses: 3)), decoderBias: false),
          rows: rows, targets: .classes([1, 1, 0, 2]))
  }

  func testMultilabelNodeClassification() {
    let y = Tensor(rows: 3, cols: 3, storage: [1, 0, 1, 0, 0, 1, 1, 1, 0])
    check(TaskSpec(id: "ml", kind: .nodeClassification(ntype: "paper", ClassificationSpec(
      numClasses: 3, multilabel: true, classWeights: [1, 0.5, 2], multilabelWeights: [3, 1, 0.5]))),
          rows: .nodes([1, 3, 4]), targets: .multiHot(y))
  }

  func testNodeRegressionAndReconstruction() {
    check(TaskSpec(id: "nr", kind: .nodeRegression(ntype: "paper")), rows: .nodes([0, 1, 3]),
          targets: .values(randomTensor(3, 1, seed: 5, scale: 2)))
    check(TaskSpec(id: "rn", kind: .nodeFeatureReconstruction(ntype: "author", featureWidth: 2)), rows: .nodes([0, 3]),
          targets: .values(randomTensor(2, 2, seed: 6)))
  }

  func testEdgeClassificationAndRegression() {
    let rows = TaskRows.edges(src: [0, 3, 1, 3], dst: [4, 0, 2, 2])
    for kind in [EdgeDecoderKind.denseBi(numBasis: 2), .denseBi(numBasis: 3), .mlp] {
      check(TaskSpec(id: "ec", kind: .edgeClassification(etype: Toy.writes, decoder: kind, ClassificationSpec(numClasses: 3))),
            rows: rows, targets: .classes([2, 0, 1, 1]))
      check(TaskSpec(id: "er", kind: .edgeRegression(etype: Toy.writes, decoder: kind)), rows: rows,
            targets: .values(randomTensor(4, 1, seed: 7)))
    }
  }

  func testDenseBiAppliesDecoderDropoutOnlyWhenTraining() {
    let spec = TaskSpec(id: "ec", kind: .edgeClassification(etype: Toy.writes, decoder: .denseBi(numBasis: 2), ClassificationSpec(numClasses: 2)), dropout: 0.5)
    let reg = ParameterRegistry()
    let head = TaskHead(spec: spec, embeddingSize: h, edgeTypes: edgeTypes, registry: reg)
    reg.sealAndInitialize(seed: 2)
    func run(_ training: Bool, _ seed: UInt64) -> Tensor {
      let t = Tape()
      t.isTraining = training
      let e = ["author": t.constant(randomTensor(4, h, seed: 1)), "paper": t.constant(randomTensor(5, h, seed: 2))]
      return t.tensor(head.outputs(t, embeddings: e, rows: .edges(src: [0, 1, 2], dst: [3, 4, 0]), dropoutSeed: seed))
    }
    XCTAssertEqual(run(false, 1), run(false, 2))
    XCTAssertNotEqual(run(true, 1), run(true, 2))
  }

  func testEdgeFeatureReconstruction() {
    check(TaskSpec(id: "re", kind: .edgeFeatureReconstruction(etype: Toy.writes, featureWidth: 2)),
          rows: .edges(src: [0, 1, 3], dst: [4, 4, 1]), targets: .values(randomTensor(3, 2, seed: 8)))
  }

  func lp(_ score: LinkScore, _ loss: LinkLoss, _ neg: NegativeSampling, normalize: Bool? = nil) -> TaskSpec {
    TaskSpec(id: "link_prediction-paper_cites_paper", kind: .linkPrediction(LinkPredictionSpec(
      edgeTypes: [Toy.cites, Toy.writes], score: score, loss: loss, negatives: neg, numNegatives: 2, l2Normalize: normalize)))
  }

  func testLinkPredictionEveryScoreLossAndSampler() {
    let cites = [LinkRows(etype: Toy.cites, src: [0, 1, 4], dst: [2, 3, 0], negDst: [1, 4, 3, 3, 0, 2], shared: false),
                 LinkRows(etype: Toy.writes, src: [1, 2], dst: [0, 4], negDst: [3, 1, 2, 2], shared: false)]
    let joint = [LinkRows(etype: Toy.cites, src: [0, 1, 4], dst: [2, 3, 0], negDst: [1, 4], shared: true),
                 LinkRows(etype: Toy.writes, src: [3, 2], dst: [0, 4], negDst: [2, 1], shared: true)]
    for score in [LinkScore.dotProduct, .distMult(gamma: 12)] {
      for loss in [LinkLoss.crossEntropy, .contrastive(temperature: 0.5)] {
        check(lp(score, loss, .uniform), rows: .links(cites), targets: .none)
        check(lp(score, loss, .joint), rows: .links(joint), targets: .none)
        check(lp(score, loss, .inbatchJoint), rows: .links(joint), targets: .none)
      }
      check(lp(score, .crossEntropy, .joint, normalize: true), rows: .links(joint), targets: .none)
    }
  }

  func testContrastiveDefaultsToL2Normalisation() {
    XCTAssertTrue(LinkPredictionSpec(edgeTypes: [Toy.cites], loss: .contrastive(temperature: 1)).l2Normalize)
    XCTAssertFalse(LinkPredictionSpec(edgeTypes: [Toy.cites]).l2Normalize)
  }

  func testLinkScoresForEvaluationCorruptBothEnds() {
    let reg = ParameterRegistry()
    let head = TaskHead(spec: lp(.dotProduct, .crossEntropy, .joint), embeddingSize: h, edgeTypes: edgeTypes, registry: reg)
    reg.sealAndInitialize(seed: 1)
    let t = Tape()
    t.isRecording = false
    let e = randomTensor(5, h, seed: 3)
    let emb = ["paper": t.constant(e)]
    let b = LinkRows(etype: Toy.cites, src: [0, 1], dst: [2, 3], negDst: [4, 0, 1], negSrc: [2, 3, 4], shared: true)
    let (pos, neg) = head.linkScores(t, embeddings: emb, batch: b)
    let p = t.tensor(pos), n = t.tensor(neg)
    XCTAssertEqual(n.cols, 6)
    func dot(_ a: Int, _ c: Int) -> Float { (0..<h).reduce(0) { $0 + e[a, $1] * e[c, $1] } }
    XCTAssertEqual(p[1, 0], dot(1, 3), accuracy: 1e-6)
    XCTAssertEqual(n[1, 0], dot(1, 4), accuracy: 1e-6)   // (src, negDst)
    XCTAssertEqual(n[1, 4], dot(3, 3), accuracy: 1e-6)   // (negSrc, dst)
  }
}
