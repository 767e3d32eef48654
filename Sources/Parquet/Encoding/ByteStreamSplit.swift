/// BYTE_STREAM_SPLIT: byte k of every value stored together, stream after stream. The stream
/// length is the number of values the page holds (its size / width), which may exceed the
/// `count` asked for; values are read from the front of each stream.
public enum ByteStreamSplit {
  public static func decodeFloat(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Float>) throws -> Int {
    try decode4(data, count: count, into: UnsafeMutableRawPointer(dst), "FLOAT")
  }

  public static func decodeInt32(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Int32>) throws -> Int {
    try decode4(data, count: count, into: UnsafeMutableRawPointer(dst), "INT32")
  }

  public static func decodeDouble(_ data: UnsafeRawBufferPointer, count: Int,
                                  into dst: UnsafeMutablePointer<Double>) throws -> Int {
    try decode8(data, count: count, into: UnsafeMutableRawPointer(dst), "DOUBLE")
  }

  public static func decodeInt64(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Int64>) throws -> Int {
    try decode8(data, count: count, into: UnsafeMutableRawPointer(dst), "INT64")
  }

  /// FIXED_LEN_BYTE_ARRAY of `width` bytes (e.g. FLOAT16 with width 2), written back to back.
  public static func decodeFixedLenByteArray(_ data: UnsafeRawBufferPointer, width: Int, count: Int,
                                             into dst: UnsafeMutableRawPointer) throws -> Int {
    let stride = try streamLength(data, width: width, count: count, "FIXED_LEN_BYTE_ARRAY(\(width))")
    guard count > 0 else { return stride * width }
    let src = data.baseAddress!
    for k in 0..<width {
      let stream = src + k * stride
      for i in 0..<count {
        dst.storeBytes(of: stream.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i * width + k, as: UInt8.self)
      }
    }
    return stride * width
  }

  /// Splits `values` (count × width bytes) into `width` streams.
  public static func encode(_ values: UnsafeRawBufferPointer, width: Int, into out: inout [UInt8]) {
    precondition(width > 0 && values.count % width == 0, "BYTE_STREAM_SPLIT input is not whole values")
    let count = values.count / width
    out.reserveCapacity(out.count + values.count)
    for k in 0..<width {
      for i in 0..<count { out.append(values[i * width + k]) }
    }
  }

  // MARK: - kernels

  static func streamLength(_ data: UnsafeRawBufferPointer, width: Int, count: Int, _ what: String) throws -> Int {
    guard width > 0 else { throw ParquetError(.corrupt, "BYTE_STREAM_SPLIT \(what): width \(width)") }
    let stride = data.count / width
    guard count >= 0, data.count % width == 0, count <= stride else {
      throw ParquetError(.corrupt,
                         "BYTE_STREAM_SPLIT \(what): a page of \(data.count) bytes cannot hold \(count) values of \(width) bytes")
    }
    return stride
  }

  static func decode4(_ data: UnsafeRawBufferPointer, count: Int, into dst: UnsafeMutableRawPointer,
                      _ what: String) throws -> Int {
    let stride = try streamLength(data, width: 4, count: count, what)
    guard count > 0 else { return data.count }
    let s = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let s0 = s, s1 = s + stride, s2 = s + 2 * stride, s3 = s + 3 * stride
    for i in 0..<count {
      let v = UInt32(s0[i]) | UInt32(s1[i]) << 8 | UInt32(s2[i]) << 16 | UInt32(s3[i]) << 24
      dst.storeBytes(of: v.littleEndian, toByteOffset: i * 4, as: UInt32.self)
    }
    return data.count
  }

  static func decode8(_ data: UnsafeRawBufferPointer, count: Int, into dst: UnsafeMutableRawPointer,
                      _ what: String) throws -> Int {
    let stride = try streamLength(data, width: 8, count: count, what)
    guard count > 0 else { return data.count }
    let s = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
    for i in 0..<count {
      var v: UInt64 = 0
      for k in 0..<8 { v |= UInt64(s[k * stride + i]) << UInt64(8 * k) }
      dst.storeBytes(of: v.littleEndian, toByteOffset: i * 8, as: UInt64.self)
    }
    return data.count
  }
}
