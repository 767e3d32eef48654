// Learnable node embeddings (owned by the server of each partition) and control messages.

/// pullEmbeddings (0x0015): `i32 nodeType` · `[i64] ids`. Reply: embeddings (0x8015) =
/// FloatRows (`u32 width` · `[f32] rows`), one row per id in request order.
public struct PullEmbeddings: PayloadCodable {
  public var nodeType: Int32
  public var ids: [Int64]

  public init(nodeType: Int32, ids: [Int64]) {
    self.nodeType = nodeType
    self.ids = ids
  }

  public func encode(into w: inout WireWriter) {
    w.write(nodeType)
    w.write(ids)
  }

  public init(from r: inout WireReader) throws {
    nodeType = try r.readInt32("node type")
    ids = try r.readInt64s("ids")
  }

  public var estimatedSize: Int { 8 + 8 * ids.count }
}

/// pushEmbeddingGradients (0x0016): `i32 nodeType` · `[i64] ids` · FloatRows gradients
/// (`u32 width` · `[f32] rows`, one row per id; duplicate ids are summed by the server) ·
/// `f32 learningRate`. Reply: embeddingGradientsApplied (0x8016) = RowCount.
public struct PushEmbeddingGradients: PayloadCodable {
  public var nodeType: Int32
  public var ids: [Int64]
  public var gradients: FloatRows
  public var learningRate: Float

  public init(nodeType: Int32, ids: [Int64], gradients: FloatRows, learningRate: Float) {
    precondition(gradients.width == 0 || gradients.rowCount == ids.count,
                 "\(gradients.rowCount) gradient rows for \(ids.count) ids")
    self.nodeType = nodeType
    self.ids = ids
    self.gradients = gradients
    self.learningRate = learningRate
  }

  public func encode(into w: inout WireWriter) {
    w.write(nodeType)
    w.write(ids)
    gradients.encode(into: &w)
    w.write(learningRate)
  }

  public init(from r: inout WireReader) throws {
    nodeType = try r.readInt32("node type")
    ids = try r.readInt64s("ids")
    gradients = try FloatRows(from: &r)
    learningRate = try r.readFloat("learning rate")
    if gradients.width != 0 && gradients.rowCount != ids.count {
      throw ProtoError(.malformed, "\(gradients.rowCount) gradient rows for \(ids.count) ids")
    }
  }

  public var estimatedSize: Int { 12 + 8 * ids.count + gradients.estimatedSize }
}

/// dumpEmbeddings (0x0017) / loadEmbeddings (0x0018): `i32 nodeType` · `string path` (a file on
/// the server's host; the server writes to a temporary name and renames). Replies:
/// embeddingsDumped (0x8017) / embeddingsLoaded (0x8018) = RowCount. The same payload for
/// dumpEmbeddingOptimizer (0x0019) / loadEmbeddingOptimizer (0x001A): the rows' sparse Adam state
/// (`GUSTADM1` file); replies embeddingOptimizerDumped (0x8019) / embeddingOptimizerLoaded
/// (0x801A) = RowCount of the rows that have state.
public struct EmbeddingFile: PayloadCodable {
  public var nodeType: Int32
  public var path: String

  public init(nodeType: Int32, path: String) {
    self.nodeType = nodeType
    self.path = path
  }

  public func encode(into w: inout WireWriter) {
    w.write(nodeType)
    w.write(path)
  }

  public init(from r: inout WireReader) throws {
    nodeType = try r.readInt32("node type")
    path = try r.readString("path")
  }

  public var estimatedSize: Int { 8 + path.utf8.count }
}

/// `u64 rows`: how many rows a push, dump or load touched.
public struct RowCount: PayloadCodable {
  public var rows: UInt64
  public init(rows: UInt64) { self.rows = rows }
  public func encode(into w: inout WireWriter) { w.write(rows) }
  public init(from r: inout WireReader) throws { rows = try r.readUInt64("rows") }
  public var estimatedSize: Int { 8 }
}

/// heartbeat (0x0020) / heartbeatReply (0x8020): `u64 token`, echoed unchanged.
public struct Heartbeat: PayloadCodable {
  public var token: UInt64
  public init(token: UInt64) { self.token = token }
  public func encode(into w: inout WireWriter) { w.write(token) }
  public init(from r: inout WireReader) throws { token = try r.readUInt64("token") }
  public var estimatedSize: Int { 8 }
}

/// What kind of failure an error reply reports. Open-ended: codes this build does not name are
/// kept as their number.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  /// The request could not be decoded or is inconsistent.
  public static let badRequest = ErrorCode(rawValue: 1)
  /// An id in the request is not owned by this server or out of range.
  public static let unknownID = ErrorCode(rawValue: 2)
  /// A type, field or mask name in the request does not exist.
  public static let unknownName = ErrorCode(rawValue: 3)
  /// A valid request this server does not serve.
  public static let unsupported = ErrorCode(rawValue: 4)
  /// The server failed (I/O, a bug); the message says what.
  public static let internalError = ErrorCode(rawValue: 5)
  /// The server is shutting down.
  public static let shuttingDown = ErrorCode(rawValue: 6)

  public var description: String {
    switch self {
    case .badRequest: "badRequest"
    case .unknownID: "unknownID"
    case .unknownName: "unknownName"
    case .unsupported: "unsupported"
    case .internalError: "internalError"
    case .shuttingDown: "shuttingDown"
    default: "code \(rawValue)"
    }
  }
}

/// error (0xFFFF): `u16 code` · `string message` · `u64 requestID` (the failed request's id,
/// also in the envelope).
public struct ErrorReply: PayloadCodable, Error {
  public var code: ErrorCode
  public var message: String
  public var requestID: UInt64

  public init(code: ErrorCode, message: String, requestID: UInt64) {
    self.code = code
    self.message = message
    self.requestID = requestID
  }

  public func encode(into w: inout WireWriter) {
    w.write(code.rawValue)
    w.write(message)
    w.write(requestID)
  }

  public init(from r: inout WireReader) throws {
    code = ErrorCode(rawValue: try r.readUInt16("code"))
    message = try r.readString("message")
    requestID = try r.readUInt64("request id")
  }

  public var estimatedSize: Int { 14 + message.utf8.count }
}
