/// Thrift compact protocol, as Parquet uses it for its footer and page headers.
///
/// Wire summary (from the Thrift compact protocol spec):
/// - integers i16/i32/i64 are zigzag-encoded ULEB128 varints; i8 is one byte; double is 8 bytes LE;
/// - binary/string: varint length, then the bytes;
/// - a field header is one byte `dddd tttt`: `dddd` (1...15) is the delta from the previous field
///   id of the same struct, or 0 followed by the id as a zigzag i16 varint; `tttt` is the type;
///   a bool field carries its value in the type (1 = true, 2 = false); byte 0 ends the struct;
/// - a list/set header is one byte `ssss tttt` (size 0...14, or 15 followed by a varint size);
/// - a map header is a varint size, then (when size > 0) one byte `kkkk vvvv`.
public enum ThriftType: UInt8, Sendable {
  case stop = 0
  case boolTrue = 1
  case boolFalse = 2
  case byte = 3
  case i16 = 4
  case i32 = 5
  case i64 = 6
  case double = 7
  case binary = 8
  case list = 9
  case set = 10
  case map = 11
  case `struct` = 12
  case uuid = 13
}

/// A bounds-checked reader over bytes. Every length is checked against what is left before it is
/// used; nesting is limited to `maxDepth` so a hostile footer cannot exhaust the stack.
public struct ThriftReader {
  public static let maxDepth = 64
  /// Upper bound on list/map sizes independent of remaining bytes (each element needs ≥ 1 byte,
  /// except bools in maps and empty structs, which need ≥ 1 byte too: the STOP).
  public let bytes: [UInt8]
  public private(set) var position: Int
  private let end: Int
  private var depth = 0

