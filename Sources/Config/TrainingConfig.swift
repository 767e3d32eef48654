/// The global keys of a training YAML (SPEC §3), typed, with GraphStorm's defaults
/// (reference/graphstorm-mt.md §3.2). YAML name in each comment.
public struct TrainingConfig: Equatable, Sendable {
  /// `model_encoder_type` (required).
  public var modelEncoderType: EncoderType
  /// `hidden_size` (required, > 0).
  public var hiddenSize: Int
  /// `num_layers` (required, > 0 for GNN encoders).
  public var numLayers: Int
  /// `fanout` (required for GNN encoders; `numLayers` layers).
  public var fanout: Fanout
  /// `eval_fanout` (default: -1, every neighbour, on each layer).
  public var evalFanout: Fanout
  /// `node_feat_name` (default none: every node type gets a learnable embedding).
  public var nodeFeatureNames: NodeFeatureNames?
  /// `batch_size`: the default of tasks that do not set one; nil when every task sets it.
  public var batchSize: Int?
  /// `lr` (required for training; 0 when parsed for inference without it).
  public var lr: Double
  /// `sparse_optimizer_lr` (default `lr`).
  public var sparseOptimizerLR: Double
  /// `wd_l2norm` (0): Adam weight decay.
  public var wdL2Norm: Double
  /// `alpha_l2norm` (0): coefficient of Σ‖dense params‖² in the loss.
  public var alphaL2Norm: Double
  /// `dropout` (0): encoder dropout, in [0, 1). Tasks inherit it as their decoder dropout.
  public var dropout: Double
  /// `num_epochs` (0).
  public var numEpochs: Int
  /// `use_self_loop` (true).
  public var useSelfLoop: Bool
  /// `num_bases` (-1: one weight per relation; > 0: basis decomposition).
  public var numBases: Int
  /// `use_node_embeddings` (false).
  public var useNodeEmbeddings: Bool
  /// `use_mini_batch_infer` (true).
  public var useMiniBatchInfer: Bool
  /// `eval_frequency` in steps (default `Int.max`: evaluate at epoch ends only).
  public var evalFrequency: Int
  /// `no_validation` (false).
  public var noValidation: Bool
  /// `save_model_path`.
  public var saveModelPath: String?
  /// `save_model_frequency` in steps (-1: epoch ends only).
  public var saveModelFrequency: Int
  /// `topk_model_to_save` (nil: keep every checkpoint).
  public var topkModelToSave: Int?
  /// `save_embed_path`.
  public var saveEmbedPath: String?
  /// `save_prediction_path` (default `save_embed_path`).
  public var savePredictionPath: String?
  /// `restore_model_path`.
  public var restoreModelPath: String?
  /// `restore_model_layers` (default every layer): which parts `restore_model_path` loads
  /// (`ModelLayers.swift`).
  public var restoreModelLayers: RestoreLayers = .all
  /// `max_grad_norm` (none: no clipping). Gust clips before the optimiser step.
  public var maxGradNorm: Double?
  /// `return_proba` (true).
  public var returnProba: Bool
  /// `eval_negative_sampler` (`joint`): link prediction at inference.
  public var evalNegativeSampler: EvalNegativeSampler
  /// `use_early_stop` (false). Gust: works in multi-task mode.
  public var useEarlyStop: Bool
  /// `early_stop_burnin_rounds` (0).
  public var earlyStopBurninRounds: Int
  /// `early_stop_rounds` (3).
  public var earlyStopRounds: Int
  /// `early_stop_strategy` (`average_increase`).
  public var earlyStopStrategy: EarlyStopStrategy
  /// `model_select_task` (Gust): the task id whose major metric selects models; nil = the
  /// first task.
  public var modelSelectTask: String?
  /// `output_format` (Gust; `--output-format`): embedding and prediction files, `parquet` or
  /// `csv` (vectors `;`-joined).
  public var outputFormat: OutputFileFormat = .parquet
  /// `output_chunk_size` (Gust; `--output-chunk-size`, default 100000): rows per output file.
  public var outputChunkSize: Int = 100_000
  /// `keep_integer_ids` (Gust; `--keep-integer-ids`): outputs keep integer graph ids instead of
  /// raw ids (`gust remap` converts them later).
  public var keepIntegerIds: Bool = false
}

/// `output_format`.
public enum OutputFileFormat: String, Sendable, CaseIterable {
  case parquet, csv
}

/// Whether the config is read for training or inference: training needs `lr` and a train
/// mask per task.
public enum ConfigMode: Sendable {
  case train, infer
}
