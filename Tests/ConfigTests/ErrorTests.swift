import XCTest

@testable import Config

/// Each error names its YAML path (or flag) and says what to do.
final class ErrorTests: XCTestCase {
  func testUnknownGlobalKeyGivesClosestName() {
    let e = assertConfigError(
      .unknownKey, path: "gsf.extra.num_epoch", contains: ["did you mean 'num_epochs'?"]
    ) { try parse(yaml(globals: "extra:\n  num_epoch: 3", tasks: ncTask)) }
    XCTAssertEqual(e?.suggestion, "num_epochs")
  }

  func testUnknownTaskKeyGivesClosestName() {
    let task = lpTask + "\n    num_negative_edge: 8"
    assertConfigError(
      .unknownKey, path: "gsf.multi_task_learning[0].link_prediction.num_negative_edge",
      contains: ["did you mean 'num_negative_edges'?"]
    ) { try parse(yaml(tasks: task)) }
  }

  func testKeyOfAnotherKindNamesTheKind() {
    let task = ncTask + "\n    num_negative_edges: 8"
    assertConfigError(
      .unknownKey, path: "gsf.multi_task_learning[0].node_classification.num_negative_edges",
      contains: ["link_prediction"]
    ) { try parse(yaml(tasks: task)) }
  }

  func testGlobalKeyInTaskBlock() {
    assertConfigError(
      .unknownKey, path: "gsf.multi_task_learning[0].node_classification.lr",
      contains: ["global key"]
    ) { try parse(yaml(tasks: ncTask + "\n    lr: 0.1")) }
  }

  func testUnknownTaskKind() {
    let e = assertConfigError(
      .unknownKey, path: "gsf.multi_task_learning[0].node_clasification"
    ) { try parse(yaml(tasks: "- node_clasification:\n    label_field: x")) }
    XCTAssertEqual(e?.suggestion, "node_classification")
  }

  func testUnknownTopLevelKey() {
    let e = assertConfigError(.unknownKey, path: "gsff") { try parse("gsff: {}\n") }
    XCTAssertEqual(e?.suggestion, "gsf")
  }

  func testKeyInTwoSectionsNamesBoth() {
    assertConfigError(
      .duplicateKey, path: "gsf.hyperparam2.lr",
      contains: ["in gsf.hyperparam.lr and in gsf.hyperparam2.lr"]
    ) { try parse(yaml(globals: "hyperparam2:\n  lr: 0.1", tasks: ncTask)) }
  }

  func testDuplicateKeyInOneMapping() {
    let e = assertConfigError(.duplicateKey, path: "<config>", contains: ["'dropout'"]) {
      try parse(yaml(globals: "extra:\n  dropout: 0.1\n  dropout: 0.2", tasks: ncTask))
    }
    XCTAssertEqual(e?.line, 13)
  }

  func testIgnoredKeysAreWarnings() throws {
    let c = try parse(
      yaml(globals: "misc:\n  lm_tune_lr: 0.1\n  backend: nccl", tasks: ncTask + "\n    decoder_bias: false"))
    XCTAssertEqual(
      Set(c.warnings.filter { $0.code == .ignoredKey }.map(\.path)),
      [
        "gsf.misc.lm_tune_lr", "gsf.misc.backend",
        "gsf.multi_task_learning[0].node_classification.decoder_bias",
      ])
    XCTAssertTrue(c.warnings.allSatisfy { $0.description.contains("ignored by Gust") })
  }

  func testMissingRequiredKeys() {
    assertConfigError(
      .missingKey, path: "gsf.multi_task_learning[0].node_classification.label_field"
    ) { try parse(yaml(tasks: "- node_classification:\n    target_ntype: paper\n    num_classes: 3")) }
    assertConfigError(
      .missingKey, path: "gsf.multi_task_learning[0].node_classification.num_classes"
    ) { try parse(yaml(tasks: "- node_classification:\n    target_ntype: paper\n    label_field: y")) }
    assertConfigError(
      .missingKey, path: "gsf.multi_task_learning[0].reconstruct_node_feat.reconstruct_nfeat_name"
    ) { try parse(yaml(tasks: "- reconstruct_node_feat:\n    target_ntype: paper")) }
    assertConfigError(.missingKey, path: "gsf.multi_task_learning") {
      try parse("gsf:\n  basic:\n    batch_size: 3\n")
    }
    let noLR = yaml(tasks: ncTask).replacingOccurrences(of: "lr: 0.01", with: "dropout: 0.0")
    assertConfigError(.missingKey, path: "gsf.lr", contains: ["learning rate"]) { try parse(noLR) }
    XCTAssertNoThrow(try parse(noLR, mode: .infer))
    let noBatch = yaml(tasks: ncTask).replacingOccurrences(of: "batch_size: 256", with: "dropout: 0.0")
    assertConfigError(
      .missingKey, path: "gsf.multi_task_learning[0].node_classification.batch_size",
      contains: ["globally"]
    ) { try parse(noBatch) }
  }

