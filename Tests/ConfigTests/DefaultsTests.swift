import XCTest

@testable import Config

/// GraphStorm's defaults, Gust's inheritance, and every task kind.
final class DefaultsTests: XCTestCase {
  func testGlobalDefaults() throws {
    let t = try parse(yaml(tasks: ncTask)).training
    XCTAssertEqual(t.evalFanout, .uniform([-1, -1]))
    XCTAssertNil(t.nodeFeatureNames)
    XCTAssertEqual(t.sparseOptimizerLR, 0.01)  // = lr
    XCTAssertEqual(t.wdL2Norm, 0)
    XCTAssertEqual(t.alphaL2Norm, 0)
    XCTAssertEqual(t.dropout, 0)
    XCTAssertEqual(t.numEpochs, 0)
    XCTAssertTrue(t.useSelfLoop)
    XCTAssertEqual(t.numBases, -1)
    XCTAssertFalse(t.useNodeEmbeddings)
    XCTAssertTrue(t.useMiniBatchInfer)
    XCTAssertEqual(t.evalFrequency, Int.max)
    XCTAssertFalse(t.noValidation)
    XCTAssertNil(t.saveModelPath)
    XCTAssertEqual(t.saveModelFrequency, -1)
    XCTAssertNil(t.topkModelToSave)
    XCTAssertNil(t.savePredictionPath)
    XCTAssertNil(t.maxGradNorm)
    XCTAssertTrue(t.returnProba)
    XCTAssertEqual(t.evalNegativeSampler, .joint)
    XCTAssertFalse(t.useEarlyStop)
    XCTAssertEqual(t.earlyStopBurninRounds, 0)
    XCTAssertEqual(t.earlyStopRounds, 3)
    XCTAssertEqual(t.earlyStopStrategy, .averageIncrease)
    XCTAssertNil(t.modelSelectTask)
  }

  func testSaveEmbedPathImpliesModelAndPredictionPaths() throws {
    let t = try parse(yaml(globals: "output:\n  save_embed_path: /out/emb", tasks: ncTask)).training
    XCTAssertEqual(t.saveModelPath, "/out/emb/model")
    XCTAssertEqual(t.savePredictionPath, "/out/emb")
  }

  func testTaskDefaults() throws {
    let c = try parse(yaml(tasks: "- node_classification:\n    label_field: y\n    num_classes: 2"))
    let t = c.tasks[0]
    XCTAssertEqual(t.id, "node_classification-_N-y")
    XCTAssertEqual(t.masks, .none)
    XCTAssertEqual(t.taskWeight, 1)
    XCTAssertEqual(t.batchSize, 256)
    XCTAssertEqual(t.evalBatchSize, 10000)
    XCTAssertEqual(t.evalMetrics, [.accuracy])
    XCTAssertEqual(t.dropout, 0)
    XCTAssertTrue(c.warnings.contains { $0.code == .defaultAssumed && $0.path.hasSuffix("target_ntype") })
    guard case .nodeClassification(let nc) = t.kind else { return XCTFail() }
    XCTAssertFalse(nc.multilabel)
    XCTAssertNil(nc.imbalanceClassWeights)
  }

  func testLinkPredictionDefaults() throws {
    let c = try parse(yaml(tasks: "- link_prediction:\n    exclude_training_targets: false"))
    XCTAssertEqual(c.tasks[0].id, "link_prediction-ALL_ETYPE")
    XCTAssertEqual(c.tasks[0].evalMetrics, [.mrr])
    guard case .linkPrediction(let lp) = c.tasks[0].kind else { return XCTFail() }
    XCTAssertNil(lp.trainEdgeTypes)
    XCTAssertNil(lp.evalEdgeTypes)
    XCTAssertEqual(lp.numNegativeEdges, 16)
    XCTAssertEqual(lp.numNegativeEdgesEval, 1000)
    XCTAssertEqual(lp.trainNegativeSampler, .uniform)
    XCTAssertEqual(lp.evalNegativeSampler, .joint)
    XCTAssertFalse(lp.excludeTrainingTargets)
    XCTAssertEqual(lp.reverseEdgeTypes, [:])
    XCTAssertEqual(lp.decoder, .distMult(gamma: 12))
    XCTAssertEqual(lp.loss, .crossEntropy)
    XCTAssertNil(lp.embedNormalizer)
  }

