#if _endian(big)
#error("Parquet's PLAIN kernels copy little-endian values as they are; big-endian hosts are not supported")
#endif

/// PLAIN decoding into caller buffers. Every function checks that the page holds the values
/// before touching the output and returns the bytes it consumed.
public enum Plain {
  /// Days between the Julian day 0 and 1970-01-01 (INT96 timestamps).
  public static let julianDayOfUnixEpoch: Int64 = 2_440_588
  public static let nanosecondsPerDay: Int64 = 86_400_000_000_000

  public static func decodeInt32(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Int32>) throws -> Int {
    try copyFixed(data, count: count, into: UnsafeMutableRawPointer(dst), width: 4, "INT32")
  }

  public static func decodeInt64(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Int64>) throws -> Int {
    try copyFixed(data, count: count, into: UnsafeMutableRawPointer(dst), width: 8, "INT64")
  }

  public static func decodeFloat(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Float>) throws -> Int {
    try copyFixed(data, count: count, into: UnsafeMutableRawPointer(dst), width: 4, "FLOAT")
  }

  public static func decodeDouble(_ data: UnsafeRawBufferPointer, count: Int,
                                  into dst: UnsafeMutablePointer<Double>) throws -> Int {
    try copyFixed(data, count: count, into: UnsafeMutableRawPointer(dst), width: 8, "DOUBLE")
  }

  /// FIXED_LEN_BYTE_ARRAY of `width` bytes each, copied contiguously (`count * width` bytes).
  public static func decodeFixedLenByteArray(_ data: UnsafeRawBufferPointer, width: Int, count: Int,
                                             into dst: UnsafeMutableRawPointer) throws -> Int {
    guard width >= 0 else { throw ParquetError(.corrupt, "FIXED_LEN_BYTE_ARRAY width \(width) is negative") }
    return try copyFixed(data, count: count, into: dst, width: width, "FIXED_LEN_BYTE_ARRAY(\(width))")
  }

