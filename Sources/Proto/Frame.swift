/// One decoded frame: the envelope fields a receiver acts on, and the payload whose crc32 has
/// been verified. `Message.decode(kind:payload:)` turns the payload into a message.
public struct Frame: Equatable, Sendable {
  public var kind: MessageKind
  public var flags: UInt32
  public var requestID: UInt64
  public var payload: [UInt8]

  public init(kind: MessageKind, flags: UInt32 = 0, requestID: UInt64, payload: [UInt8]) {
    self.kind = kind
    self.flags = flags
    self.requestID = requestID
    self.payload = payload
  }

  /// The payload decoded as the message its kind names.
  public func message() throws -> Message {
    try Message.decode(kind: kind, payload: payload)
  }

  /// Header + payload, ready to send.
  public func encoded() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(Proto.headerSize + payload.count)
    let crc = flags & Proto.Flags.uncheckedPayload != 0 ? 0 : CRC32.checksum(payload)
    Frame.appendHeader(to: &out, kind: kind, flags: flags, requestID: requestID,
                       payloadLength: payload.count, crc: crc)
    out.append(contentsOf: payload)
    return out
  }

  /// Appends the 28-byte header (layout: Proto.swift).
  static func appendHeader(to out: inout [UInt8], kind: MessageKind, flags: UInt32,
                           requestID: UInt64, payloadLength: Int, crc: UInt32) {
    out.append(contentsOf: headerBytes(kind: kind, flags: flags, requestID: requestID,
                                       payloadLength: payloadLength, crc: crc))
  }

  /// The 28-byte header of a frame whose payload (of `payloadLength` bytes, with crc32 `crc` —
  /// 0 with `uncheckedPayload`) is written separately (a writev of pieces).
  public static func headerBytes(kind: MessageKind, flags: UInt32, requestID: UInt64,
                          payloadLength: Int, crc: UInt32) -> [UInt8] {
    precondition(payloadLength >= 0 && payloadLength <= Int(UInt32.max),
                 "payload of \(payloadLength) bytes cannot be framed")
    var w = WireWriter(reservingCapacity: Proto.headerSize)
    w.write(Proto.magicValue)
    w.write(Proto.version)
    w.write(kind.rawValue)
    w.write(flags)
    w.write(requestID)
    w.write(UInt32(payloadLength))
    w.write(crc)
    return w.bytes
  }

  /// Writes the 28-byte header into the first `Proto.headerSize` bytes of `frame`, whose rest is
  /// the payload (a sender that built the payload in place, after reserved header bytes). The
  /// crc32 is computed unless `flags` has `uncheckedPayload`.
  public static func seal(_ frame: inout [UInt8], kind: MessageKind, requestID: UInt64,
                          flags: UInt32 = 0) {
    precondition(frame.count >= Proto.headerSize, "a frame needs its \(Proto.headerSize) header bytes")
    let length = frame.count - Proto.headerSize
    let crc = flags & Proto.Flags.uncheckedPayload != 0 ? 0 : frame.withUnsafeBytes {
      CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[Proto.headerSize...]))
    }
    let header = headerBytes(kind: kind, flags: flags, requestID: requestID,
                             payloadLength: length, crc: crc)
    frame.withUnsafeMutableBufferPointer { dst in
      for i in 0..<Proto.headerSize { dst[i] = header[i] }
    }
  }
}

extension Message {
  /// The whole frame (header + payload) for this message, encoded into one buffer (the crc32
  /// left at 0 when `flags` has `uncheckedPayload`).
  public func encodeFrame(requestID: UInt64, flags: UInt32 = 0) -> [UInt8] {
    var w = WireWriter.frame(reservingPayload: estimatedPayloadSize)
    encodePayload(into: &w)
    var bytes = w.take()
    Frame.seal(&bytes, kind: kind, requestID: requestID, flags: flags)
    return bytes
  }
  /// This message as a `Frame` (payload encoded, not yet framed).
  public func frame(requestID: UInt64, flags: UInt32 = 0) -> Frame {
    Frame(kind: kind, flags: flags, requestID: requestID, payload: encodePayload())
  }

  /// Just the payload bytes.
  public func encodePayload() -> [UInt8] {
    var w = WireWriter(reservingCapacity: estimatedPayloadSize)
    encodePayload(into: &w)
    return w.bytes
  }
}