  func testContrastiveForcesL2Norm() throws {
    let c = try parse(
      yaml(tasks: lpTask + "\n    lp_loss_func: contrastive\n    lp_decoder_type: DOT_PRODUCT"))
    guard case .linkPrediction(let lp) = c.tasks[0].kind else { return XCTFail() }
    XCTAssertEqual(lp.loss, .contrastive(temperature: 1))
    XCTAssertEqual(lp.embedNormalizer, .l2Norm)
    XCTAssertEqual(lp.decoder, .dotProduct)
  }

  func testTaskInheritsGlobalKeys() throws {
    // Gust: a task takes a global key it does not set; GraphStorm would use its default.
    let globals = """
      tasks:
        lp_decoder_type: dot_product
        dropout: 0.25
        eval_batch_size: 512
        num_negative_edges: 8
        task_weight: 2.0
      """
    let c = try parse(yaml(globals: globals, tasks: ncTask + "\n    dropout: 0.1\n" + lpTask))
    let (nc, lp) = (c.tasks[0], c.tasks[1])
    XCTAssertEqual(c.training.dropout, 0.25)  // the encoder's
    XCTAssertEqual(nc.dropout, 0.1)  // its own
    XCTAssertEqual(lp.dropout, 0.25)  // inherited
    XCTAssertEqual(nc.evalBatchSize, 512)
    XCTAssertEqual(lp.taskWeight, 2)
    guard case .linkPrediction(let k) = lp.kind else { return XCTFail() }
    XCTAssertEqual(k.decoder, .dotProduct)
    XCTAssertEqual(k.numNegativeEdges, 8)
    let inherited = c.warnings.filter { $0.code == .inheritedGlobal }.map(\.path)
    XCTAssertTrue(inherited.contains("gsf.multi_task_learning[1].link_prediction.lp_decoder_type"))
    XCTAssertTrue(inherited.contains("gsf.multi_task_learning[1].link_prediction.dropout"))
    XCTAssertFalse(inherited.contains("gsf.multi_task_learning[0].node_classification.dropout"))
  }

  func testTaskBatchSizeOverridesGlobal() throws {
    let c = try parse(yaml(tasks: ncTask + "\n    batch_size: 64\n" + lpTask))
    XCTAssertEqual(c.tasks.map(\.batchSize), [64, 256])
    // batch_size inheritance is GraphStorm's behaviour too: no warning.
    XCTAssertFalse(c.warnings.contains { $0.path.hasSuffix("batch_size") })
  }

