/// Every key the config knows, by where it may appear and whether Gust uses it. Built from
/// reference/graphstorm-mt.md §3 (and GraphStorm's `argument.py` property names).
enum KeyCatalog {
  /// Global keys Gust honours (SPEC §3), plus Gust's `model_select_task`.
  static let global: Set<String> = [
    "model_encoder_type", "hidden_size", "num_layers", "fanout", "eval_fanout", "node_feat_name",
    "batch_size", "lr", "sparse_optimizer_lr", "wd_l2norm", "alpha_l2norm", "dropout",
    "num_epochs", "use_self_loop", "num_bases", "use_node_embeddings", "use_mini_batch_infer",
    "eval_frequency", "no_validation", "save_model_path", "save_model_frequency",
    "topk_model_to_save", "save_embed_path", "save_prediction_path", "restore_model_path",
    "restore_model_layers",
    "max_grad_norm", "return_proba", "eval_negative_sampler", "use_early_stop",
    "early_stop_burnin_rounds", "early_stop_rounds", "early_stop_strategy", "model_select_task",
    // Gust's output options (flags of GraphStorm's remap step there).
    "output_format", "output_chunk_size", "keep_integer_ids",
  ]

  /// Global keys GraphStorm knows and Gust ignores: a warning each.
  static let ignoredGlobal: [String: String] = [
    "out_emb_size": "the output layer is hidden_size wide",
    "edge_feat_name": "edge features are not used in message passing (GraphStorm's MTL drops them too)",
    "edge_feat_mp_op": "edge features are not used in message passing",
    "lm_tune_lr": "there are no language-model encoders",
    "lm_train_nodes": "there are no language-model encoders",
    "lm_infer_batch_size": "there are no language-model encoders",
    "freeze_lm_encoder_epochs": "there are no language-model encoders",
    "cache_lm_embed": "there are no language-model encoders",
    "num_heads": "only rgcn is built",
    "gnn_norm": "no normalisation layers in the encoder",
    "input_activate": "the input projection has no activation",
    "num_ffn_layers_in_input": "no extra feed-forward layers",
    "num_ffn_layers_in_gnn": "no extra feed-forward layers",
    "num_ffn_layers_in_decoder": "no extra feed-forward layers",
    "decoder_bias": "decoders always have a bias",
    "decoder_norm": "decoders have no normalisation",
    "save_embed_format": "embeddings are written as parquet (SPEC §5.1)",
    "restore_optimizer_path": "the optimiser state comes from the checkpoint",
    "backend": "Gust has its own collective",
    "task_tracker": "progress goes to the log and metrics.jsonl",
    "log_report_frequency": "progress goes to the log and metrics.jsonl",
    "construct_feat_ntype": "feature construction is not supported (nor by GraphStorm's MTL)",
    "construct_feat_encoder": "feature construction is not supported",
    "construct_feat_fanout": "feature construction is not supported",
    "verbose": "use the launcher's logging",
    "logging_level": "use the launcher's logging",
    "logging_file": "logs go to <workspace>/logs",
    "save_perf_results_path": "GraphStorm's MTL ignores it too",
    "profile_path": "no profiler output",
    "grad_norm_type": "clipping uses the L2 norm",
    "ip_config": "give the hostfile as --ip-config",
    "part_config": "give the partition config as --part-config",
    "use_wholegraph_embed": "embeddings live on the graph servers",
    "use_graphbolt": "Gust has its own sampler",
    "graph_format": "Gust has its own partition format",
  ]

  /// Keys every task block honours.
  static let taskCommon: Set<String> = [
    "mask_fields", "task_weight", "batch_size", "eval_batch_size", "eval_metric", "dropout",
  ]

  /// Keys each kind honours besides the common ones.
  static let taskKind: [TaskKind.Name: Set<String>] = [
    .nodeClassification: [
      "target_ntype", "label_field", "num_classes", "multilabel", "imbalance_class_weights",
      "multilabel_weights",
    ],
    .nodeRegression: ["target_ntype", "label_field"],
    .edgeClassification: [
      "target_etype", "label_field", "num_classes", "multilabel", "imbalance_class_weights",
      "multilabel_weights", "decoder_type", "num_decoder_basis", "remove_target_edge_type", "reverse_edge_types_map",
    ],
    .edgeRegression: [
      "target_etype", "label_field", "decoder_type", "num_decoder_basis",
      "remove_target_edge_type", "reverse_edge_types_map",
    ],
    .linkPrediction: [
      "train_etype", "eval_etype", "num_negative_edges", "num_negative_edges_eval",
      "train_negative_sampler", "eval_negative_sampler", "exclude_training_targets",
      "reverse_edge_types_map", "lp_decoder_type", "gamma", "lp_loss_func",
      "contrastive_loss_temperature", "lp_embed_normalizer",
    ],
    .reconstructNodeFeature: ["target_ntype", "reconstruct_nfeat_name"],
    .reconstructEdgeFeature: ["target_etype", "reconstruct_efeat_name"],
  ]

