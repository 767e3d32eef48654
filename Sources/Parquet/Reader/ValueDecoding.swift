/// The reader's bridge to the value encodings (Encoding/): decodes `count` non-null values of a
/// page into a `ValueStore`, appending.
enum ValueDecoding {
  static func rleInt32(_ data: UnsafeRawBufferPointer, bitWidth: Int, count: Int) throws
    -> [Int32]
  {
    var d = RLEHybridDecoder(data: data, bitWidth: bitWidth)
    return try [Int32](unsafeUninitializedCapacity: count) { buf, n in
      if count > 0 { try d.decode(into: buf.baseAddress!, count: count) }
      n = count
    }
  }

  static func decode(_ enc: ColumnEncoding, _ data: UnsafeRawBufferPointer, count: Int,
                     into s: inout ValueStore) throws {
    switch enc {
    case .plain:
      _ = try plain(data, count: count, into: &s)
    case .rle:
      guard s.type == .boolean else {
        throw ParquetError(.unsupported, "RLE encoding for \(s.type) values")
      }
      let (dec, _) = try RLEHybridDecoder.lengthPrefixed(data, bitWidth: 1)
      var d = dec
      try appendBools(&s, count) { try d.decodeBooleans(into: $0, count: count) }
    case .deltaBinaryPacked:
      switch s.type {
      case .int32: try append(&s.i32, count) { _ = try DeltaBinaryPacked.decodeInt32(data, count: count, into: $0) }
      case .int64: try append(&s.i64, count) { _ = try DeltaBinaryPacked.decodeInt64(data, count: count, into: $0) }
      default: throw ParquetError(.unsupported, "DELTA_BINARY_PACKED for \(s.type) values")
      }
    case .deltaLengthByteArray:
      guard s.type == .byteArray else {
        throw ParquetError(.unsupported, "DELTA_LENGTH_BYTE_ARRAY for \(s.type) values")
      }
      _ = try DeltaLengthByteArray.decode(data, count: count, offsets: &s.offsets, bytes: &s.data)
    case .deltaByteArray:
      switch s.type {
      case .byteArray:
        _ = try DeltaByteArray.decode(data, count: count, offsets: &s.offsets, bytes: &s.data)
      case .fixedLenByteArray:
        var offsets: [Int32] = [0]
        var bytes: [UInt8] = []
        _ = try DeltaByteArray.decode(data, count: count, offsets: &offsets, bytes: &bytes)
        guard bytes.count == count * s.width else {
          throw ParquetError(.corrupt, "DELTA_BYTE_ARRAY values do not have the fixed width")
        }
        s.data += bytes
      default: throw ParquetError(.unsupported, "DELTA_BYTE_ARRAY for \(s.type) values")
      }
    case .byteStreamSplit:
      switch s.type {
      case .float: try append(&s.f32, count) { _ = try ByteStreamSplit.decodeFloat(data, count: count, into: $0) }
      case .double: try append(&s.f64, count) { _ = try ByteStreamSplit.decodeDouble(data, count: count, into: $0) }
      case .int32: try append(&s.i32, count) { _ = try ByteStreamSplit.decodeInt32(data, count: count, into: $0) }
      case .int64: try append(&s.i64, count) { _ = try ByteStreamSplit.decodeInt64(data, count: count, into: $0) }
      case .fixedLenByteArray:
        try append(&s.data, count * s.width) {
          _ = try ByteStreamSplit.decodeFixedLenByteArray(data, width: s.width, count: count,
                                                          into: UnsafeMutableRawPointer($0))
        }
      default: throw ParquetError(.unsupported, "BYTE_STREAM_SPLIT for \(s.type) values")
      }
    case .plainDictionary, .rleDictionary:
      throw ParquetError(.corrupt, "dictionary encoding handled by the page decoder")
    case .bitPacked:
      throw ParquetError(.unsupported, "BIT_PACKED values (deprecated) are not supported")
    }
  }