  func testEveryTaskKindParses() throws {
    let tasks = """
      - node_classification:
          target_ntype: movie
          label_field: genre
          num_classes: 3
          multilabel: true
          imbalance_class_weights: "1,2,0.5"
          multilabel_weights: "3,0,1.5"
          eval_metric: [F1_SCORE, accuracy]
          mask_fields: [tm, null, tt]
      - node_regression:
          target_ntype: movie
          label_field: year
          eval_metric: mae
      - edge_classification:
          target_etype: ["user,rating,movie"]
          label_field: stars
          num_classes: 5
          multilabel: true
          multilabel_weights: [1, 2, 3, 4, 5]
          decoder_type: MLPDecoder
          remove_target_edge_type: false
          reverse_edge_types_map: ["user,rating,rating-rev,movie"]
      - edge_regression:
          target_etype: ["user,rating,movie"]
          label_field: rate
          num_decoder_basis: 4
      - link_prediction:
          train_etype: ["user,rating,movie", "movie,rating-rev,user"]
          num_negative_edges: 8
          train_negative_sampler: inbatch_joint
          exclude_training_targets: false
          eval_metric: [mrr, hit_at_10]
      - reconstruct_node_feat:
          target_ntype: movie
          reconstruct_nfeat_name: title
      - reconstruct_edge_feat:
          target_etype: ["user,rating,movie"]
          reconstruct_efeat_name: time
      """
    let c = try parse(yaml(tasks: tasks))
    XCTAssertEqual(
      c.tasks.map(\.id),
      [
        "node_classification-movie-genre", "node_regression-movie-year",
        "edge_classification-user_rating_movie-stars", "edge_regression-user_rating_movie-rate",
        "link_prediction-user_rating_movie__movie_rating-rev_user",
        "reconstruct_node_feat-movie-title", "reconstruct_edge_feat-user_rating_movie-time",
      ])
    XCTAssertEqual(c.tasks.map(\.kind.name), TaskKind.Name.allCases)
    let rating = EdgeType("user", "rating", "movie")
    guard case .nodeClassification(let nc) = c.tasks[0].kind,
      case .nodeRegression(let nr) = c.tasks[1].kind,
      case .edgeClassification(let ec) = c.tasks[2].kind,
      case .edgeRegression(let er) = c.tasks[3].kind,
      case .linkPrediction(let lp) = c.tasks[4].kind,
      case .reconstructNodeFeature(let rn) = c.tasks[5].kind,
      case .reconstructEdgeFeature(let re) = c.tasks[6].kind
    else { return XCTFail("kinds out of order") }
    XCTAssertTrue(nc.multilabel)
    XCTAssertEqual(nc.imbalanceClassWeights, [1, 2, 0.5])
    XCTAssertEqual(nc.multilabelWeights, [3, 0, 1.5])
    XCTAssertEqual(ec.multilabelWeights, [1, 2, 3, 4, 5])
    XCTAssertNil(ec.imbalanceClassWeights)
    XCTAssertEqual(c.tasks[0].evalMetrics, [.f1Score, .accuracy])
    XCTAssertEqual(c.tasks[0].masks, MaskFields(train: "tm", val: nil, test: "tt"))
    XCTAssertEqual(nr.labelField, "year")
    XCTAssertEqual(c.tasks[1].evalMetrics, [.mae])
    XCTAssertEqual(ec.targetEdgeType, rating)
    XCTAssertEqual(ec.numClasses, 5)
    XCTAssertEqual(ec.decoder, .mlp)
    XCTAssertFalse(ec.removeTargetEdgeType)
    XCTAssertEqual(ec.reverseEdgeTypes, [rating: EdgeType("movie", "rating-rev", "user")])
    XCTAssertEqual(er.decoder, .denseBi(numBasis: 4))
    XCTAssertTrue(er.removeTargetEdgeType)
    XCTAssertEqual(c.tasks[3].evalMetrics, [.rmse])
    XCTAssertEqual(lp.trainEdgeTypes, [rating, EdgeType("movie", "rating-rev", "user")])
    XCTAssertEqual(lp.trainNegativeSampler, .inbatchJoint)
    XCTAssertEqual(c.tasks[4].evalMetrics, [.mrr, .hitAt(10)])
    XCTAssertEqual(c.tasks[4].evalMetrics.map(\.description), ["mrr", "hit_at_10"])
    XCTAssertEqual(rn.featureName, "title")
    XCTAssertEqual(c.tasks[5].evalMetrics, [.mse])
    XCTAssertEqual(re.targetEdgeType, rating)
    XCTAssertEqual(re.featureName, "time")
    XCTAssertEqual(c.tasks[6].kind.targetEdgeType, rating)
    XCTAssertEqual(c.tasks[5].kind.targetNodeType, "movie")
  }

  func testFanoutAndFeatureForms() throws {
    let g = """
      gnn2:
        eval_fanout: "paper/citing/paper:10@paper/written_by/author:5,paper/citing/paper:3"
        node_feat_name: ["paper:feat,year", "paper:abstract", "author:feat"]
      """
    let t = try parse(yaml(globals: g, tasks: ncTask)).training
    let citing = EdgeType("paper", "citing", "paper")
    let written = EdgeType("paper", "written_by", "author")
    XCTAssertEqual(t.evalFanout, .perEdgeType([[citing: 10, written: 5], [citing: 3]]))
    XCTAssertEqual(t.evalFanout.fanout(layer: 1, edgeType: written), 0)
    XCTAssertEqual(t.evalFanout.edgeTypes, [citing, written])
    XCTAssertEqual(t.nodeFeatureNames?.groups(for: "paper"), [["feat", "year"], ["abstract"]])
    XCTAssertEqual(t.nodeFeatureNames?.groups(for: "subject"), [])
    let same = try parse(yaml(globals: "in:\n  node_feat_name: [feat]", tasks: ncTask)).training
    XCTAssertEqual(same.nodeFeatureNames, .sameForAll(["feat"]))
    XCTAssertEqual(same.nodeFeatureNames?.groups(for: "anything"), [["feat"]])
  }

  func testModelSelectTask() throws {
    let c = try parse(
      yaml(globals: "eval:\n  model_select_task: link_prediction-paper_citing_paper", tasks: ncTask + "\n" + lpTask))
    XCTAssertEqual(c.modelSelectionTask.id, "link_prediction-paper_citing_paper")
    XCTAssertEqual(c.modelSelectionTask.majorMetric, .mrr)
  }
}