  /// INT96 (8 bytes nanoseconds of the day, then 4 bytes Julian day, little-endian) as
  /// nanoseconds since 1970-01-01. As in Arrow, the day is unsigned and the arithmetic wraps
  /// (dates outside 1677...2262 come out as pyarrow reads them).
  public static func decodeInt96(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Int64>) throws -> Int {
    let bytes = try need(data, count: count, width: 12, "INT96")
    guard count > 0 else { return 0 }
    let src = data.baseAddress!
    for i in 0..<count {
      let nanos = Int64(littleEndian: src.loadUnaligned(fromByteOffset: i * 12, as: Int64.self))
      let day = UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i * 12 + 8, as: UInt32.self))
      dst[i] = int96Nanoseconds(julianDay: day, nanosecondsOfDay: nanos)
    }
    return bytes
  }

  @inline(__always)
  public static func int96Nanoseconds(julianDay: UInt32, nanosecondsOfDay: Int64) -> Int64 {
    (Int64(julianDay) &- julianDayOfUnixEpoch) &* nanosecondsPerDay &+ nanosecondsOfDay
  }

  /// BOOLEAN: bit-packed, LSB first, starting `bitOffset` bits into `data` (so a page can be
  /// decoded in several calls). Returns the bytes consumed from the start of `data` including
  /// the partly used last byte: `(bitOffset + count + 7) / 8`.
  public static func decodeBoolean(_ data: UnsafeRawBufferPointer, bitOffset: Int = 0, count: Int,
                                   into dst: UnsafeMutablePointer<Bool>) throws -> Int {
    guard count >= 0, bitOffset >= 0, count <= data.count * 8 - bitOffset else {
      throw ParquetError(.corrupt,
                         "PLAIN BOOLEAN: \(count) values from bit \(bitOffset) need more than the page's \(data.count) bytes")
    }
    let end = bitOffset + count
    guard count > 0 else { return (end + 7) >> 3 }
    let src = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
    var bit = bitOffset
    var out = dst
    while bit < end && bit & 7 != 0 {
      out.pointee = (src[bit >> 3] >> UInt8(bit & 7)) & 1 != 0
      out += 1; bit += 1
    }
    let table = spreadBitsTable
    table.withUnsafeBufferPointer { spread in
      let raw = UnsafeMutableRawPointer(out)
      var k = 0
      while bit + 8 <= end {
        raw.storeBytes(of: spread[Int(src[bit >> 3])], toByteOffset: k * 8, as: UInt64.self)
        bit += 8; k += 1
      }
      out += k * 8
    }
    while bit < end {
      out.pointee = (src[bit >> 3] >> UInt8(bit & 7)) & 1 != 0
      out += 1; bit += 1
    }
    return (end + 7) >> 3
  }

  /// BYTE_ARRAY: each value a 4-byte little-endian length and its bytes. Appends the values to
  /// `bytes` and their end offsets to `offsets` (which starts as `[0]`, or empty meaning `[0]`;
  /// on return `offsets.last == bytes.count`). Returns the bytes consumed.
  public static func decodeByteArray(_ data: UnsafeRawBufferPointer, count: Int,
                                     offsets: inout [Int32], bytes: inout [UInt8]) throws -> Int {
    if offsets.isEmpty { offsets.append(Int32(truncatingIfNeeded: bytes.count)) }
    precondition(Int(offsets[offsets.count - 1]) == bytes.count, "offsets.last must equal bytes.count")
    guard count >= 0 else { throw ParquetError(.corrupt, "PLAIN BYTE_ARRAY: negative value count \(count)") }
    // Pass 1: check every length against the page, without writing.
    var pos = 0
    var total = 0
    let n = data.count
    for i in 0..<count {
      guard n - pos >= 4 else {
        throw ParquetError(.corrupt, "PLAIN BYTE_ARRAY: length of value \(i) of \(count) truncated at byte \(pos) of \(n)")
      }
      let len = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: pos, as: UInt32.self)))
      pos += 4
      guard len <= n - pos else {
        throw ParquetError(.corrupt, "PLAIN BYTE_ARRAY: value \(i) of \(count) claims \(len) bytes, \(n - pos) left in the page")
      }
      pos += len
      total += len
    }
    try checkOffsetRange(bytes.count + total)
    // Pass 2: copy. Values of up to 16 bytes move as two 8-byte words (the output has 16 bytes
    // of slack, dropped at the end; later values overwrite the excess).
    let firstOffset = offsets.count
    let firstByte = bytes.count
    offsets.append(contentsOf: repeatElement(0, count: count))
    guard count > 0 else { return pos }
    bytes.append(contentsOf: repeatElement(0, count: total + 16))
    let src = data.baseAddress!
    offsets.withUnsafeMutableBufferPointer { off in
      bytes.withUnsafeMutableBytes { out in
        let dst = out.baseAddress!
        var p = 0
        var o = firstByte
        for i in 0..<count {
          let len = Int(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: p, as: UInt32.self)))
          p += 4
          if len <= 16 && p + 16 <= n {
            let a = src.loadUnaligned(fromByteOffset: p, as: UInt64.self)
            let b = src.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self)
            dst.storeBytes(of: a, toByteOffset: o, as: UInt64.self)
            dst.storeBytes(of: b, toByteOffset: o + 8, as: UInt64.self)
          } else if len > 0 {
            (dst + o).copyMemory(from: src + p, byteCount: len)
          }
          p += len
          o += len
          off[firstOffset + i] = Int32(truncatingIfNeeded: o)
        }
      }
    }
    bytes.removeLast(16)
    return pos
  }

  // MARK: - helpers

  @inline(__always)
  static func need(_ data: UnsafeRawBufferPointer, count: Int, width: Int, _ what: String) throws -> Int {
    guard count >= 0, width == 0 || count <= data.count / width else {
      throw ParquetError(.corrupt,
                         "PLAIN \(what): \(count) values need \(count.multipliedReportingOverflow(by: width).partialValue) bytes, the page has \(data.count)")
    }
    return count * width
  }

  @inline(__always)
  static func copyFixed(_ data: UnsafeRawBufferPointer, count: Int, into dst: UnsafeMutableRawPointer,
                        width: Int, _ what: @autoclosure () -> String) throws -> Int {
    guard count >= 0, width == 0 || count <= data.count / width else {
      throw ParquetError(.corrupt,
                         "PLAIN \(what()): \(count) values need \(count.multipliedReportingOverflow(by: width).partialValue) bytes, the page has \(data.count)")
    }
    let bytes = count * width
    if bytes > 0 { dst.copyMemory(from: data.baseAddress!, byteCount: bytes) }
    return bytes
  }

  /// Offsets are Int32 (as Arrow's `string`); a column chunk holding more bytes is refused.
  @inline(__always)
  static func checkOffsetRange(_ end: Int) throws {
    guard end <= Int(Int32.max) else {
      throw ParquetError(.unsupported, "more than 2 GiB of BYTE_ARRAY data in one column chunk (\(end) bytes)")
    }
  }

  /// Byte b → 8 bytes, byte k holding bit k of b.
  static let spreadBitsTable: [UInt64] = (0..<256).map { b in
    var x: UInt64 = 0
    for k in 0..<8 where (b >> k) & 1 != 0 { x |= 1 << UInt64(8 * k) }
    return x
  }
}