  public init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
    self.bytes = bytes
    self.position = max(0, min(start, bytes.count))
    self.end = max(self.position, min(end ?? bytes.count, bytes.count))
  }

  public var remaining: Int { end - position }

  @inline(__always)
  private func corrupt(_ what: String) -> ParquetError {
    ParquetError(.corrupt, "thrift: \(what) at byte \(position)")
  }

  public mutating func readByte() throws -> UInt8 {
    guard position < end else { throw corrupt("unexpected end of data") }
    let b = bytes[position]
    position += 1
    return b
  }

  public mutating func readVarint() throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = try readByte()
      if shift == 63 && b > 1 { throw corrupt("varint overflows 64 bits") }
      result |= UInt64(b & 0x7f) << shift
      if b & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 { throw corrupt("varint longer than 10 bytes") }
    }
  }

  @inline(__always)
  private static func unzigzag(_ v: UInt64) -> Int64 {
    Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
  }

  public mutating func readI64() throws -> Int64 { Self.unzigzag(try readVarint()) }

  public mutating func readI32() throws -> Int32 {
    let v = try readI64()
    guard let r = Int32(exactly: v) else { throw corrupt("i32 out of range: \(v)") }
    return r
  }

  public mutating func readI16() throws -> Int16 {
    let v = try readI64()
    guard let r = Int16(exactly: v) else { throw corrupt("i16 out of range: \(v)") }
    return r
  }

  public mutating func readI8() throws -> Int8 { Int8(bitPattern: try readByte()) }

  public mutating func readDouble() throws -> Double {
    guard remaining >= 8 else { throw corrupt("truncated double") }
    var bits: UInt64 = 0
    for i in 0..<8 { bits |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
    position += 8
    return Double(bitPattern: bits)
  }

  public mutating func readBinary() throws -> [UInt8] {
    let n = try readVarint()
    guard n <= UInt64(remaining) else {
      throw corrupt("binary length \(n) exceeds the \(remaining) bytes left")
    }
    let r = Array(bytes[position..<position + Int(n)])
    position += Int(n)
    return r
  }

  public mutating func readString() throws -> String {
    String(decoding: try readBinary(), as: UTF8.self)
  }

  /// Reads a list header; returns element type and count (count checked against bytes left).
  public mutating func readListHeader() throws -> (ThriftType, Int) {
    let h = try readByte()
    guard let t = ThriftType(rawValue: h & 0x0f), t != .stop else {
      throw corrupt("bad list element type \(h & 0x0f)")
    }
    var n = UInt64(h >> 4)
    if n == 15 { n = try readVarint() }
    // Every element occupies at least one byte (bools in lists are one byte each).
    guard n <= UInt64(remaining) else {
      throw corrupt("list of \(n) elements exceeds the \(remaining) bytes left")
    }
    return (t, Int(n))
  }

  /// Reads the struct's fields in order, calling `body` with each field id and wire type. The
  /// body must consume the value (use `skip` for fields it does not know).
  public mutating func readStruct(
    _ body: (inout ThriftReader, Int16, ThriftType) throws -> Void
  ) throws {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw corrupt("nesting deeper than \(Self.maxDepth)") }
    var last: Int16 = 0
    while true {
      let h = try readByte()
      if h == 0 { return }
      guard let t = ThriftType(rawValue: h & 0x0f) else {
        throw corrupt("bad field type \(h & 0x0f)")
      }
      let delta = Int16(h >> 4)
      let id = delta == 0 ? try readI16() : last &+ delta
      last = id
      try body(&self, id, t)
    }
  }

  /// Reads a list whose elements are read by `element`.
  public mutating func readList<T>(
    _ expected: ThriftType, _ element: (inout ThriftReader) throws -> T
  ) throws -> [T] {
    let (t, n) = try readListHeader()
    guard t == expected || (n == 0) else {
      throw corrupt("list of \(t) where \(expected) was expected")
    }
    var out: [T] = []
    out.reserveCapacity(n)
    for _ in 0..<n { out.append(try element(&self)) }
    return out
  }

  /// Skips one value of type `t` (any type, nested to `maxDepth`).
  public mutating func skip(_ t: ThriftType) throws {
    switch t {
    case .stop: throw corrupt("STOP where a value was expected")
    case .boolTrue, .boolFalse: return  // value lives in the field header
    case .byte: _ = try readByte()
    case .i16, .i32, .i64: _ = try readVarint()
    case .double: _ = try readDouble()
    case .uuid:
      guard remaining >= 16 else { throw corrupt("truncated uuid") }
      position += 16
    case .binary:
      let n = try readVarint()
      guard n <= UInt64(remaining) else { throw corrupt("binary length \(n) too large") }
      position += Int(n)
    case .struct:
      try readStruct { r, _, ft in try r.skip(ft) }
    case .list, .set:
      try nested {
        let (et, n) = try $0.readListHeader()
        for _ in 0..<n { try $0.skipElement(et) }
      }
    case .map:
      try nested {
        let n = try $0.readVarint()
        guard n <= UInt64($0.remaining) else { throw $0.corrupt("map size \(n) too large") }
        if n == 0 { return }
        let kv = try $0.readByte()
        guard let kt = ThriftType(rawValue: kv >> 4), let vt = ThriftType(rawValue: kv & 0x0f)
        else { throw $0.corrupt("bad map types") }
        for _ in 0..<n {
          try $0.skipElement(kt)
          try $0.skipElement(vt)
        }
      }
    }
  }

  private mutating func nested(_ body: (inout ThriftReader) throws -> Void) throws {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw corrupt("nesting deeper than \(Self.maxDepth)") }
    try body(&self)
  }

  /// Inside lists/maps, a bool is a whole byte.
  private mutating func skipElement(_ t: ThriftType) throws {
    if t == .boolTrue || t == .boolFalse { _ = try readByte() } else { try skip(t) }
  }

  // MARK: typed field values (check the wire type, then read)

  public mutating func expect(_ t: ThriftType, _ want: ThriftType, _ field: String) throws {
    guard t == want else { throw corrupt("field \(field) has wire type \(t), expected \(want)") }
  }

  public mutating func i32(_ t: ThriftType, _ field: String) throws -> Int32 {
    try expect(t, .i32, field)
    return try readI32()
  }

  public mutating func i64(_ t: ThriftType, _ field: String) throws -> Int64 {
    try expect(t, .i64, field)
    return try readI64()
  }

  public mutating func i16(_ t: ThriftType, _ field: String) throws -> Int16 {
    try expect(t, .i16, field)
    return try readI16()
  }

  public mutating func i8(_ t: ThriftType, _ field: String) throws -> Int8 {
    try expect(t, .byte, field)
    return try readI8()
  }

  public mutating func bool(_ t: ThriftType, _ field: String) throws -> Bool {
    guard t == .boolTrue || t == .boolFalse else {
      throw corrupt("field \(field) has wire type \(t), expected bool")
    }
    return t == .boolTrue
  }

  public mutating func binary(_ t: ThriftType, _ field: String) throws -> [UInt8] {
    try expect(t, .binary, field)
    return try readBinary()
  }

  public mutating func string(_ t: ThriftType, _ field: String) throws -> String {
    try expect(t, .binary, field)
    return try readString()
  }

  public mutating func structure<T>(
    _ t: ThriftType, _ field: String, _ read: (inout ThriftReader) throws -> T
  ) throws -> T {
    try expect(t, .struct, field)
    return try read(&self)
  }

  public mutating func list<T>(
    _ t: ThriftType, _ elem: ThriftType, _ field: String,
    _ read: (inout ThriftReader) throws -> T
  ) throws -> [T] {
    try expect(t, .list, field)
    return try nestedValue { try $0.readList(elem, read) }
  }

  private mutating func nestedValue<T>(_ body: (inout ThriftReader) throws -> T) throws -> T {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw corrupt("nesting deeper than \(Self.maxDepth)") }
    return try body(&self)
  }
}
