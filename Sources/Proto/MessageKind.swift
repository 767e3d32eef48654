/// The `kind` field of the envelope. A reply's kind is its request's kind + 0x8000, so request
/// and reply kinds never collide; `error` (0xFFFF) may answer any request.
public enum MessageKind: UInt16, CaseIterable, Sendable, CustomStringConvertible {
  // Authentication (the first exchange on every connection).
  case hello = 0x0001
  case challenge = 0x8001
  case proof = 0x0002
  case authOK = 0x8002
  // Graph service.
  case partitionInfoRequest = 0x0010
  case partitionInfo = 0x8010
  case sampleNeighbors = 0x0011
  case sampledNeighbors = 0x8011
  case pullNodeFeatures = 0x0012
  case nodeFeatures = 0x8012
  case pullEdgeFeatures = 0x0013
  case edgeFeatures = 0x8013
  case pullLabelsMasks = 0x0014
  case labelsMasks = 0x8014
  case pullEmbeddings = 0x0015
  case embeddings = 0x8015
  case pushEmbeddingGradients = 0x0016
  case embeddingGradientsApplied = 0x8016
  case dumpEmbeddings = 0x0017
  case embeddingsDumped = 0x8017
  case loadEmbeddings = 0x0018
  case embeddingsLoaded = 0x8018
  case dumpEmbeddingOptimizer = 0x0019
  case embeddingOptimizerDumped = 0x8019
  case loadEmbeddingOptimizer = 0x001A
  case embeddingOptimizerLoaded = 0x801A
  // Control.
  case heartbeat = 0x0020
  case heartbeatReply = 0x8020
  case shutdown = 0x0021
  case shutdownAck = 0x8021
  case error = 0xFFFF

  /// True for kinds that answer a request (including `error`).
  public var isReply: Bool { rawValue & 0x8000 != 0 }

  /// The reply kind for a request kind (nil for replies).
  public var replyKind: MessageKind? {
    isReply ? nil : MessageKind(rawValue: rawValue | 0x8000)
  }

  public var description: String {
    let hex = String(rawValue, radix: 16)
    return "\(name) (0x\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex))"
  }

  private var name: String {
    switch self {
    case .hello: "hello"
    case .challenge: "challenge"
    case .proof: "proof"
    case .authOK: "authOK"
    case .partitionInfoRequest: "partitionInfoRequest"
    case .partitionInfo: "partitionInfo"
    case .sampleNeighbors: "sampleNeighbors"
    case .sampledNeighbors: "sampledNeighbors"
    case .pullNodeFeatures: "pullNodeFeatures"
    case .nodeFeatures: "nodeFeatures"
    case .pullEdgeFeatures: "pullEdgeFeatures"
    case .edgeFeatures: "edgeFeatures"
    case .pullLabelsMasks: "pullLabelsMasks"
    case .labelsMasks: "labelsMasks"
    case .pullEmbeddings: "pullEmbeddings"
    case .embeddings: "embeddings"
    case .pushEmbeddingGradients: "pushEmbeddingGradients"
    case .embeddingGradientsApplied: "embeddingGradientsApplied"
    case .dumpEmbeddings: "dumpEmbeddings"
    case .embeddingsDumped: "embeddingsDumped"
    case .loadEmbeddings: "loadEmbeddings"
    case .embeddingsLoaded: "embeddingsLoaded"
    case .dumpEmbeddingOptimizer: "dumpEmbeddingOptimizer"
    case .embeddingOptimizerDumped: "embeddingOptimizerDumped"
    case .loadEmbeddingOptimizer: "loadEmbeddingOptimizer"
    case .embeddingOptimizerLoaded: "embeddingOptimizerLoaded"
    case .heartbeat: "heartbeat"
    case .heartbeatReply: "heartbeatReply"
    case .shutdown: "shutdown"
    case .shutdownAck: "shutdownAck"
    case .error: "error"
    }
  }
}
