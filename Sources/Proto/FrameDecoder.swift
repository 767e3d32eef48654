/// Incremental frame decoding (swift-nio's single-step decoder contract): call `decode(buffer:)`
/// whenever bytes arrive and until it returns nil.
///
/// - returns a `Frame` and consumes exactly its bytes, leaving any following bytes in the buffer;
/// - returns `nil` when the buffer does not yet hold a whole frame ("need more bytes"), having
///   consumed nothing it cannot resume from;
/// - throws a `ProtoError` for a corrupt or oversized frame. Errors are final: the stream can no
///   longer be trusted to be in step, so the caller closes the connection.
///
/// Checks happen as early as the bytes allow: the magic as soon as its first byte arrives (a
/// peer sending `GET /` is refused after one byte), then version, kind and the payload length
/// against `maxPayload` — all before a byte of payload is buffered or allocated.
public struct FrameDecoder: Sendable {
  /// Largest payload accepted; longer claims throw `frameTooLarge` before any allocation.
  public var maxPayload: Int
  /// Whether frames flagged `uncheckedPayload` (no crc32) are accepted. Off by default: a
  /// receiver opts in only for replies it asked to be unchecked, on a link it trusts.
  public var acceptsUncheckedPayload = false

  /// The header of the frame whose payload is still arriving.
  private var pending: Header?

  struct Header {
    var kind: MessageKind
    var flags: UInt32
    var requestID: UInt64
    var length: Int
    var crc: UInt32
  }

  public init(maxPayload: Int = Proto.defaultMaxPayload) {
    precondition(maxPayload >= 0)
    self.maxPayload = maxPayload
  }

  /// Total bytes of the frame now arriving (header + payload), once its header is in; receivers
  /// use it to size one read for a large frame.
  public var pendingFrameSize: Int? { pending.map { Proto.headerSize + $0.length } }

  public mutating func decode(buffer: inout InboundBuffer) throws -> Frame? {
    if pending == nil {
      let available = min(buffer.readableBytes, 4)
      for i in 0..<available where buffer.peekUInt8(at: i) != Proto.magic[i] {
        let seen = (0..<available).map { hex(buffer.peekUInt8(at: $0)) }.joined(separator: " ")
        throw ProtoError(.badMagic, "frame starts with \(seen), expected 47 55 53 54 (\"GUST\"): "
          + "not a Gust peer, or the stream is out of step")
      }
      guard buffer.readableBytes >= Proto.headerSize else { return nil }
      let version = buffer.peekLE(UInt16.self, at: 4)
      let rawKind = buffer.peekLE(UInt16.self, at: 6)
      let flags = buffer.peekLE(UInt32.self, at: 8)
      let requestID = buffer.peekLE(UInt64.self, at: 12)
      let length = Int(buffer.peekLE(UInt32.self, at: 20))
      let crc = buffer.peekLE(UInt32.self, at: 24)
      guard version == Proto.version else {
        throw ProtoError(.unsupportedVersion, "peer speaks protocol version \(version), this "
          + "build speaks \(Proto.version): run the same Gust build everywhere",
          requestID: requestID)
      }
      guard let kind = MessageKind(rawValue: rawKind) else {
        throw ProtoError(.unknownKind, "unknown message kind 0x\(String(rawKind, radix: 16))",
                         requestID: requestID)
      }
      guard length <= maxPayload else {
        throw ProtoError(.frameTooLarge, "payload length \(length) bytes exceeds the limit of "
          + "\(maxPayload) bytes", requestID: requestID, kind: kind)
      }
      buffer.moveReaderIndex(forwardBy: Proto.headerSize)
      pending = Header(kind: kind, flags: flags, requestID: requestID, length: length, crc: crc)
    }
    guard let header = pending, buffer.readableBytes >= header.length else { return nil }
    let payload = buffer.readBytes(header.length)
    return try finish(payload)
  }

  /// For receivers that read a large payload straight into an array of their own instead of
  /// buffering it: once `decode` has returned nil with `pendingFrameSize` known, move the bytes
  /// already buffered (`buffer.readableBytes`, at most the payload length) and the rest from the
  /// socket into one array of exactly `pendingFrameSize - Proto.headerSize` bytes, and hand it
  /// here. Checks the crc32 like `decode` and returns the frame.
  public mutating func completePending(payload: [UInt8]) throws -> Frame {
    guard let header = pending else {
      preconditionFailure("completePending without a pending frame header")
    }
    precondition(payload.count == header.length, "payload of \(payload.count) bytes for a "
      + "\(header.length)-byte frame")
    return try finish(payload)
  }

  /// The envelope of the frame whose payload is still arriving (its header has been consumed).
  public struct PendingHeader: Equatable, Sendable {
    public var kind: MessageKind
    public var flags: UInt32
    public var requestID: UInt64
    public var length: Int
  }

  /// The pending frame's envelope, once its header is in (receivers that place a payload
  /// themselves decide from it where the bytes go).
  public var pendingHeader: PendingHeader? {
    pending.map { PendingHeader(kind: $0.kind, flags: $0.flags, requestID: $0.requestID, length: $0.length) }
  }

  /// For receivers that read a pending payload somewhere else entirely (scattered into the
  /// caller's memory): ends the pending frame after its `length` bytes have been read, checking
  /// the crc32 — `crc` computes the payload's crc32 over wherever it landed, called only when
  /// the frame carries one — or, for an unchecked frame, that this receiver accepts those.
  /// Returns the envelope; the frame's payload is not kept.
  public mutating func completePendingElsewhere(crc: () -> UInt32) throws -> PendingHeader {
    guard let header = pending else {
      preconditionFailure("completePendingElsewhere without a pending frame header")
    }
    pending = nil
    try check(header, crc: crc)
    return PendingHeader(kind: header.kind, flags: header.flags, requestID: header.requestID,
                         length: header.length)
  }

  private func check(_ header: Header, crc: () -> UInt32) throws {
    if header.flags & Proto.Flags.uncheckedPayload != 0 {
      guard acceptsUncheckedPayload else {
        throw ProtoError(.checksumMismatch, "the peer sent a payload without a crc32 "
          + "(flag uncheckedPayload) but this receiver requires one",
          requestID: header.requestID, kind: header.kind)
      }
    } else {
      let actual = crc()
      guard actual == header.crc else {
        throw ProtoError(.checksumMismatch, "payload crc32 0x\(String(actual, radix: 16)) differs "
          + "from the header's 0x\(String(header.crc, radix: 16)) (\(header.length) bytes)",
          requestID: header.requestID, kind: header.kind)
      }
    }
  }

  private mutating func finish(_ payload: [UInt8]) throws -> Frame {
    let header = pending!
    pending = nil
    try check(header) { CRC32.checksum(payload) }
    return Frame(kind: header.kind, flags: header.flags, requestID: header.requestID,
                 payload: payload)
  }

  private func hex(_ b: UInt8) -> String {
    let s = String(b, radix: 16)
    return s.count == 1 ? "0" + s : s
  }
}
