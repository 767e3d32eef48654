/// A message body that writes itself with a `WireWriter` and reads itself back with a
/// `WireReader`. Readers check structural consistency (parallel arrays of equal length, rows
/// that fill whole widths) so that a decoded message is always well formed; whether ids and names
/// exist is the receiver's business.
public protocol PayloadCodable: Equatable, Sendable {
  func encode(into w: inout WireWriter)
  init(from r: inout WireReader) throws
  /// A guess at the encoded size, used to reserve the buffer once.
  var estimatedSize: Int { get }
}

/// Rows of floats: `u32 width` + `[f32] values`, row-major, `values.count == rows × width`.
/// Width 0 carries no values.
public struct FloatRows: PayloadCodable {
  public var width: Int
  public var values: [Float]

  public init(width: Int, values: [Float]) {
    precondition(width >= 0 && width <= Int(UInt32.max), "width \(width) out of range")
    precondition(width == 0 ? values.isEmpty : values.count % width == 0,
                 "\(values.count) values do not fill rows of width \(width)")
    self.width = width
    self.values = values
  }

  public var rowCount: Int { width == 0 ? 0 : values.count / width }

  public func encode(into w: inout WireWriter) {
    w.write(UInt32(width))
    w.write(values)
  }

  public init(from r: inout WireReader) throws {
    let width = Int(try r.readUInt32("width"))
    let values = try r.readFloats("rows")
    if width == 0 ? !values.isEmpty : values.count % width != 0 {
      throw ProtoError(.malformed, "\(values.count) values do not fill rows of width \(width)")
    }
    self.width = width
    self.values = values
  }

  public var estimatedSize: Int { 8 + 4 * values.count }
}

/// A typed column of rows (labels and masks): `u8 type` (1 = f32, 2 = i64, 3 = u8) + `u32 width`
/// + the values as a block of that type; `values.count == rows × width` as for `FloatRows`.
public enum Column: PayloadCodable {
  case float32(width: Int, values: [Float])
  case int64(width: Int, values: [Int64])
  case uint8(width: Int, values: [UInt8])

  public var width: Int {
    switch self {
    case .float32(let w, _), .int64(let w, _), .uint8(let w, _): w
    }
  }

  public var count: Int {
    switch self {
    case .float32(_, let v): v.count
    case .int64(_, let v): v.count
    case .uint8(_, let v): v.count
    }
  }

  public var rowCount: Int { width == 0 ? 0 : count / width }

  public func encode(into w: inout WireWriter) {
    precondition(width >= 0 && width <= Int(UInt32.max)
                 && (width == 0 ? count == 0 : count % width == 0),
                 "\(count) values do not fill rows of width \(width)")
    switch self {
    case .float32(let width, let values):
      w.write(UInt8(1)); w.write(UInt32(width)); w.write(values)
    case .int64(let width, let values):
      w.write(UInt8(2)); w.write(UInt32(width)); w.write(values)
    case .uint8(let width, let values):
      w.write(UInt8(3)); w.write(UInt32(width)); w.writeBytes(values)
    }
  }

  public init(from r: inout WireReader) throws {
    let type = try r.readUInt8("column type")
    let width = Int(try r.readUInt32("width"))
    switch type {
    case 1: self = .float32(width: width, values: try r.readFloats("f32 column"))
    case 2: self = .int64(width: width, values: try r.readInt64s("i64 column"))
    case 3: self = .uint8(width: width, values: try r.readBytes("u8 column"))
    default: throw ProtoError(.malformed, "column type \(type), expected 1 (f32), 2 (i64), 3 (u8)")
    }
    if width == 0 ? count != 0 : count % width != 0 {
      throw ProtoError(.malformed, "\(count) values do not fill rows of width \(width)")
    }
  }

  public var estimatedSize: Int {
    switch self {
    case .float32(_, let v): 9 + 4 * v.count
    case .int64(_, let v): 9 + 8 * v.count
    case .uint8(_, let v): 9 + v.count
    }
  }
}

extension WireWriter {
  public mutating func write<T: PayloadCodable>(_ list: [T]) {
    writeCount(list.count)
    for x in list { x.encode(into: &self) }
  }
}

extension WireReader {
  /// `u32 count` + records, each at least `minimumSize` bytes (checked before allocating).
  public mutating func readList<T: PayloadCodable>(_: T.Type, minimumSize: Int, _ what: String)
    throws -> [T]
  {
    let n = try readCount(minimumElementSize: minimumSize, what)
    var out: [T] = []
    out.reserveCapacity(n)
    for _ in 0..<n { out.append(try T(from: &self)) }
    return out
  }
}

func stringsSize(_ s: [String]) -> Int { 4 + s.reduce(0) { $0 + 4 + $1.utf8.count } }
