import Foundation

extension SyntheticWriter {
  /// The gconstruct JSON for the generated tables (GraphStorm's format; paths absolute).
  static func gconstructJSON(_ out: String) throws -> String {
    let feat: [[String: Any]] = [["feature_col": "feat", "feature_name": "feat"]]
    func masks(_ s: String) -> [String] { ["train_mask_\(s)", "val_mask_\(s)", "test_mask_\(s)"] }
    func node(_ nt: String, _ labels: [[String: Any]]? = nil) -> [String: Any] {
      var d: [String: Any] = ["node_type": nt, "format": ["name": "parquet"],
                              "files": ["\(out)/nodes/\(nt).parquet"], "node_id_col": "node_id", "features": feat]
      if let labels { d["labels"] = labels }
      return d
    }
    func edge(_ s: String, _ r: String, _ d: String, features: [[String: Any]]? = nil,
              labels: [[String: Any]]? = nil) -> [String: Any] {
      var e: [String: Any] = ["relation": [s, r, d], "format": ["name": "parquet"],
                              "files": ["\(out)/edges/\(s)_\(r)_\(d).parquet"],
                              "source_id_col": "source_id", "dest_id_col": "dest_id"]
      if let features { e["features"] = features }
      if let labels { e["labels"] = labels }
      return e
    }
    let split = [0.8, 0.1, 0.1]
    let conf: [String: Any] = [
      "version": "gconstruct-v0.1",
      "nodes": [
        node("paper", [
          ["label_col": "label_class", "task_type": "classification", "split_pct": split, "mask_field_names": masks("class")],
          ["label_col": "label_reg", "task_type": "regression", "split_pct": split, "mask_field_names": masks("reg")],
        ]),
        node("author"), node("subject"),
      ],
      "edges": [
        edge("paper", "citing", "paper", labels: [["task_type": "link_prediction", "split_pct": split, "mask_field_names": masks("lp")]]),
        edge("paper", "cited", "paper"),
        edge("author", "writing", "paper", features: [["feature_col": "efeat", "feature_name": "efeat"]], labels: [
          ["label_col": "label_ec", "task_type": "classification", "split_pct": split, "mask_field_names": masks("ec")],
          ["label_col": "label_er", "task_type": "regression", "split_pct": split, "mask_field_names": masks("er")],
        ]),
        edge("paper", "written-by", "author"),
        edge("paper", "is-about", "subject"),
        edge("subject", "has", "paper"),
      ],
    ]
    let data = try JSONSerialization.data(withJSONObject: conf, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// A multi-task YAML with every task kind the generated graph has (all seven).
  static func trainingYAML(_ scale: SyntheticGraph.Scale) -> String {
    let big = scale == .medium || scale == .large
    let batch = big ? 1024 : 128
    let epochs = big ? 1 : 5
    let lr = big ? "0.001" : "0.01"
    func masks(_ s: String) -> String {
      "        mask_fields:\n          - \"train_mask_\(s)\"\n          - \"val_mask_\(s)\"\n          - \"test_mask_\(s)\"\n"
    }
    return """
      ---
      # Written by `gust generate --scale \(scale.rawValue)`: every task kind on the generated graph.
      version: 1.0
      gsf:
        basic:
          batch_size: \(batch)
          node_feat_name:
            - paper:feat
            - author:feat
            - subject:feat
        gnn:
          model_encoder_type: rgcn
          num_layers: 2
          hidden_size: 64
          fanout: "10,10"
          use_mini_batch_infer: true
        hyperparam:
          dropout: 0.
          lr: \(lr)
          num_epochs: \(epochs)
          wd_l2norm: 0
          no_validation: false
        rgcn:
          num_bases: -1
          use_self_loop: true
          sparse_optimizer_lr: 1e-2
          use_node_embeddings: false
        multi_task_learning:
          - node_classification:
              target_ntype: "paper"
              label_field: "label_class"
              num_classes: 8
      \(masks("class"))        eval_metric:
                - "accuracy"
          - node_regression:
              target_ntype: "paper"
              label_field: "label_reg"
      \(masks("reg"))        eval_metric:
                - "rmse"
          - link_prediction:
              num_negative_edges: 4
              num_negative_edges_eval: 100
              train_negative_sampler: joint
              train_etype:
                - "paper,citing,paper"
              eval_etype:
                - "paper,citing,paper"
              exclude_training_targets: true
              reverse_edge_types_map:
                - "paper,citing,cited,paper"
      \(masks("lp"))        task_weight: 0.5
              eval_metric:
                - "mrr"
          - edge_classification:
              target_etype:
                - "author,writing,paper"
              label_field: "label_ec"
              num_classes: 2
              remove_target_edge_type: true
              reverse_edge_types_map:
                - "author,writing,written-by,paper"
      \(masks("ec"))        eval_metric:
                - "accuracy"
          - edge_regression:
              target_etype:
                - "author,writing,paper"
              label_field: "label_er"
              remove_target_edge_type: true
              reverse_edge_types_map:
                - "author,writing,written-by,paper"
      \(masks("er"))        eval_metric:
                - "rmse"
          - reconstruct_node_feat:
              reconstruct_nfeat_name: "feat"
              target_ntype: "paper"
      \(masks("class"))        task_weight: 1.0
              eval_metric:
                - "mse"
          - reconstruct_edge_feat:
              reconstruct_efeat_name: "efeat"
              target_etype:
                - "author,writing,paper"
      \(masks("ec"))        task_weight: 1.0
              eval_metric:
                - "mse"

      """
  }
}
