/// Typed values of one column for one row group (or many, after `append`).
///
/// Logical types are applied: STRING stays bytes (`.string`), ints of 8–32 bits become `Int32`
/// (UINT_32 becomes `Int64`, UINT_64 `UInt64`), DATE is days since 1970-01-01 (`.date`),
/// TIMESTAMP keeps **its file's unit** (`.timestamp(values, unit:)`, since the Unix epoch; one
/// fixed unit would either overflow — millis/micros data beyond 1677...2262 in nanoseconds — or
/// drop precision); INT96 becomes nanoseconds (wrapping like Arrow for dates past 2262); use
/// `nanoseconds()`/`microseconds()` for one unit. DECIMAL becomes `Double`, FLOAT16 `Float`.
///
/// Null slots hold a zero value (an empty byte string) so that arrays stay dense.
public enum ColumnValues: Sendable, Equatable {
  case bool([Bool])
  case int32([Int32])
  case int64([Int64])
  case uint64([UInt64])
  case float([Float])
  case double([Double])
  case date([Int32])
  case timestamp([Int64], unit: TimeUnit)
  /// UTF-8 strings: value i is `bytes[offsets[i]..<offsets[i+1]]`.
  case string(offsets: [Int32], bytes: [UInt8])
  case binary(offsets: [Int32], bytes: [UInt8])
  /// Fixed-width binary: value i is `bytes[i*width..<(i+1)*width]`.
  case fixedBinary(width: Int, bytes: [UInt8])

  public var count: Int {
    switch self {
    case .bool(let v): v.count
    case .int32(let v), .date(let v): v.count
    case .int64(let v), .timestamp(let v, _): v.count
    case .uint64(let v): v.count
    case .float(let v): v.count
    case .double(let v): v.count
    case .string(let o, _), .binary(let o, _): max(0, o.count - 1)
    case .fixedBinary(let w, let b): w == 0 ? 0 : b.count / w
    }
  }

  /// The strings of a `.string` or `.binary` column (nulls as "").
  public var strings: [String]? {
    switch self {
    case .string(let o, let b), .binary(let o, let b):
      return (0..<max(0, o.count - 1)).map {
        String(decoding: b[Int(o[$0])..<Int(o[$0 + 1])], as: UTF8.self)
      }
    default: return nil
    }
  }

  /// Timestamps in one unit: `.nanos` or `.micros` or `.millis` (exact when converting to a
  /// finer unit; throws `.unsupported` on Int64 overflow; truncates toward zero when coarser).
  public func timestamps(in target: TimeUnit) throws -> [Int64] {
    guard case .timestamp(let v, let unit) = self else {
      throw ParquetError(.invalidArgument, "not a timestamp column")
    }
    func scale(_ u: TimeUnit) -> Int64 { u == .millis ? 1 : u == .micros ? 1_000 : 1_000_000 }
    let from = scale(unit), to = scale(target)
    if from == to { return v }
    if to > from {
      let m = to / from
      return try v.map {
        let (r, o) = $0.multipliedReportingOverflow(by: m)
        if o { throw ParquetError(.unsupported, "timestamp \($0) overflows Int64 in \(target)") }
        return r
      }
    }
    return v.map { $0 / (from / to) }
  }

  /// Appends another chunk of the same case (row groups of one column).
  mutating func append(_ other: ColumnValues) throws {
    switch (self, other) {
    case (.bool(var a), .bool(let b)): a += b; self = .bool(a)
    case (.int32(var a), .int32(let b)): a += b; self = .int32(a)
    case (.date(var a), .date(let b)): a += b; self = .date(a)
    case (.int64(var a), .int64(let b)): a += b; self = .int64(a)
    case (.timestamp(var a, let u), .timestamp(let b, let u2)) where u == u2:
      a += b; self = .timestamp(a, unit: u)
    case (.uint64(var a), .uint64(let b)): a += b; self = .uint64(a)
    case (.float(var a), .float(let b)): a += b; self = .float(a)
    case (.double(var a), .double(let b)): a += b; self = .double(a)
    case (.string(var o, var by), .string(let o2, let b2)):
      ColumnValues.appendOffsets(&o, &by, o2, b2); self = .string(offsets: o, bytes: by)
    case (.binary(var o, var by), .binary(let o2, let b2)):
      ColumnValues.appendOffsets(&o, &by, o2, b2); self = .binary(offsets: o, bytes: by)
    case (.fixedBinary(let w, var a), .fixedBinary(let w2, let b)) where w == w2:
      a += b; self = .fixedBinary(width: w, bytes: a)
    default: throw ParquetError(.invalidArgument, "cannot append columns of different types")
    }
  }