  /// Task keys GraphStorm reads that change nothing in Gust: a warning each.
  static let ignoredTaskCommon: [String: String] = [
    "use_mini_batch_infer": "set it globally",
    "decoder_bias": "decoders always have a bias",
    "decoder_norm": "decoders have no normalisation",
    "eval_frequency": "set it globally (GraphStorm ignores it in a task block too)",
    "use_early_stop": "set it globally (GraphStorm ignores it in a task block too)",
    "early_stop_burnin_rounds": "set it globally",
    "early_stop_rounds": "set it globally",
    "early_stop_strategy": "set it globally",
  ]

  static let ignoredTaskKind: [TaskKind.Name: [String: String]] = [
    .nodeClassification: ["eval_target_ntype": "evaluation uses target_ntype"],
    .nodeRegression: ["eval_target_ntype": "evaluation uses target_ntype"],
    .reconstructNodeFeature: ["eval_target_ntype": "evaluation uses target_ntype"],
    .edgeClassification: [
      "exclude_training_targets": "GraphStorm's MTL does not pass it to edge tasks either",
      "num_ffn_layers_in_decoder": "no extra feed-forward layers",
    ],
    .edgeRegression: [
      "exclude_training_targets": "GraphStorm's MTL does not pass it to edge tasks either",
      "num_ffn_layers_in_decoder": "no extra feed-forward layers",
    ],
    .linkPrediction: [
      "report_eval_per_type": "metrics are over all evaluation edge types",
      "model_select_etype": "metrics are over all evaluation edge types",
      "fixed_test_size": "every val/test edge is evaluated",
    ],
  ]

  /// Task keys GraphStorm knows whose non-default values Gust does not implement: accepted
  /// when null or equal to the default given here (nil = only null), else `unsupported`.
  static let unsupportedUnlessDefault: [TaskKind.Name: [String: String?]] = [
    .nodeClassification: [
      "class_loss_func": "cross_entropy", "alpha": nil, "gamma": nil,
    ],
    .nodeRegression: ["regression_loss_func": "mse", "alpha": nil, "gamma": nil],
    .edgeClassification: [
      "class_loss_func": "cross_entropy", "alpha": nil, "gamma": nil,
      "decoder_edge_feat": nil,
    ],
    .edgeRegression: [
      "regression_loss_func": "mse", "alpha": nil, "gamma": nil, "decoder_edge_feat": nil,
    ],
    .linkPrediction: [
      "adversarial_temperature": nil, "lp_edge_weight_for_loss": nil,
      "train_etypes_negative_dstnode": nil, "num_train_hard_negatives": nil,
      "eval_etypes_negative_dstnode": nil,
    ],
    .reconstructNodeFeature: [:],
    .reconstructEdgeFeature: [:],
  ]

  /// Every task key known for `kind` (honoured, ignored, or default-only).
  static func taskKeys(_ kind: TaskKind.Name) -> Set<String> {
    taskCommon.union(taskKind[kind]!).union(ignoredTaskCommon.keys)
      .union(ignoredTaskKind[kind, default: [:]].keys)
      .union(unsupportedUnlessDefault[kind, default: [:]].keys)
  }

  /// Every task key of any kind: these may also be set globally, as defaults tasks inherit.
  static let anyTaskKey: Set<String> = TaskKind.Name.allCases.reduce(into: Set<String>()) {
    $0.formUnion(taskKeys($1))
  }

  /// Every key a `gsf` section may hold.
  static let allGlobal: Set<String> = global.union(ignoredGlobal.keys).union(anyTaskKey)

  /// Top-level keys besides `version` and `gsf`: GraphStorm reads them, Gust ignores them.
  static let ignoredTopLevel: [String: String] = [
    "lm_model": "there are no language-model encoders",
    "udf": "user-defined keys are not read",
  ]
}
