/// Every message Gust sends, one case per `MessageKind`; the payload layouts are beside each
/// struct (Messages+*.swift). Request and reply kinds are distinct: node and edge features share
/// `PullFeatures` / `FeatureRows` but travel under their own kinds.
public enum Message: Equatable, Sendable {
  case hello(Hello)
  case challenge(Challenge)
  case proof(Proof)
  case authOK(AuthOK)
  case partitionInfoRequest
  case partitionInfo(PartitionInfo)
  case sampleNeighbors(SampleNeighborsRequest)
  case sampledNeighbors(SampleNeighborsReply)
  case pullNodeFeatures(PullFeatures)
  case nodeFeatures(FeatureRows)
  case pullEdgeFeatures(PullFeatures)
  case edgeFeatures(FeatureRows)
  case pullLabelsMasks(PullLabelsMasks)
  case labelsMasks(LabelsMasks)
  case pullEmbeddings(PullEmbeddings)
  case embeddings(FloatRows)
  case pushEmbeddingGradients(PushEmbeddingGradients)
  case embeddingGradientsApplied(RowCount)
  case dumpEmbeddings(EmbeddingFile)
  case embeddingsDumped(RowCount)
  case loadEmbeddings(EmbeddingFile)
  case embeddingsLoaded(RowCount)
  case dumpEmbeddingOptimizer(EmbeddingFile)
  case embeddingOptimizerDumped(RowCount)
  case loadEmbeddingOptimizer(EmbeddingFile)
  case embeddingOptimizerLoaded(RowCount)
  case heartbeat(Heartbeat)
  case heartbeatReply(Heartbeat)
  case shutdown
  case shutdownAck
  case error(ErrorReply)

  public var kind: MessageKind {
    switch self {
    case .hello: .hello
    case .challenge: .challenge
    case .proof: .proof
    case .authOK: .authOK
    case .partitionInfoRequest: .partitionInfoRequest
    case .partitionInfo: .partitionInfo
    case .sampleNeighbors: .sampleNeighbors
    case .sampledNeighbors: .sampledNeighbors
    case .pullNodeFeatures: .pullNodeFeatures
    case .nodeFeatures: .nodeFeatures
    case .pullEdgeFeatures: .pullEdgeFeatures
    case .edgeFeatures: .edgeFeatures
    case .pullLabelsMasks: .pullLabelsMasks
    case .labelsMasks: .labelsMasks
    case .pullEmbeddings: .pullEmbeddings
    case .embeddings: .embeddings
    case .pushEmbeddingGradients: .pushEmbeddingGradients
    case .embeddingGradientsApplied: .embeddingGradientsApplied
    case .dumpEmbeddings: .dumpEmbeddings
    case .embeddingsDumped: .embeddingsDumped
    case .loadEmbeddings: .loadEmbeddings
    case .embeddingsLoaded: .embeddingsLoaded
    case .dumpEmbeddingOptimizer: .dumpEmbeddingOptimizer
    case .embeddingOptimizerDumped: .embeddingOptimizerDumped
    case .loadEmbeddingOptimizer: .loadEmbeddingOptimizer
    case .embeddingOptimizerLoaded: .embeddingOptimizerLoaded
    case .heartbeat: .heartbeat
    case .heartbeatReply: .heartbeatReply
    case .shutdown: .shutdown
    case .shutdownAck: .shutdownAck
    case .error: .error
    }
  }

  /// The body, or nil for the kinds with an empty payload.
  private var body: (any PayloadCodable)? {
    switch self {
    case .hello(let m): m
    case .challenge(let m): m
    case .proof(let m): m
    case .authOK(let m): m
    case .partitionInfoRequest, .shutdown, .shutdownAck: nil
    case .partitionInfo(let m): m
    case .sampleNeighbors(let m): m
    case .sampledNeighbors(let m): m
    case .pullNodeFeatures(let m), .pullEdgeFeatures(let m): m
    case .nodeFeatures(let m), .edgeFeatures(let m): m
    case .pullLabelsMasks(let m): m
    case .labelsMasks(let m): m
    case .pullEmbeddings(let m): m
    case .embeddings(let m): m
    case .pushEmbeddingGradients(let m): m
    case .embeddingGradientsApplied(let m), .embeddingsDumped(let m), .embeddingsLoaded(let m),
         .embeddingOptimizerDumped(let m), .embeddingOptimizerLoaded(let m): m
    case .dumpEmbeddings(let m), .loadEmbeddings(let m), .dumpEmbeddingOptimizer(let m), .loadEmbeddingOptimizer(let m): m
    case .heartbeat(let m), .heartbeatReply(let m): m
    case .error(let m): m
    }
  }

