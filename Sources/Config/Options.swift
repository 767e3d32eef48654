/// The GNN encoder (`model_encoder_type`). GraphStorm's names; Gust builds `rgcn` today.
public enum EncoderType: String, CaseIterable, Sendable {
  case rgcn, rgat, hgt, sage, gat, gatv2, lm, mlp
  case learnableEmbed = "learnable_embed"

  /// The encoders Gust implements; the others are `unsupported` errors at parse time.
  static let supported: Set<EncoderType> = [.rgcn]
}

/// How link prediction draws training negatives (`train_negative_sampler`).
public enum NegativeSampler: String, CaseIterable, Sendable {
  /// k corrupted destinations per positive.
  case uniform
  /// k corrupted destinations shared by the batch.
  case joint
  /// joint negatives plus the batch's other destinations.
  case inbatchJoint = "inbatch_joint"

  /// GraphStorm samplers Gust does not implement.
  static let graphStormOnly: Set<String> = [
    "localuniform", "localjoint", "all_etype_uniform", "all_etype_joint", "fast_uniform",
    "fast_joint", "fast_localuniform", "fast_localjoint",
  ]
}

/// How link-prediction evaluation draws its negatives (`eval_negative_sampler`).
public enum EvalNegativeSampler: String, CaseIterable, Sendable {
  case joint, uniform
}

/// `early_stop_strategy`.
public enum EarlyStopStrategy: String, CaseIterable, Sendable {
  case averageIncrease = "average_increase"
  case consecutiveIncrease = "consecutive_increase"
}

/// The edge classification/regression decoder (`decoder_type`, `num_decoder_basis`).
public enum EdgeDecoder: Equatable, Sendable {
  /// `DenseBiDecoder`: a bilinear form with `numBasis` bases (> 1).
  case denseBi(numBasis: Int)
  /// `MLPDecoder`: concat(src, dst) → linear.
  case mlp
}

/// The link-prediction score (`lp_decoder_type`).
public enum LinkPredictionDecoder: Equatable, Sendable {
  /// Σ u·v
  case dotProduct
  /// Σ u·r·v; relation embeddings initialised U(−gamma/h, gamma/h) (`gamma`, default 12).
  case distMult(gamma: Double)
}

/// The link-prediction loss (`lp_loss_func`).
public enum LinkPredictionLoss: Equatable, Sendable {
  /// BCE over positives (1) and negatives (0).
  case crossEntropy
  /// −log softmax of the positive among its negatives at `temperature`
  /// (`contrastive_loss_temperature`, default 1).
  case contrastive(temperature: Double)
}

/// `lp_embed_normalizer`.
public enum EmbedNormalizer: String, CaseIterable, Sendable {
  case l2Norm = "l2_norm"
}
