/// Reads payload fields from a byte array, bounds-checked: every read and every announced count
/// is checked against the bytes left BEFORE anything is allocated, so a hostile count cannot make
/// the reader allocate more than the payload it already holds. Failures are `ProtoError`s
/// (`truncated` when the payload ends early, `malformed` for content that cannot be right).
public struct WireReader: Sendable {
  public let bytes: [UInt8]
  public private(set) var offset: Int

  public init(_ bytes: [UInt8]) {
    self.bytes = bytes
    self.offset = 0
  }

  public var remaining: Int { bytes.count - offset }
  public var isAtEnd: Bool { offset == bytes.count }

  /// Throws unless every byte has been read: a payload is consumed exactly.
  public func expectEnd() throws {
    if remaining != 0 {
      throw ProtoError(.malformed, "\(remaining) trailing byte(s) after the last field")
    }
  }

  private mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws {
    if n > remaining {
      throw ProtoError(.truncated, "\(what()) needs \(n) byte(s) at offset \(offset), "
        + "\(remaining) left")
    }
  }

  private mutating func readLE<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
    let size = MemoryLayout<T>.size
    try need(size, what)
    let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    offset += size
    return T(littleEndian: v)
  }

  // MARK: scalars

  public mutating func readUInt8(_ what: String = "u8") throws -> UInt8 {
    try readLE(UInt8.self, what)
  }
  public mutating func readUInt16(_ what: String = "u16") throws -> UInt16 {
    try readLE(UInt16.self, what)
  }
  public mutating func readUInt32(_ what: String = "u32") throws -> UInt32 {
    try readLE(UInt32.self, what)
  }
  public mutating func readUInt64(_ what: String = "u64") throws -> UInt64 {
    try readLE(UInt64.self, what)
  }
  public mutating func readInt32(_ what: String = "i32") throws -> Int32 {
    try readLE(Int32.self, what)
  }
  public mutating func readInt64(_ what: String = "i64") throws -> Int64 {
    try readLE(Int64.self, what)
  }
  public mutating func readFloat(_ what: String = "f32") throws -> Float {
    Float(bitPattern: try readLE(UInt32.self, what))
  }
  public mutating func readBool(_ what: String = "bool") throws -> Bool {
    switch try readUInt8(what) {
    case 0: return false
    case 1: return true
    case let b: throw ProtoError(.malformed, "\(what): flag byte \(b), expected 0 or 1")
    }
  }

  /// A `u32` count of elements that each take at least `minimumElementSize` bytes, checked
  /// against what is left (so `count × minimumElementSize ≤ remaining`).
  public mutating func readCount(minimumElementSize: Int, _ what: String) throws -> Int {
    let n = Int(try readUInt32("\(what) count"))
    let (total, overflow) = n.multipliedReportingOverflow(by: max(minimumElementSize, 0))
    if overflow || total > remaining {
      throw ProtoError(.truncated, "\(what): count \(n) needs at least \(total) byte(s), "
        + "\(remaining) left")
    }
    return n
  }

  // MARK: blocks

  public mutating func readBytes(_ what: String = "bytes") throws -> [UInt8] {
    let n = try readCount(minimumElementSize: 1, what)
    let out = Array(bytes[offset..<offset + n])
    offset += n
    return out
  }

  public mutating func readString(_ what: String = "string") throws -> String {
    let n = try readCount(minimumElementSize: 1, what)
    let s = bytes.withUnsafeBytes { raw in
      String(validating: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]), as: UTF8.self)
    }
    guard let s else { throw ProtoError(.malformed, "\(what): not valid UTF-8") }
    offset += n
    return s
  }

  public mutating func readOptionalString(_ what: String = "string?") throws -> String? {
    try readBool("\(what) present") ? try readString(what) : nil
  }

  public mutating func readStrings(_ what: String = "strings") throws -> [String] {
    let n = try readCount(minimumElementSize: 4, what)
    var out: [String] = []
    out.reserveCapacity(n)
    for i in 0..<n { out.append(try readString("\(what)[\(i)]")) }
    return out
  }

  public mutating func readInt32s(_ what: String = "[i32]") throws -> [Int32] {
    try readBlock(Int32.self, what)
  }
  public mutating func readInt64s(_ what: String = "[i64]") throws -> [Int64] {
    try readBlock(Int64.self, what)
  }
  public mutating func readFloats(_ what: String = "[f32]") throws -> [Float] {
    #if _endian(little)
    return try readRaw(Float.self, what)
    #else
    return try readRaw(UInt32.self, what).map { Float(bitPattern: UInt32(littleEndian: $0)) }
    #endif
  }

  private mutating func readBlock<T: FixedWidthInteger & BitwiseCopyable>(_: T.Type, _ what: String) throws -> [T] {
    #if _endian(little)
    return try readRaw(T.self, what)
    #else
    return try readRaw(T.self, what).map { T(littleEndian: $0) }
    #endif
  }

  /// A `[f32]`/`[i32]`/`[i64]` block left in place: its element count and the byte offset of its
  /// first element in `bytes` (for receivers that copy rows straight to where they belong).
  public mutating func skipBlock(elementSize: Int, _ what: String) throws -> (count: Int, offset: Int) {
    let n = try readCount(minimumElementSize: elementSize, what)
    let start = offset
    offset += n * elementSize
    return (n, start)
  }

  /// `u32 count` + `count × size(T)` bytes copied as one block (host byte order).
  private mutating func readRaw<T: BitwiseCopyable>(_: T.Type, _ what: String) throws -> [T] {
    let size = MemoryLayout<T>.size
    let n = try readCount(minimumElementSize: size, what)
    let start = offset
    let out = [T](unsafeUninitializedCapacity: n) { dst, initialized in
      bytes.withUnsafeBytes { src in
        UnsafeMutableRawBufferPointer(dst).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: src[start..<start + n * size]))
      }
      initialized = n
    }
    offset += n * size
    return out
  }
}