  private static func appendOffsets(_ o: inout [Int32], _ b: inout [UInt8], _ o2: [Int32],
                                    _ b2: [UInt8]) {
    let base = o.last ?? 0
    if o.isEmpty { o.append(0) }
    o.reserveCapacity(o.count + o2.count)
    for x in o2.dropFirst() { o.append(base + x) }
    b += b2
  }
}

public struct ColumnData: Sendable, Equatable {
  /// The projection name (top-level field name for lists, dotted path otherwise).
  public var name: String
  /// Flat columns: one value per row. List columns: the element values of all rows.
  public var values: ColumnValues
  /// Per value: false where null. `nil` when no value is null (as Arrow leaves out the validity
  /// bitmap of an array without nulls): a column that cannot hold nulls, or an optional column
  /// whose values are all present.
  public var validity: [Bool]?
  /// List columns: row i's elements are `values[listOffsets[i]..<listOffsets[i+1]]`.
  public var listOffsets: [Int32]?
  /// List columns: false where the list itself is null. `nil` when no list is null.
  public var listValidity: [Bool]?

  public init(name: String, values: ColumnValues, validity: [Bool]? = nil,
              listOffsets: [Int32]? = nil, listValidity: [Bool]? = nil) {
    self.name = name
    self.values = values
    self.validity = validity
    self.listOffsets = listOffsets
    self.listValidity = listValidity
  }

  public var isList: Bool { listOffsets != nil }

  /// A column with no rows, typed as `leaf` would be read.
  static func empty(for leaf: LeafColumn) -> ColumnData {
    let store = ValueStore(type: leaf.physicalType, width: Int(leaf.element.typeLength ?? 0))
    let values = (try? LogicalConversion.convert(store, leaf.element)) ?? .int32([])
    var levels = LevelAssembler(leaf: leaf)
    levels.finish()
    return ColumnData(name: leaf.name, values: values, validity: levels.validity,
                      listOffsets: levels.listOffsets, listValidity: levels.listValidity)
  }

  public var rowCount: Int {
    if let listOffsets { return max(0, listOffsets.count - 1) }
    return values.count
  }

  /// Null count over values (for lists, over elements).
  public var nullCount: Int { validity.map { $0.lazy.filter { !$0 }.count } ?? 0 }

  /// For a list column whose rows all hold the same number of non-null elements (a vector
  /// column; `fixed_size_list` is stored this way), that number; else nil. Null lists disqualify.
  public var vectorWidth: Int? {
    guard let o = listOffsets, o.count >= 2 else { return nil }
    if let lv = listValidity, lv.contains(false) { return nil }
    if let v = validity, v.contains(false) { return nil }
    let w = o[1] - o[0]
    for i in 1..<(o.count - 1) where o[i + 1] - o[i] != w { return nil }
    return Int(w)
  }

  /// A vector column as one row-major matrix `[rows × width]` of Float (float or double
  /// elements). Throws `.unsupported` if rows differ in length or contain nulls.
  public func floatMatrix() throws -> (values: [Float], rows: Int, width: Int) {
    guard let width = vectorWidth else {
      throw ParquetError(.unsupported, "not a vector column (ragged lists or nulls)", column: name)
    }
    let start = Int(listOffsets![0])
    let n = rowCount * width
    switch values {
    case .float(let v): return (Array(v[start..<start + n]), rowCount, width)
    case .double(let v): return (v[start..<start + n].map { Float($0) }, rowCount, width)
    default:
      throw ParquetError(.unsupported, "vector elements are not float/double", column: name)
    }
  }

  /// Appends the next row group's data of the same column.
  public mutating func append(_ other: ColumnData) throws {
    let before = values.count
    let rowsBefore = rowCount
    if validity != nil || other.validity != nil {
      var v = validity ?? Array(repeating: true, count: before)
      v += other.validity ?? Array(repeating: true, count: other.values.count)
      validity = v
    }
    if let o2 = other.listOffsets {
      var o = listOffsets ?? [0]
      let base = o.last ?? 0
      for x in o2.dropFirst() { o.append(base + x - o2[0]) }
      listOffsets = o
      if listValidity != nil || other.listValidity != nil {
        var lv = listValidity ?? Array(repeating: true, count: rowsBefore)
        lv += other.listValidity ?? Array(repeating: true, count: max(0, o2.count - 1))
        listValidity = lv
      }
    }
    try values.append(other.values)
  }
}
