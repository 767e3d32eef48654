import Foundation
import XCTest

@testable import Config

/// The benchmark's multi-task YAML (`../shared/bench/acm_mt.yaml`) parses unchanged.
final class AcmConfigTests: XCTestCase {
  static var acmPath: String {
    // <root>/Tests/ConfigTests/AcmConfigTests.swift → <root>/../shared/bench/acm_mt.yaml
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/bench/acm_mt.yaml").path
  }

  /// Skipped, as the parquet-testing files are, in a clone without `../shared` beside it.
  override func setUpWithError() throws {
    try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.acmPath),
                      "the benchmark YAML \(Self.acmPath) is missing (../shared is not beside this clone)")
  }

  func testAcmParsesWithExpectedValues() throws {
    let c = try GustConfig.load(path: Self.acmPath)
    XCTAssertEqual(c.version, "1.0")
    let t = c.training
    XCTAssertEqual(t.modelEncoderType, .rgcn)
    XCTAssertEqual(t.numLayers, 2)
    XCTAssertEqual(t.hiddenSize, 64)
    XCTAssertEqual(t.fanout, .uniform([10, 10]))
    XCTAssertEqual(t.evalFanout, .uniform([-1, -1]))
    XCTAssertEqual(
      t.nodeFeatureNames,
      .perType([
        .init(nodeType: "paper", fields: ["feat"]), .init(nodeType: "author", fields: ["feat"]),
        .init(nodeType: "subject", fields: ["feat"]),
      ]))
    XCTAssertEqual(t.nodeFeatureNames?.groups(for: "author"), [["feat"]])
    XCTAssertEqual(t.batchSize, 1024)
    XCTAssertEqual(t.lr, 0.001)
    XCTAssertEqual(t.sparseOptimizerLR, 0.01)  // `1e-2`: a string to PyYAML, a number to GraphStorm
    XCTAssertEqual(t.dropout, 0)
    XCTAssertEqual(t.numEpochs, 3)
    XCTAssertEqual(t.wdL2Norm, 0)
    XCTAssertFalse(t.noValidation)
    XCTAssertTrue(t.useMiniBatchInfer)
    XCTAssertEqual(t.numBases, -1)
    XCTAssertTrue(t.useSelfLoop)
    XCTAssertFalse(t.useNodeEmbeddings)
    XCTAssertNil(t.saveModelPath)
    XCTAssertNil(t.saveEmbedPath)
    XCTAssertNil(t.restoreModelPath)

    XCTAssertEqual(
      c.tasks.map(\.id),
      [
        "node_classification-paper-label_class", "node_regression-paper-label_reg",
        "link_prediction-paper_citing_paper", "reconstruct_node_feat-paper-feat",
      ])
    XCTAssertEqual(c.tasks.map(\.index), [0, 1, 2, 3])
    XCTAssertEqual(c.tasks.map(\.batchSize), [1024, 1024, 1024, 1024])
    XCTAssertEqual(c.tasks.map(\.taskWeight), [1, 1, 0.5, 1])
    XCTAssertEqual(c.tasks.map(\.evalMetrics), [[.accuracy], [.rmse], [.mrr], [.mse]])
    XCTAssertEqual(c.tasks.map(\.evalBatchSize), [10000, 10000, 10000, 10000])

    guard case .nodeClassification(let nc) = c.tasks[0].kind else { return XCTFail() }
    XCTAssertEqual(nc.targetNodeType, "paper")
    XCTAssertEqual(nc.labelField, "label_class")
    XCTAssertEqual(nc.numClasses, 8)
    XCTAssertFalse(nc.multilabel)
    XCTAssertEqual(
      c.tasks[0].masks,
      MaskFields(train: "train_mask_class", val: "val_mask_class", test: "test_mask_class"))

    guard case .linkPrediction(let lp) = c.tasks[2].kind else { return XCTFail() }
    XCTAssertEqual(lp.numNegativeEdges, 4)
    XCTAssertEqual(lp.numNegativeEdgesEval, 100)
    XCTAssertEqual(lp.trainNegativeSampler, .joint)
    XCTAssertEqual(lp.trainEdgeTypes, [EdgeType("paper", "citing", "paper")])
    XCTAssertEqual(lp.evalEdgeTypes, [EdgeType("paper", "citing", "paper")])
    XCTAssertTrue(lp.excludeTrainingTargets)
    XCTAssertEqual(
      lp.reverseEdgeTypes, [EdgeType("paper", "citing", "paper"): EdgeType("paper", "cited", "paper")])
    XCTAssertEqual(lp.decoder, .distMult(gamma: 12))
    XCTAssertEqual(lp.loss, .crossEntropy)
    XCTAssertNil(lp.embedNormalizer)

    guard case .reconstructNodeFeature(let rn) = c.tasks[3].kind else { return XCTFail() }
    XCTAssertEqual(rn.featureName, "feat")
    XCTAssertEqual(rn.targetNodeType, "paper")

    // backend, verbose, save_perf_results_path: GraphStorm keys Gust ignores.
    XCTAssertEqual(
      c.warnings.filter { $0.code == .ignoredKey }.map(\.path).sorted(),
      ["gsf.basic.backend", "gsf.basic.save_perf_results_path", "gsf.basic.verbose"])
    XCTAssertEqual(c.warnings.count, 3, "\(c.warnings)")
    XCTAssertEqual(c.modelSelectionTask.id, "node_classification-paper-label_class")
  }

  func testAcmValidatesAgainstItsGraph() throws {
    let c = try GustConfig.load(path: Self.acmPath)
    let paperFields: Set = [
      "feat", "label_class", "label_reg", "train_mask_class", "val_mask_class", "test_mask_class",
      "train_mask_reg", "val_mask_reg", "test_mask_reg",
    ]
    let lpMasks: Set = ["train_mask_lp", "val_mask_lp", "test_mask_lp"]
    let graph = GraphSchema(
      nodeTypes: [
        .init(name: "paper", fields: paperFields, maxLabel: ["label_class": 7]),
        .init(name: "author", fields: ["feat"]), .init(name: "subject", fields: ["feat"]),
      ],
      edgeTypes: [
        .init(edgeType: EdgeType("paper", "citing", "paper"), fields: lpMasks),
        .init(edgeType: EdgeType("paper", "cited", "paper"), fields: []),
        .init(edgeType: EdgeType("paper", "written_by", "author"), fields: []),
      ])
    XCTAssertEqual(c.validate(against: graph), [])
  }
}