  public func encodePayload(into w: inout WireWriter) {
    body?.encode(into: &w)
  }

  public var estimatedPayloadSize: Int { body?.estimatedSize ?? 0 }

  /// Decodes a payload as the message `kind` names. Every count is checked against the bytes
  /// left before allocating, and the payload must be consumed exactly. Errors carry the kind.
  public static func decode(kind: MessageKind, payload: [UInt8]) throws -> Message {
    var r = WireReader(payload)
    do {
      let m = try decodeBody(kind: kind, reader: &r)
      try r.expectEnd()
      return m
    } catch let e as ProtoError {
      throw e.with(kind: kind)
    }
  }

  private static func decodeBody(kind: MessageKind, reader r: inout WireReader) throws -> Message {
    switch kind {
    case .hello: .hello(try Hello(from: &r))
    case .challenge: .challenge(try Challenge(from: &r))
    case .proof: .proof(try Proof(from: &r))
    case .authOK: .authOK(try AuthOK(from: &r))
    case .partitionInfoRequest: .partitionInfoRequest
    case .partitionInfo: .partitionInfo(try PartitionInfo(from: &r))
    case .sampleNeighbors: .sampleNeighbors(try SampleNeighborsRequest(from: &r))
    case .sampledNeighbors: .sampledNeighbors(try SampleNeighborsReply(from: &r))
    case .pullNodeFeatures: .pullNodeFeatures(try PullFeatures(from: &r))
    case .nodeFeatures: .nodeFeatures(try FeatureRows(from: &r))
    case .pullEdgeFeatures: .pullEdgeFeatures(try PullFeatures(from: &r))
    case .edgeFeatures: .edgeFeatures(try FeatureRows(from: &r))
    case .pullLabelsMasks: .pullLabelsMasks(try PullLabelsMasks(from: &r))
    case .labelsMasks: .labelsMasks(try LabelsMasks(from: &r))
    case .pullEmbeddings: .pullEmbeddings(try PullEmbeddings(from: &r))
    case .embeddings: .embeddings(try FloatRows(from: &r))
    case .pushEmbeddingGradients: .pushEmbeddingGradients(try PushEmbeddingGradients(from: &r))
    case .embeddingGradientsApplied: .embeddingGradientsApplied(try RowCount(from: &r))
    case .dumpEmbeddings: .dumpEmbeddings(try EmbeddingFile(from: &r))
    case .embeddingsDumped: .embeddingsDumped(try RowCount(from: &r))
    case .loadEmbeddings: .loadEmbeddings(try EmbeddingFile(from: &r))
    case .embeddingsLoaded: .embeddingsLoaded(try RowCount(from: &r))
    case .dumpEmbeddingOptimizer: .dumpEmbeddingOptimizer(try EmbeddingFile(from: &r))
    case .embeddingOptimizerDumped: .embeddingOptimizerDumped(try RowCount(from: &r))
    case .loadEmbeddingOptimizer: .loadEmbeddingOptimizer(try EmbeddingFile(from: &r))
    case .embeddingOptimizerLoaded: .embeddingOptimizerLoaded(try RowCount(from: &r))
    case .heartbeat: .heartbeat(try Heartbeat(from: &r))
    case .heartbeatReply: .heartbeatReply(try Heartbeat(from: &r))
    case .shutdown: .shutdown
    case .shutdownAck: .shutdownAck
    case .error: .error(try ErrorReply(from: &r))
    }
  }
}
