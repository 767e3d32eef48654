import XCTest

@testable import Config

/// `--num-epochs 3`, `--lr=0.01`, `--task <id>.<key>=<value>`: typed and checked like YAML.
final class OverrideTests: XCTestCase {
  func testGlobalOverrides() throws {
    let c = try parse(
      yaml(tasks: ncTask),
      overrides: [
        "--num-epochs", "3", "--lr", "1e-3", "--fanout", "10,10", "--no-validation",
        "--node-feat-name", "paper:feat", "author:feat", "--save-model-path=/tmp/m",
        "--num-bases", "-1",
      ])
    XCTAssertEqual(c.training.numEpochs, 3)
    XCTAssertEqual(c.training.lr, 0.001)
    XCTAssertEqual(c.training.sparseOptimizerLR, 0.001)
    XCTAssertEqual(c.training.fanout, .uniform([10, 10]))
    XCTAssertTrue(c.training.noValidation)
    XCTAssertEqual(c.training.nodeFeatureNames?.groups(for: "author"), [["feat"]])
    XCTAssertEqual(c.training.saveModelPath, "/tmp/m")
    XCTAssertEqual(c.training.numBases, -1)
  }

  func testGlobalOverrideReachesTasksThatOmitTheKey() throws {
    let c = try parse(yaml(tasks: ncTask), overrides: ["--batch-size", "32"])
    XCTAssertEqual(c.tasks[0].batchSize, 32)
  }

  func testNoneUnsetsAPath() throws {
    let c = try parse(
      yaml(globals: "out:\n  save_embed_path: /e", tasks: ncTask),
      overrides: ["--save-embed-path", "none"])
    XCTAssertNil(c.training.saveEmbedPath)
  }

  func testGlobalOverrideErrorsNameTheFlag() {
    assertConfigError(.wrongType, path: "--num-epochs", contains: ["integer", "'three'"]) {
      try parse(yaml(tasks: ncTask), overrides: ["--num-epochs", "three"])
    }
    assertConfigError(.invalidValue, path: "--fanout", contains: ["negative"]) {
      try parse(yaml(tasks: ncTask), overrides: ["--fanout", "10,-5"])
    }
    let e = assertConfigError(.badOverride, path: "--num-epoch") {
      try parse(yaml(tasks: ncTask), overrides: ["--num-epoch", "3"])
    }
    XCTAssertEqual(e?.suggestion, "--num-epochs")
    assertConfigError(.badOverride, path: "--lr", contains: ["needs a value"]) {
      try ConfigOverrides.parse(["--lr"])
    }
    assertConfigError(.badOverride, path: "stray") { try ConfigOverrides.parse(["stray"]) }
  }

  func testIgnoredKeyOverrideWarns() throws {
    let c = try parse(yaml(tasks: ncTask), overrides: ["--backend", "nccl"])
    XCTAssertTrue(c.warnings.contains { $0.code == .ignoredKey && $0.path == "--backend" })
  }

  func testTaskOverrides() throws {
    let id = "link_prediction-paper_citing_paper"
    let c = try parse(
      yaml(tasks: ncTask + "\n" + lpTask),
      overrides: [
        "--task", "\(id).num_negative_edges=8", "--task=\(id).eval_metric=[mrr, hit_at_5]",
        "--task", "node_classification-paper-label.mask_fields=[tm, null, null]",
        "--task", "node_classification-paper-label.task_weight=0.5",
      ])
    guard case .linkPrediction(let lp) = c.task(id: id)?.kind else { return XCTFail() }
    XCTAssertEqual(lp.numNegativeEdges, 8)
    XCTAssertEqual(c.task(id: id)?.evalMetrics, [.mrr, .hitAt(5)])
    XCTAssertEqual(c.tasks[0].masks, MaskFields(train: "tm", val: nil, test: nil))
    XCTAssertEqual(c.tasks[0].taskWeight, 0.5)
  }

  func testTaskOverrideCanChangeTheID() throws {
    let c = try parse(
      yaml(tasks: ncTask), overrides: ["--task", "node_classification-paper-label.label_field=y2"])
    XCTAssertEqual(c.tasks[0].id, "node_classification-paper-y2")
  }

  func testTaskOverrideFixesAValueTheYAMLGetsWrong() throws {
    let id = "link_prediction-paper_citing_paper"
    let bad = lpTask + "\n    num_negative_edges: 0"
    assertConfigError(.invalidValue, path: "gsf.multi_task_learning[0].link_prediction.num_negative_edges") {
      try parse(yaml(tasks: bad))
    }
    let c = try parse(yaml(tasks: bad), overrides: ["--task", "\(id).num_negative_edges=4"])
    guard case .linkPrediction(let lp) = c.tasks[0].kind else { return XCTFail() }
    XCTAssertEqual(lp.numNegativeEdges, 4)
  }

  func testTaskOverrideErrors() {
    let id = "link_prediction-paper_citing_paper"
    assertConfigError(
      .invalidValue, path: "--task \(id).num_negative_edges", contains: ["> 0"]
    ) { try parse(yaml(tasks: lpTask), overrides: ["--task", "\(id).num_negative_edges=-1"]) }
    assertConfigError(.wrongType, path: "--task \(id).num_negative_edges") {
      try parse(yaml(tasks: lpTask), overrides: ["--task", "\(id).num_negative_edges=many"])
    }
    let unknownTask = assertConfigError(.badOverride, path: "--task link_prediction-paper_citng_paper.num_negative_edges") {
      try parse(yaml(tasks: lpTask), overrides: ["--task", "link_prediction-paper_citng_paper.num_negative_edges=4"])
    }
    XCTAssertEqual(unknownTask?.suggestion, id)
    let unknownKey = assertConfigError(.badOverride, path: "--task \(id).num_negatives") {
      try parse(yaml(tasks: lpTask), overrides: ["--task", "\(id).num_negatives=4"])
    }
    XCTAssertEqual(unknownKey?.suggestion, "num_negative_edges")
    assertConfigError(.badOverride, path: "--task nonsense") {
      try ConfigOverrides.parse(["--task", "nonsense"])
    }
  }
}
