import XCTest

@testable import Config

/// Checks against the graph: each error names the task id, the YAML path and the closest name.
final class ValidationTests: XCTestCase {
  let citing = EdgeType("paper", "citing", "paper")
  var graph: GraphSchema {
    GraphSchema(
      nodeTypes: [
        .init(
          name: "paper", fields: ["feat", "label", "train_mask", "val_mask", "test_mask"],
          maxLabel: ["label": 3]),
        .init(name: "author", fields: ["feat"]),
      ],
      edgeTypes: [
        .init(edgeType: citing, fields: ["lp_train", "lp_val", "lp_test", "w"]),
        .init(edgeType: EdgeType("paper", "cited", "paper"), fields: []),
      ])
  }

  func testValidConfigHasNoErrors() throws {
    let c = try parse(yaml(globals: "in:\n  node_feat_name: [\"paper:feat\"]", tasks: ncTask + "\n" + lpTask))
    XCTAssertEqual(c.validate(against: graph), [])
    XCTAssertNoThrow(try c.validateOrThrow(against: graph))
  }

  func testMissingNodeType() throws {
    let c = try parse(yaml(tasks: ncTask.replacingOccurrences(of: "target_ntype: paper", with: "target_ntype: papr")))
    let errors = c.validate(against: graph)
    XCTAssertEqual(errors.count, 1)
    XCTAssertEqual(errors[0].code, .graphMismatch)
    XCTAssertEqual(errors[0].path, "gsf.multi_task_learning[0].node_classification.target_ntype")
    XCTAssertEqual(errors[0].taskID, "node_classification-papr-label")
    XCTAssertEqual(errors[0].suggestion, "paper")
    XCTAssertTrue(errors[0].description.contains("node types: author, paper"))
  }

  func testMissingFieldAndMasks() throws {
    let t = """
      - node_classification:
          target_ntype: paper
          label_field: lable
          num_classes: 4
          mask_fields: [null, val_mask, tst_mask]
      """
    let errors = try parse(yaml(tasks: t)).validate(against: graph)
    XCTAssertEqual(
      errors.map(\.path),
      [
        "gsf.multi_task_learning[0].node_classification.label_field",
        "gsf.multi_task_learning[0].node_classification.mask_fields",
        "gsf.multi_task_learning[0].node_classification.mask_fields[2]",
      ])
    XCTAssertEqual(errors[0].suggestion, "label")
    XCTAssertTrue(errors[1].message.contains("no train mask"))
    XCTAssertEqual(errors[2].suggestion, "test_mask")
    XCTAssertTrue(errors.allSatisfy { $0.taskID == "node_classification-paper-lable" })
    // Inference needs no train mask.
    XCTAssertEqual(try parse(yaml(tasks: t), mode: .infer).validate(against: graph, mode: .infer).count, 2)
  }

  func testNumClassesSmallerThanLabels() throws {
    let c = try parse(yaml(tasks: ncTask.replacingOccurrences(of: "num_classes: 4", with: "num_classes: 3")))
    let e = c.validate(against: graph)
    XCTAssertEqual(e.map(\.path), ["gsf.multi_task_learning[0].node_classification.num_classes"])
    XCTAssertTrue(e[0].message.contains("labels go up to 3"))
    XCTAssertTrue(e[0].message.contains("at least 4"))
    XCTAssertThrowsError(try c.validateOrThrow(against: graph))
  }

  func testEdgeTasksAndFanout() throws {
    let t = """
      - edge_regression:
          target_etype: ["paper,citng,paper"]
          label_field: w
          mask_fields: [lp_train, null, null]
      - link_prediction:
          train_etype: ["paper,citing,paper"]
          reverse_edge_types_map: ["paper,citing,cite,paper"]
          mask_fields: [lp_train, lp_val, lp_test]
      - reconstruct_edge_feat:
          target_etype: ["paper,citing,paper"]
          reconstruct_efeat_name: wt
          mask_fields: [lp_train, null, null]
      """
    let g = "gnn2:\n  eval_fanout: \"paper/citing/paper:5@paper/writes/author:5,paper/citing/paper:5\""
    let errors = try parse(yaml(globals: g, tasks: t)).validate(against: graph)
    XCTAssertEqual(
      errors.map(\.path),
      [
        "gsf.eval_fanout",
        "gsf.multi_task_learning[0].edge_regression.target_etype",
        "gsf.multi_task_learning[1].link_prediction.reverse_edge_types_map",
        "gsf.multi_task_learning[2].reconstruct_edge_feat.reconstruct_efeat_name",
      ])
    XCTAssertEqual(errors[1].suggestion, "paper,citing,paper")
    XCTAssertEqual(errors[3].suggestion, "w")
  }

  func testNodeFeatureNames() throws {
    let c = try parse(yaml(globals: "in:\n  node_feat_name: [\"paper:feats\", \"venue:feat\"]", tasks: ncTask))
    let e = c.validate(against: graph)
    XCTAssertEqual(e.map(\.path), ["gsf.node_feat_name", "gsf.node_feat_name"])
    XCTAssertEqual(e.map(\.suggestion), ["feat", "paper"])
  }
}
