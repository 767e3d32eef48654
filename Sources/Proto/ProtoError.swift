/// Every failure the Proto target reports: what went wrong, and for which frame — the message
/// kind and request id when the header got far enough to say. Input can never crash a decoder:
/// a corrupt, oversized or truncated frame is one of these.
public struct ProtoError: Error, Equatable, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable {
    case badMagic            // the first bytes are not "GUST": not a Gust peer, or out of sync
    case unsupportedVersion  // a Gust peer speaking another protocol version
    case unknownKind         // a message kind this build does not know
    case frameTooLarge       // payload length over the receiver's limit (checked before allocating)
    case checksumMismatch    // payload crc32 differs from the header's
    case truncated           // the payload ends before a field it announces
    case malformed           // counts disagree, invalid UTF-8, bad enum value, trailing bytes
  }

  public var code: Code
  public var message: String
  /// The request id from the frame header, once the header has been read.
  public var requestID: UInt64?
  /// The message kind being decoded, when known.
  public var kind: MessageKind?

  public init(_ code: Code, _ message: String, requestID: UInt64? = nil, kind: MessageKind? = nil)
  {
    self.code = code
    self.message = message
    self.requestID = requestID
    self.kind = kind
  }

  /// The same error with missing context filled in (the payload reader knows less than the frame).
  public func with(requestID: UInt64? = nil, kind: MessageKind? = nil) -> ProtoError {
    var e = self
    if e.requestID == nil { e.requestID = requestID }
    if e.kind == nil { e.kind = kind }
    return e
  }

  public var description: String {
    var ctx: [String] = []
    if let kind { ctx.append("\(kind)") }
    if let requestID { ctx.append("request \(requestID)") }
    let prefix = ctx.isEmpty ? "" : ctx.joined(separator: ", ") + ": "
    return "proto: \(prefix)\(code.rawValue): \(message)"
  }
}