  /// PLAIN: returns bytes consumed.
  static func plain(_ data: UnsafeRawBufferPointer, count: Int, into s: inout ValueStore) throws
    -> Int
  {
    switch s.type {
    case .boolean:
      try appendBools(&s, count) { _ = try Plain.decodeBoolean(data, count: count, into: $0) }
      return (count + 7) / 8
    case .int32:
      return try appendPlain(&s.i32, data, count, "INT32")
    case .int64:
      return try appendPlain(&s.i64, data, count, "INT64")
    case .int96:
      try append(&s.i64, count) { _ = try Plain.decodeInt96(data, count: count, into: $0) }
      return count * 12
    case .float:
      return try appendPlain(&s.f32, data, count, "FLOAT")
    case .double:
      return try appendPlain(&s.f64, data, count, "DOUBLE")
    case .byteArray:
      let n = try Plain.decodeByteArray(data, count: count, offsets: &s.offsets, bytes: &s.data)
      guard s.data.count <= Int(Int32.max) else {
        throw ParquetError(.unsupported, "more than 2 GiB of byte-array data in one row group")
      }
      return n
    case .fixedLenByteArray:
      let n = count * s.width
      guard n <= data.count else {
        throw ParquetError(.corrupt, "\(count) values of \(s.width) bytes exceed the page")
      }
      s.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[0..<n]))
      return n
    }
  }

  /// PLAIN fixed-width values (little-endian, as stored in memory) appended straight from the
  /// page: no zero-filled growth first. The page's bytes are neither aligned for nor bound to
  /// `T` (they follow the levels in a byte buffer), so they pass through a 4 KiB stack buffer of
  /// `T` on the way (in L1). Returns the bytes consumed.
  static func appendPlain<T: FixedWidthInteger>(_ a: inout [T], _ data: UnsafeRawBufferPointer, _ count: Int,
                                                _ what: String) throws -> Int {
    try appendPlainBits(&a, data, count, what)
  }

  static func appendPlain(_ a: inout [Float], _ data: UnsafeRawBufferPointer, _ count: Int,
                          _ what: String) throws -> Int {
    try appendPlainBits(&a, data, count, what)
  }

  static func appendPlain(_ a: inout [Double], _ data: UnsafeRawBufferPointer, _ count: Int,
                          _ what: String) throws -> Int {
    try appendPlainBits(&a, data, count, what)
  }

  @inline(__always)
  private static func appendPlainBits<T>(_ a: inout [T], _ data: UnsafeRawBufferPointer, _ count: Int,
                                         _ what: String) throws -> Int {
    let width = MemoryLayout<T>.stride
    let bytes = try Plain.need(data, count: count, width: width, what)
    guard count > 0, let src = data.baseAddress else { return bytes }
    let chunk = 4096 / width
    withUnsafeTemporaryAllocation(of: T.self, capacity: chunk) { tmp in
      var done = 0
      while done < count {
        let n = min(chunk, count - done)
        UnsafeMutableRawPointer(tmp.baseAddress!).copyMemory(from: src + done * width, byteCount: n * width)
        a.append(contentsOf: UnsafeBufferPointer(rebasing: tmp[0..<n]))
        done += n
      }
    }
    return bytes
  }

  /// Grows `a` by `count` and lets `fill` write the new elements.
  @inline(__always)
  static func append<T>(_ a: inout [T], _ count: Int,
                        _ fill: (UnsafeMutablePointer<T>) throws -> Void) throws where T: Numeric {
    let base = a.count
    a.append(contentsOf: repeatElement(0, count: count))
    do {
      try a.withUnsafeMutableBufferPointer { try fill($0.baseAddress! + base) }
    } catch {
      a.removeLast(count)
      throw error
    }
  }

  static func appendBools(_ s: inout ValueStore, _ count: Int,
                          _ fill: (UnsafeMutablePointer<Bool>) throws -> Void) throws {
    let base = s.bools.count
    s.bools.append(contentsOf: repeatElement(false, count: count))
    try s.bools.withUnsafeMutableBufferPointer { try fill($0.baseAddress! + base) }
  }
}
