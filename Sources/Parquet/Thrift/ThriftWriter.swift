/// Thrift compact protocol encoder (see `ThriftReader` for the wire summary). Fields must be
/// written in increasing id order within a struct, as Parquet's structs define them.
public struct ThriftWriter {
  public private(set) var bytes: [UInt8] = []
  private var lastField: [Int16] = [0]

  public init() {}

  public mutating func writeByte(_ b: UInt8) { bytes.append(b) }

  public mutating func writeVarint(_ v: UInt64) {
    var v = v
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  public mutating func writeI64(_ v: Int64) {
    writeVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
  }

  public mutating func writeI32(_ v: Int32) { writeI64(Int64(v)) }

  public mutating func writeBinary(_ b: [UInt8]) {
    writeVarint(UInt64(b.count))
    bytes.append(contentsOf: b)
  }

  public mutating func writeString(_ s: String) { writeBinary(Array(s.utf8)) }

  public mutating func writeDouble(_ d: Double) {
    let bits = d.bitPattern
    for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
  }

  /// Field header with the delta form when the id gap is 1...15.
  public mutating func fieldHeader(_ id: Int16, _ t: ThriftType) {
    let last = lastField[lastField.count - 1]
    let delta = Int(id) - Int(last)
    if delta > 0 && delta <= 15 {
      bytes.append(UInt8(delta) << 4 | t.rawValue)
    } else {
      bytes.append(t.rawValue)
      writeI64(Int64(id))
    }
    lastField[lastField.count - 1] = id
  }

  public mutating func listHeader(_ elem: ThriftType, _ count: Int) {
    if count < 15 {
      bytes.append(UInt8(count) << 4 | elem.rawValue)
    } else {
      bytes.append(0xf0 | elem.rawValue)
      writeVarint(UInt64(count))
    }
  }

  /// Writes a struct: `body` writes the fields, then STOP is appended.
  public mutating func writeStruct(_ body: (inout ThriftWriter) -> Void) {
    lastField.append(0)
    body(&self)
    bytes.append(0)
    lastField.removeLast()
  }

  // MARK: fields

  public mutating func field(_ id: Int16, i32 v: Int32) {
    fieldHeader(id, .i32)
    writeI32(v)
  }

  public mutating func field(_ id: Int16, i64 v: Int64) {
    fieldHeader(id, .i64)
    writeI64(v)
  }

  public mutating func field(_ id: Int16, i16 v: Int16) {
    fieldHeader(id, .i16)
    writeI64(Int64(v))
  }

  public mutating func field(_ id: Int16, i8 v: Int8) {
    fieldHeader(id, .byte)
    bytes.append(UInt8(bitPattern: v))
  }

  public mutating func field(_ id: Int16, bool v: Bool) {
    fieldHeader(id, v ? .boolTrue : .boolFalse)
  }

  public mutating func field(_ id: Int16, binary v: [UInt8]) {
    fieldHeader(id, .binary)
    writeBinary(v)
  }

  public mutating func field(_ id: Int16, string v: String) {
    fieldHeader(id, .binary)
    writeString(v)
  }

  public mutating func field(_ id: Int16, struct body: (inout ThriftWriter) -> Void) {
    fieldHeader(id, .struct)
    writeStruct(body)
  }

  /// An empty struct (the marker structs of Parquet's unions, e.g. `StringType`).
  public mutating func field(_ id: Int16, emptyStruct: Void) {
    fieldHeader(id, .struct)
    bytes.append(0)
  }

  public mutating func field(_ id: Int16, i32List v: [Int32]) {
    fieldHeader(id, .list)
    listHeader(.i32, v.count)
    for x in v { writeI32(x) }
  }

  public mutating func field(_ id: Int16, stringList v: [String]) {
    fieldHeader(id, .list)
    listHeader(.binary, v.count)
    for x in v { writeString(x) }
  }

  public mutating func field<T>(
    _ id: Int16, structList v: [T], _ element: (inout ThriftWriter, T) -> Void
  ) {
    fieldHeader(id, .list)
    listHeader(.struct, v.count)
    for x in v { writeStruct { element(&$0, x) } }
  }
}