  func testWrongTypes() {
    assertConfigError(.wrongType, path: "gsf.gnn.hidden_size", contains: ["integer", "'big'"]) {
      try parse(yaml(tasks: ncTask).replacingOccurrences(of: "hidden_size: 16", with: "hidden_size: big"))
    }
    assertConfigError(
      .wrongType, path: "gsf.multi_task_learning[0].link_prediction.num_negative_edges",
      contains: ["integer", "a list"]
    ) { try parse(yaml(tasks: lpTask + "\n    num_negative_edges: [1, 2]")) }
    assertConfigError(
      .wrongType, path: "gsf.multi_task_learning[0].node_classification.multilabel"
    ) { try parse(yaml(tasks: ncTask + "\n    multilabel: maybe")) }
    assertConfigError(
      .wrongType, path: "gsf.multi_task_learning[0].node_classification.target_ntype",
      contains: ["single node type"]
    ) {
      try parse(yaml(tasks: ncTask.replacingOccurrences(of: "target_ntype: paper", with: "target_ntype: [a, b]")))
    }
  }

  func testImpossibleValues() {
    let lp = "gsf.multi_task_learning[0].link_prediction"
    assertConfigError(.invalidValue, path: "\(lp).num_negative_edges", contains: ["> 0"]) {
      try parse(yaml(tasks: lpTask + "\n    num_negative_edges: 0"))
    }
    assertConfigError(.invalidValue, path: "gsf.gnn.fanout", contains: ["negative"]) {
      try parse(yaml(tasks: ncTask).replacingOccurrences(of: "\"5,5\"", with: "\"5,-3\""))
    }
    assertConfigError(.invalidValue, path: "gsf.gnn.fanout", contains: ["num_layers is 2"]) {
      try parse(yaml(tasks: ncTask).replacingOccurrences(of: "\"5,5\"", with: "\"5\""))
    }
    let nc = "gsf.multi_task_learning[0].node_classification"
    assertConfigError(.invalidValue, path: "\(nc).task_weight", contains: ["> 0"]) {
      try parse(yaml(tasks: ncTask + "\n    task_weight: 0"))
    }
    assertConfigError(.invalidValue, path: "\(nc).task_weight") {
      try parse(yaml(tasks: ncTask + "\n    task_weight: -1.5"))
    }
    assertConfigError(.invalidValue, path: "\(nc).num_classes", contains: ["≥ 2"]) {
      try parse(yaml(tasks: ncTask.replacingOccurrences(of: "num_classes: 4", with: "num_classes: 1")))
    }
    assertConfigError(.invalidValue, path: "\(nc).mask_fields", contains: ["exactly 3", "found 2"]) {
      try parse(yaml(tasks: ncTask.replacingOccurrences(of: "val_mask, test_mask", with: "val_mask")))
    }
    assertConfigError(.invalidValue, path: "\(nc).imbalance_class_weights", contains: ["4"]) {
      try parse(yaml(tasks: ncTask + "\n    imbalance_class_weights: \"1,2\""))
    }
    assertConfigError(.invalidValue, path: "\(nc).multilabel_weights", contains: ["multilabel: true"]) {
      try parse(yaml(tasks: ncTask + "\n    multilabel_weights: \"1,2,3,4\""))
    }
    assertConfigError(.invalidValue, path: "\(nc).multilabel_weights", contains: ["(4)", "found 3"]) {
      try parse(yaml(tasks: ncTask + "\n    multilabel: true\n    multilabel_weights: \"1,2,3\""))
    }
    assertConfigError(.invalidValue, path: "\(nc).multilabel_weights", contains: ["≥ 0"]) {
      try parse(yaml(tasks: ncTask + "\n    multilabel: true\n    multilabel_weights: \"1,-2,3,4\""))
    }
    assertConfigError(.wrongType, path: "\(nc).multilabel_weights", contains: ["'x'"]) {
      try parse(yaml(tasks: ncTask + "\n    multilabel: true\n    multilabel_weights: \"1,x,3,4\""))
    }
    assertConfigError(.invalidValue, path: "gsf.hyperparam2.dropout") {
      try parse(yaml(globals: "hyperparam2:\n  dropout: 1.0", tasks: ncTask))
    }
    assertConfigError(.invalidValue, path: "\(lp).exclude_training_targets", contains: ["reverse_edge_types_map"]) {
      try parse(yaml(tasks: "- link_prediction:\n    mask_fields: [a, b, c]"))
    }
    assertConfigError(
      .invalidValue, path: "\(nc).eval_metric[0]", contains: ["regression metric"]
    ) { try parse(yaml(tasks: ncTask + "\n    eval_metric: [rmse]")) }
    assertConfigError(.invalidValue, path: "\(lp).eval_metric") {
      try parse(yaml(tasks: lpTask + "\n    eval_metric: hit_at_0"))
    }
    assertConfigError(.invalidValue, path: "gsf.save_model_frequency", contains: ["save_model_path"]) {
      try parse(yaml(tasks: ncTask).replacingOccurrences(of: "gsf:\n", with: "gsf:\n  save_model_frequency: 100\n"))
    }
  }

