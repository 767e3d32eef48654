/// A bounds-checked little-endian reader over bytes the caller keeps alive. Every overrun throws
/// `.corrupt` naming what was being read, its position and the buffer's size.
public struct ByteCursor {
  public let buffer: UnsafeRawBufferPointer
  /// Offset of the next byte to read.
  public private(set) var position: Int

  public init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
    precondition(position >= 0 && position <= buffer.count, "ByteCursor: start outside the buffer")
    self.buffer = buffer
    self.position = position
  }

  /// Bytes left to read.
  @inlinable public var remaining: Int { buffer.count - position }
  @inlinable public var isAtEnd: Bool { position >= buffer.count }

  /// The unread bytes (no copy).
  public var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[position...]) }

  @inline(__always)
  func need(_ n: Int, _ what: String) throws {
    if n > buffer.count - position || n < 0 {
      throw ParquetError(.corrupt,
                         "truncated: reading \(what) (\(n) bytes) at offset \(position) of \(buffer.count)")
    }
  }

  @inline(__always)
  mutating func load<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
    try need(MemoryLayout<T>.size, what)
    let v = buffer.loadUnaligned(fromByteOffset: position, as: T.self)
    position += MemoryLayout<T>.size
    return T(littleEndian: v)
  }

  public mutating func readUInt8(_ what: String = "byte") throws -> UInt8 {
    try need(1, what)
    let v = buffer[position]
    position += 1
    return v
  }

  public mutating func readUInt16(_ what: String = "uint16") throws -> UInt16 { try load(UInt16.self, what) }
  public mutating func readUInt32(_ what: String = "uint32") throws -> UInt32 { try load(UInt32.self, what) }
  public mutating func readUInt64(_ what: String = "uint64") throws -> UInt64 { try load(UInt64.self, what) }
  public mutating func readInt32(_ what: String = "int32") throws -> Int32 { try load(Int32.self, what) }
  public mutating func readInt64(_ what: String = "int64") throws -> Int64 { try load(Int64.self, what) }

  public mutating func readFloat(_ what: String = "float") throws -> Float {
    Float(bitPattern: try load(UInt32.self, what))
  }

  public mutating func readDouble(_ what: String = "double") throws -> Double {
    Double(bitPattern: try load(UInt64.self, what))
  }

  /// An unsigned LEB128 varint of at most 64 bits (10 bytes).
  public mutating func readULEB128(_ what: String = "varint") throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    let start = position
    while true {
      guard position < buffer.count else {
        throw ParquetError(.corrupt, "truncated: reading \(what) (varint) at offset \(start) of \(buffer.count)")
      }
      let byte = buffer[position]
      position += 1
      if shift == 63 && byte > 1 {
        throw ParquetError(.corrupt, "\(what): varint at offset \(start) overflows 64 bits")
      }
      result |= UInt64(byte & 0x7f) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 {
        throw ParquetError(.corrupt, "\(what): varint at offset \(start) is longer than 10 bytes")
      }
    }
  }

  /// A zigzag-encoded signed varint (`(n << 1) ^ (n >> 63)`).
  public mutating func readZigZagVarint(_ what: String = "zigzag varint") throws -> Int64 {
    let u = try readULEB128(what)
    return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
  }

  /// The next `n` bytes as a slice of the buffer (no copy).
  public mutating func readBytes(_ n: Int, _ what: String = "bytes") throws -> UnsafeRawBufferPointer {
    try need(n, what)
    let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<(position + n)])
    position += n
    return slice
  }

  public mutating func skip(_ n: Int, _ what: String = "bytes") throws {
    try need(n, what)
    position += n
  }

  /// Moves to an absolute offset within the buffer.
  public mutating func seek(to offset: Int) throws {
    guard offset >= 0 && offset <= buffer.count else {
      throw ParquetError(.corrupt, "offset \(offset) outside a buffer of \(buffer.count) bytes")
    }
    position = offset
  }
}

/// Little-endian varint writers (the encoders' side of `ByteCursor`).
enum VarInt {
  @inline(__always)
  static func appendULEB128(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
      out.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    out.append(UInt8(v))
  }

  @inline(__always)
  static func appendZigZag(_ value: Int64, to out: inout [UInt8]) {
    appendULEB128(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &out)
  }
}
