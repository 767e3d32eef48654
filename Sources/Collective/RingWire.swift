/// The framing of ring links (documented in docs/ARCHITECTURE.md, "Wire protocol" → "Ring
/// links"). After the `Net` handshake, a link carries only ring messages: a 28-byte
/// little-endian header, then `length` payload bytes — for data, the floats (or doubles) raw
/// from the caller's buffer, no copy and no checksum (TCP's own, on a link between trainers of one
/// job).
///
/// | offset | size | field    | meaning                                                        |
/// |-------:|-----:|----------|----------------------------------------------------------------|
/// |      0 |    4 | magic    | ASCII `GRNG` (`47 52 4E 47`)                                   |
/// |      4 |    1 | op       | 1 allReduce, 2 broadcast, 3 allGather, 4 barrier, 255 abort     |
/// |      5 |    1 | arg      | allReduce: 0 sum, 1 mean; otherwise 0                           |
/// |      6 |    2 | step     | the schedule step of this message                              |
/// |      8 |    4 | sequence | the operation's number on this communicator (0, 1, 2, …)      |
/// |     12 |    4 | root     | broadcast: the root rank; otherwise 0                          |
/// |     16 |    8 | count    | elements of the whole operation (allGather: values per rank)   |
/// |     24 |    4 | length   | payload bytes of this message                                  |
///
/// A receiver knows exactly which message comes next and compares every field; any difference
/// (another operation, count, root or reduction on the other rank) is a `CollectiveError` naming
/// that rank. Abort (op 255) payload: `u32 culprit rank` (0xFFFFFFFF = none) · `u8 code`
/// (`CollectiveError.Code`) · `u32 reporter rank` · UTF-8 message (the rest, ≤ 1024 bytes).
public struct RingHeader: Equatable, Sendable {
  public static let size = 28
  public static let magic: UInt32 = 0x474E_5247  // "GRNG" little-endian
  public static let maxAbortPayload = 1024 + 9

  public enum Op: UInt8, Sendable {
    case allReduce = 1, broadcast = 2, allGather = 3, barrier = 4, abort = 255

    var name: String {
      switch self {
      case .allReduce: "allReduce"
      case .broadcast: "broadcast"
      case .allGather: "allGather"
      case .barrier: "barrier"
      case .abort: "abort"
      }
    }
  }

  public var op: Op
  public var arg: UInt8
  public var step: UInt16
  public var sequence: UInt32
  public var root: UInt32
  public var count: UInt64
  public var length: UInt32

  public init(op: Op, arg: UInt8 = 0, step: UInt16 = 0, sequence: UInt32, root: UInt32 = 0,
              count: UInt64, length: UInt32) {
    self.op = op
    self.arg = arg
    self.step = step
    self.sequence = sequence
    self.root = root
    self.count = count
    self.length = length
  }

  /// Writes the 28 header bytes at `p`.
  public func write(to p: UnsafeMutableRawPointer) {
    p.storeBytes(of: RingHeader.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
    p.storeBytes(of: op.rawValue, toByteOffset: 4, as: UInt8.self)
    p.storeBytes(of: arg, toByteOffset: 5, as: UInt8.self)
    p.storeBytes(of: step.littleEndian, toByteOffset: 6, as: UInt16.self)
    p.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt32.self)
    p.storeBytes(of: root.littleEndian, toByteOffset: 12, as: UInt32.self)
    p.storeBytes(of: count.littleEndian, toByteOffset: 16, as: UInt64.self)
    p.storeBytes(of: length.littleEndian, toByteOffset: 24, as: UInt32.self)
  }

  public var bytes: [UInt8] {
    var out = [UInt8](repeating: 0, count: RingHeader.size)
    out.withUnsafeMutableBytes { write(to: $0.baseAddress!) }
    return out
  }

  /// Parses 28 bytes; nil `op` or magic → a description of what arrived instead.
  public static func parse(_ p: UnsafeRawPointer) -> Result<RingHeader, RingWireError> {
    let magic = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
    guard magic == RingHeader.magic else {
      let hex = (0..<4).map { String(p.load(fromByteOffset: $0, as: UInt8.self), radix: 16) }
      return .failure(RingWireError(text: "sent bytes that are not a ring message header (magic \(hex.joined(separator: " ")))"))
    }
    let rawOp = p.load(fromByteOffset: 4, as: UInt8.self)
    guard let op = Op(rawValue: rawOp) else {
      return .failure(RingWireError(text: "sent a ring message of unknown op \(rawOp)"))
    }
    return .success(RingHeader(
      op: op,
      arg: p.load(fromByteOffset: 5, as: UInt8.self),
      step: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self)),
      sequence: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
      root: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
      count: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
      length: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt32.self))))
  }

  public static func parse(_ bytes: [UInt8]) -> Result<RingHeader, RingWireError> {
    precondition(bytes.count >= size)
    return bytes.withUnsafeBytes { parse($0.baseAddress!) }
  }

  /// "allReduce #3 (sum of 1000 floats)" — for mismatch messages.
  var what: String {
    switch op {
    case .allReduce: "allReduce #\(sequence) (\(arg == 1 ? "mean" : "sum") of \(count) floats)"
    case .broadcast: "broadcast #\(sequence) (\(count) floats from rank \(root))"
    case .allGather: "allGather #\(sequence) (\(count) values per rank)"
    case .barrier: "barrier #\(sequence)"
    case .abort: "abort"
    }
  }
}

/// Why 28 bytes are not a ring header ("sent …", to follow "rank N").
public struct RingWireError: Error, Sendable {
  public let text: String
}

/// What an abort message carries: who is at fault, as the first rank to notice it saw it.
public struct RingAbort: Equatable, Sendable {
  public var culprit: Int?
  public var code: CollectiveError.Code
  public var reporter: Int
  public var message: String

  public init(culprit: Int?, code: CollectiveError.Code, reporter: Int, message: String) {
    self.culprit = culprit
    self.code = code
    self.reporter = reporter
    self.message = message
  }

  public var payload: [UInt8] {
    var out: [UInt8] = []
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    u32(culprit.map { UInt32($0) } ?? UInt32.max)
    out.append(code.rawValue)
    u32(UInt32(reporter))
    out.append(contentsOf: Array(message.utf8.prefix(1024)))
    return out
  }

  public init?(payload: [UInt8]) {
    guard payload.count >= 9 else { return nil }
    func u32(_ at: Int) -> UInt32 {
      payload.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }
    let c = u32(0)
    culprit = c == UInt32.max ? nil : Int(c)
    code = CollectiveError.Code(rawValue: payload[4]) ?? .protocolViolation
    reporter = Int(u32(5))
    message = String(decoding: payload[9...], as: UTF8.self)
  }
}
