/// Enumerations and the logical-type union of `parquet.thrift`. Unknown enum values read from a
/// file are kept as their raw number (`.other`) so that a newer writer does not make the whole
/// footer unreadable; the column that uses them reports `.unsupported` when read.

public enum PhysicalType: Int32, Sendable, CustomStringConvertible {
  case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6
  case fixedLenByteArray = 7

  public var description: String {
    switch self {
    case .boolean: "BOOLEAN"
    case .int32: "INT32"
    case .int64: "INT64"
    case .int96: "INT96"
    case .float: "FLOAT"
    case .double: "DOUBLE"
    case .byteArray: "BYTE_ARRAY"
    case .fixedLenByteArray: "FIXED_LEN_BYTE_ARRAY"
    }
  }
}

public enum Repetition: Int32, Sendable {
  case required = 0, optional = 1, repeated = 2
}

public enum ConvertedType: Int32, Sendable {
  case utf8 = 0, map = 1, mapKeyValue = 2, list = 3, enumType = 4, decimal = 5, date = 6
  case timeMillis = 7, timeMicros = 8, timestampMillis = 9, timestampMicros = 10
  case uint8 = 11, uint16 = 12, uint32 = 13, uint64 = 14
  case int8 = 15, int16 = 16, int32 = 17, int64 = 18
  case json = 19, bson = 20, interval = 21
}

/// The thrift `Encoding` enum (named so to leave `Encoding` free for the encoders).
public enum ColumnEncoding: Int32, Sendable {
  case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
  case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
}

public enum PageType: Int32, Sendable {
  case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3
}

public enum TimeUnit: Sendable, Equatable {
  case millis, micros, nanos
}

/// The `LogicalType` union. Members Gust does not interpret are kept as `.other(fieldId)`.
public enum LogicalType: Sendable, Equatable {
  case string
  case map
  case list
  case enumType
  case decimal(scale: Int32, precision: Int32)
  case date
  case time(isAdjustedToUTC: Bool, unit: TimeUnit)
  case timestamp(isAdjustedToUTC: Bool, unit: TimeUnit)
  case integer(bitWidth: Int8, isSigned: Bool)
  case unknown  // the NullType
  case json
  case bson
  case uuid
  case float16
  case other(Int16)
}

extension TimeUnit {
  static func read(_ r: inout ThriftReader) throws -> TimeUnit {
    var unit: TimeUnit?
    try r.readStruct { r, id, t in
      switch id {
      case 1: unit = .millis
      case 2: unit = .micros
      case 3: unit = .nanos
      default: break
      }
      try r.skip(t)  // the members are empty structs
    }
    guard let unit else { throw ParquetError(.corrupt, "TimeUnit union with no known member") }
    return unit
  }

  func write(_ w: inout ThriftWriter) {
    w.writeStruct { w in
      switch self {
      case .millis: w.field(1, emptyStruct: ())
      case .micros: w.field(2, emptyStruct: ())
      case .nanos: w.field(3, emptyStruct: ())
      }
    }
  }
}

extension LogicalType {
  static func read(_ r: inout ThriftReader) throws -> LogicalType {
    var result: LogicalType?
    try r.readStruct { r, id, t in
      guard t == .struct else {
        try r.skip(t)
        return
      }
      switch id {
      case 1: result = .string; try r.skip(t)
      case 2: result = .map; try r.skip(t)
      case 3: result = .list; try r.skip(t)
      case 4: result = .enumType; try r.skip(t)
      case 5:
        var scale: Int32 = 0, precision: Int32 = 0
        try r.readStruct { r, id, t in
          switch id {
          case 1: scale = try r.i32(t, "DecimalType.scale")
          case 2: precision = try r.i32(t, "DecimalType.precision")
          default: try r.skip(t)
          }
        }
        result = .decimal(scale: scale, precision: precision)
      case 6: result = .date; try r.skip(t)
      case 7, 8:
        var utc = false
        var unit = TimeUnit.millis
        try r.readStruct { r, id, t in
          switch id {
          case 1: utc = try r.bool(t, "isAdjustedToUTC")
          case 2: try r.expect(t, .struct, "unit"); unit = try TimeUnit.read(&r)
          default: try r.skip(t)
          }
        }
        result = id == 7 ? .time(isAdjustedToUTC: utc, unit: unit)
          : .timestamp(isAdjustedToUTC: utc, unit: unit)
      case 10:
        var width: Int8 = 0
        var signed = true
        try r.readStruct { r, id, t in
          switch id {
          case 1: width = try r.i8(t, "IntType.bitWidth")
          case 2: signed = try r.bool(t, "IntType.isSigned")
          default: try r.skip(t)
          }
        }
        result = .integer(bitWidth: width, isSigned: signed)
      case 11: result = .unknown; try r.skip(t)
      case 12: result = .json; try r.skip(t)
      case 13: result = .bson; try r.skip(t)
      case 14: result = .uuid; try r.skip(t)
      case 15: result = .float16; try r.skip(t)
      default: result = .other(id); try r.skip(t)
      }
    }
    return result ?? .other(0)
  }

  func write(_ w: inout ThriftWriter) {
    w.writeStruct { w in
      switch self {
      case .string: w.field(1, emptyStruct: ())
      case .map: w.field(2, emptyStruct: ())
      case .list: w.field(3, emptyStruct: ())
      case .enumType: w.field(4, emptyStruct: ())
      case .decimal(let scale, let precision):
        w.field(5) { w in
          w.field(1, i32: scale)
          w.field(2, i32: precision)
        }
      case .date: w.field(6, emptyStruct: ())
      case .time(let utc, let unit), .timestamp(let utc, let unit):
        let id: Int16
        if case .time = self { id = 7 } else { id = 8 }
        w.field(id) { w in
          w.field(1, bool: utc)
          w.fieldHeader(2, .struct)
          unit.write(&w)
        }
      case .integer(let width, let signed):
        w.field(10) { w in
          w.field(1, i8: width)
          w.field(2, bool: signed)
        }
      case .unknown: w.field(11, emptyStruct: ())
      case .json: w.field(12, emptyStruct: ())
      case .bson: w.field(13, emptyStruct: ())
      case .uuid: w.field(14, emptyStruct: ())
      case .float16: w.field(15, emptyStruct: ())
      case .other(let id): w.field(id, emptyStruct: ())
      }
    }
  }
}
