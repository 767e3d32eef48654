import Foundation

/// Applies a leaf's logical (or legacy converted) type to its decoded physical values. See
/// `ColumnValues` for the target of each type.
enum LogicalConversion {
  static func convert(_ s: ValueStore, _ e: SchemaElement) throws -> ColumnValues {
    let logical = e.logicalType ?? fromConverted(e)
    switch (s.type, logical) {
    case (.boolean, _): return .bool(s.bools)
    case (.int32, .integer(let w, let signed)?):
      if signed {
        return .int32(s.i32)
      }
      switch w {
      case 8: return .int32(s.i32.map { Int32(UInt8(truncatingIfNeeded: $0)) })
      case 16: return .int32(s.i32.map { Int32(UInt16(truncatingIfNeeded: $0)) })
      default: return .int64(s.i32.map { Int64(UInt32(bitPattern: $0)) })
      }
    case (.int64, .integer(_, false)?): return .uint64(s.i64.map { UInt64(bitPattern: $0) })
    case (.int32, .date?): return .date(s.i32)
    case (.int64, .timestamp(_, let unit)?): return .timestamp(s.i64, unit: unit)
    case (.int96, _): return .timestamp(s.i64, unit: .nanos)
    case (.int32, .decimal(let scale, _)?):
      let f = pow(10.0, Double(-scale))
      return .double(s.i32.map { Double($0) * f })
    case (.int64, .decimal(let scale, _)?):
      let f = pow(10.0, Double(-scale))
      return .double(s.i64.map { Double($0) * f })
    case (.byteArray, .decimal(let scale, _)?):
      let f = pow(10.0, Double(-scale))
      return .double((0..<s.count).map {
        bigEndianSigned(s.data[Int(s.offsets[$0])..<Int(s.offsets[$0 + 1])]) * f
      })
    case (.fixedLenByteArray, .decimal(let scale, _)?):
      let f = pow(10.0, Double(-scale))
      let w = s.width
      return .double((0..<s.count).map { bigEndianSigned(s.data[$0 * w..<($0 + 1) * w]) * f })
    case (.fixedLenByteArray, .float16?):
      guard s.width == 2 else { throw ParquetError(.corrupt, "FLOAT16 with width \(s.width)") }
      return .float((0..<s.count).map {
        halfToFloat(UInt16(s.data[2 * $0]) | UInt16(s.data[2 * $0 + 1]) << 8)
      })
    case (.int32, _): return .int32(s.i32)
    case (.int64, _): return .int64(s.i64)
    case (.float, _): return .float(s.f32)
    case (.double, _): return .double(s.f64)
    case (.byteArray, .string?), (.byteArray, .enumType?), (.byteArray, .json?):
      return .string(offsets: s.offsets, bytes: s.data)
    case (.byteArray, _): return .binary(offsets: s.offsets, bytes: s.data)
    case (.fixedLenByteArray, _): return .fixedBinary(width: s.width, bytes: s.data)
    }
  }

  static func fromConverted(_ e: SchemaElement) -> LogicalType? {
    switch e.convertedType {
    case .utf8?: return .string
    case .enumType?: return .enumType
    case .json?: return .json
    case .date?: return .date
    case .decimal?: return .decimal(scale: e.scale ?? 0, precision: e.precision ?? 0)
    case .timestampMillis?: return .timestamp(isAdjustedToUTC: true, unit: .millis)
    case .timestampMicros?: return .timestamp(isAdjustedToUTC: true, unit: .micros)
    case .int8?: return .integer(bitWidth: 8, isSigned: true)
    case .int16?: return .integer(bitWidth: 16, isSigned: true)
    case .int32?: return .integer(bitWidth: 32, isSigned: true)
    case .int64?: return .integer(bitWidth: 64, isSigned: true)
    case .uint8?: return .integer(bitWidth: 8, isSigned: false)
    case .uint16?: return .integer(bitWidth: 16, isSigned: false)
    case .uint32?: return .integer(bitWidth: 32, isSigned: false)
    case .uint64?: return .integer(bitWidth: 64, isSigned: false)
    default: return nil
    }
  }

  /// Two's-complement big-endian integer of any width, as a Double.
  static func bigEndianSigned(_ b: ArraySlice<UInt8>) -> Double {
    guard let first = b.first else { return 0 }
    if b.count <= 8 {
      var v: Int64 = first & 0x80 != 0 ? -1 : 0
      for x in b { v = (v << 8) | Int64(x) }
      return Double(v)
    }
    var d = 0.0
    for x in b { d = d * 256 + Double(x) }
    if first & 0x80 != 0 { d -= pow(2.0, Double(8 * b.count)) }
    return d
  }

  /// IEEE 754 binary16 to Float (subnormals, infinities and NaN included).
  static func halfToFloat(_ h: UInt16) -> Float {
    let sign: UInt32 = UInt32(h & 0x8000) << 16
    let exp = Int((h >> 10) & 0x1f)
    let mant = UInt32(h & 0x3ff)
    if exp == 0 {
      let v = Float(mant) * Float(sign != 0 ? -1 : 1) / 16_777_216  // mant × 2^-24
      return v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
  }
}
