extension TrainingConfig {
  /// Types and checks the global keys (reference §3.2 defaults).
  static func read(_ r: inout Reader, mode: ConfigMode) throws -> TrainingConfig {
    let encoder = try r.required(
      "model_encoder_type", "e.g. rgcn",
      Read.choice(EncoderType.self, supported: { EncoderType.supported.contains($0) }))
    let hidden = try r.required("hidden_size", "the embedding width", Read.int)
    try r.check("hidden_size", hidden, hidden > 0, "hidden_size must be > 0")
    let layers = try r.required("num_layers", "the number of GNN layers", Read.int)
    try r.check("num_layers", layers, layers > 0, "num_layers must be > 0 for a GNN encoder")

    let fanout = try r.required("fanout", "e.g. \"10,10\", one number per layer", Fanout.parse)
    try r.check(
      "fanout", fanout, fanout.numLayers == layers,
      "fanout has \(fanout.numLayers) layer(s) but num_layers is \(layers)")
    let evalFanout = try r.value("eval_fanout", default: Fanout.full(layers: layers), Fanout.parse)
    try r.check(
      "eval_fanout", evalFanout, evalFanout.numLayers == layers,
      "eval_fanout has \(evalFanout.numLayers) layer(s) but num_layers is \(layers)")

    let feats = try r.get("node_feat_name", NodeFeatureNames.parse)?.0

    let batch = try r.get("batch_size", Read.int)?.0
    if let batch { try r.check("batch_size", batch, batch > 0, "batch_size must be > 0") }

    let lr: Double
    if mode == .train {
      lr = try r.required("lr", "the learning rate", Read.double)
    } else {
      lr = try r.value("lr", default: 0, Read.double)
    }
    try r.check("lr", lr, lr > 0 || (mode == .infer && lr == 0), "lr must be > 0")
    let sparseLR = try r.value("sparse_optimizer_lr", default: lr, Read.double)
    try r.check("sparse_optimizer_lr", sparseLR, sparseLR > 0 || lr == 0, "must be > 0")
    let wd = try r.value("wd_l2norm", default: 0, Read.double)
    try r.check("wd_l2norm", wd, wd >= 0, "must be ≥ 0")
    let alpha = try r.value("alpha_l2norm", default: 0, Read.double)
    try r.check("alpha_l2norm", alpha, alpha >= 0, "must be ≥ 0")
    let dropout = try r.value("dropout", default: 0, Read.double)
    try r.check("dropout", dropout, dropout >= 0 && dropout < 1, "dropout must be in [0, 1)")
    let epochs = try r.value("num_epochs", default: 0, Read.int)
    try r.check("num_epochs", epochs, epochs >= 0, "must be ≥ 0")
    let bases = try r.value("num_bases", default: -1, Read.int)
    try r.check("num_bases", bases, bases == -1 || bases > 0, "use -1 (no bases) or a count > 0")
    let evalFreq = try r.value("eval_frequency", default: Int.max, Read.int)
    try r.check("eval_frequency", evalFreq, evalFreq > 0, "must be > 0 (steps)")

    let saveEmbed = try r.get("save_embed_path", Read.string)?.0
    // GraphStorm: without save_model_path, checkpoints go to <save_embed_path>/model.
    let saveModel =
      try r.get("save_model_path", Read.string)?.0 ?? saveEmbed.map { $0 + "/model" }
    let saveFreq = try r.value("save_model_frequency", default: -1, Read.int)
    try r.check(
      "save_model_frequency", saveFreq, saveFreq == -1 || saveFreq > 0,
      "use -1 (epoch ends only) or a step count > 0")
    try r.check(
      "save_model_frequency", saveFreq, saveFreq <= 0 || saveModel != nil,
      "it needs save_model_path")
    let topk = try r.get("topk_model_to_save", Read.int)?.0
    if let topk {
      try r.check("topk_model_to_save", topk, topk > 0, "must be > 0")
      try r.check("topk_model_to_save", topk, saveModel != nil, "it needs save_model_path")
    }
    let maxNorm = try r.get("max_grad_norm", Read.double)?.0
    if let maxNorm { try r.check("max_grad_norm", maxNorm, maxNorm > 0, "must be > 0") }
    let burnin = try r.value("early_stop_burnin_rounds", default: 0, Read.int)
    try r.check("early_stop_burnin_rounds", burnin, burnin >= 0, "must be ≥ 0")
    let rounds = try r.value("early_stop_rounds", default: 3, Read.int)
    try r.check("early_stop_rounds", rounds, rounds > 0, "must be > 0")

    let chunk = try r.value("output_chunk_size", default: 100_000, Read.int)
    try r.check("output_chunk_size", chunk, chunk > 0, "must be > 0")
    var c = TrainingConfig(
      modelEncoderType: encoder, hiddenSize: hidden, numLayers: layers, fanout: fanout,
      evalFanout: evalFanout, nodeFeatureNames: feats, batchSize: batch, lr: lr,
      sparseOptimizerLR: sparseLR, wdL2Norm: wd, alphaL2Norm: alpha, dropout: dropout,
      numEpochs: epochs, useSelfLoop: try r.value("use_self_loop", default: true, Read.bool),
      numBases: bases,
      useNodeEmbeddings: try r.value("use_node_embeddings", default: false, Read.bool),
      useMiniBatchInfer: try r.value("use_mini_batch_infer", default: true, Read.bool),
      evalFrequency: evalFreq,
      noValidation: try r.value("no_validation", default: false, Read.bool),
      saveModelPath: saveModel, saveModelFrequency: saveFreq, topkModelToSave: topk,
      saveEmbedPath: saveEmbed,
      savePredictionPath: try r.get("save_prediction_path", Read.string)?.0 ?? saveEmbed,
      restoreModelPath: try r.get("restore_model_path", Read.string)?.0,
      maxGradNorm: maxNorm,
      returnProba: try r.value("return_proba", default: true, Read.bool),
      evalNegativeSampler: try r.value(
        "eval_negative_sampler", default: .joint, Read.choice(EvalNegativeSampler.self)),
      useEarlyStop: try r.value("use_early_stop", default: false, Read.bool),
      earlyStopBurninRounds: burnin, earlyStopRounds: rounds,
      earlyStopStrategy: try r.value(
        "early_stop_strategy", default: .averageIncrease, Read.choice(EarlyStopStrategy.self)),
      modelSelectTask: try r.get("model_select_task", Read.string)?.0)
    c.outputFormat = try r.value("output_format", default: .parquet, Read.choice(OutputFileFormat.self, lowercased: true))
    c.outputChunkSize = chunk
    if let (layers, _, _) = try r.get("restore_model_layers", { n, p in
      try RestoreLayers.parse(n.stringList(p).joined(separator: ","), path: p, line: n.line)
    }) {
      c.restoreModelLayers = layers
    }
    c.keepIntegerIds = try r.value("keep_integer_ids", default: false, Read.bool)
    return c
  }
}