  func testUnsupportedGraphStormValues() {
    let lp = "gsf.multi_task_learning[0].link_prediction"
    assertConfigError(.unsupported, path: "\(lp).lp_decoder_type", contains: ["rotate"]) {
      try parse(yaml(tasks: lpTask + "\n    lp_decoder_type: rotate"))
    }
    assertConfigError(.unsupported, path: "\(lp).train_negative_sampler") {
      try parse(yaml(tasks: lpTask + "\n    train_negative_sampler: localuniform"))
    }
    assertConfigError(.unsupported, path: "gsf.gnn.model_encoder_type", contains: ["rgcn"]) {
      try parse(yaml(tasks: ncTask).replacingOccurrences(of: "encoder_type: rgcn", with: "encoder_type: hgt"))
    }
    assertConfigError(
      .unsupported, path: "gsf.multi_task_learning[0].node_classification.class_loss_func"
    ) { try parse(yaml(tasks: ncTask + "\n    class_loss_func: focal")) }
    XCTAssertNoThrow(try parse(yaml(tasks: ncTask + "\n    class_loss_func: cross_entropy")))
    assertConfigError(
      .unsupported, path: "gsf.multi_task_learning[0].node_classification.eval_metric[0]"
    ) { try parse(yaml(tasks: ncTask + "\n    eval_metric: [per_class_f1_score]")) }
  }

  func testDuplicateTaskIDs() {
    let e = assertConfigError(
      .duplicateTaskID, path: "gsf.multi_task_learning[1].node_classification",
      contains: ["node_classification-paper-label", "gsf.multi_task_learning[0].node_classification"]
    ) { try parse(yaml(tasks: ncTask + "\n" + ncTask)) }
    XCTAssertEqual(e?.taskID, "node_classification-paper-label")
  }

  func testTaskErrorsCarryTheTaskID() {
    let e = assertConfigError(
      .invalidValue, path: "gsf.multi_task_learning[0].node_classification.dropout"
    ) { try parse(yaml(tasks: ncTask + "\n    dropout: 2")) }
    XCTAssertEqual(e?.taskID, "node_classification-paper-label")
  }

  func testInheritedBadValueNamesGlobalPathAndTask() {
    assertConfigError(
      .invalidValue, path: "gsf.lp.num_negative_edges",
      contains: ["inherited by gsf.multi_task_learning[0].link_prediction"]
    ) { try parse(yaml(globals: "lp:\n  num_negative_edges: -2", tasks: lpTask)) }
  }

  func testModelSelectTaskMustNameATask() {
    let e = assertConfigError(.invalidValue, path: "gsf.eval.model_select_task") {
      try parse(yaml(globals: "eval:\n  model_select_task: node_classification-paper-lable", tasks: ncTask))
    }
    XCTAssertEqual(e?.suggestion, "node_classification-paper-label")
  }

  func testYAMLSyntaxError() {
    assertConfigError(.yamlSyntax, path: "<config>") { try parse("gsf: [unclosed\n") }
    assertConfigError(.io, path: "/nonexistent/x.yaml") { try GustConfig.load(path: "/nonexistent/x.yaml") }
  }

  func testSingleTaskSectionIsRejected() {
    assertConfigError(.invalidValue, path: "gsf.node_classification", contains: ["multi_task_learning"]) {
      try parse(yaml(globals: "node_classification:\n  target_ntype: paper", tasks: ncTask))
    }
  }
}
