/// PLAIN encoding (the writer's side), appending to a page buffer.
extension Plain {
  public static func encodeInt32(_ values: UnsafeBufferPointer<Int32>, into out: inout [UInt8]) {
    out.append(contentsOf: UnsafeRawBufferPointer(values))
  }

  public static func encodeInt64(_ values: UnsafeBufferPointer<Int64>, into out: inout [UInt8]) {
    out.append(contentsOf: UnsafeRawBufferPointer(values))
  }

  public static func encodeFloat(_ values: UnsafeBufferPointer<Float>, into out: inout [UInt8]) {
    out.append(contentsOf: UnsafeRawBufferPointer(values))
  }

  public static func encodeDouble(_ values: UnsafeBufferPointer<Double>, into out: inout [UInt8]) {
    out.append(contentsOf: UnsafeRawBufferPointer(values))
  }

  /// FIXED_LEN_BYTE_ARRAY values stored contiguously.
  public static func encodeFixedLenByteArray(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    out.append(contentsOf: bytes)
  }

  /// BOOLEAN: bit-packed LSB first, the last byte zero-padded.
  public static func encodeBoolean(_ values: UnsafeBufferPointer<Bool>, into out: inout [UInt8]) {
    out.reserveCapacity(out.count + (values.count + 7) / 8)
    var i = 0
    let n = values.count
    while i < n {
      var byte: UInt8 = 0
      var k = 0
      while k < 8 && i + k < n {
        if values[i + k] { byte |= 1 << UInt8(k) }
        k += 1
      }
      out.append(byte)
      i += 8
    }
  }

  /// BYTE_ARRAY: value i is `bytes[offsets[i] ..< offsets[i+1]]` (`offsets` has count + 1 entries).
  public static func encodeByteArray(offsets: UnsafeBufferPointer<Int32>, bytes: UnsafeRawBufferPointer,
                                     into out: inout [UInt8]) {
    guard offsets.count > 1 else { return }
    let count = offsets.count - 1
    let total = Int(offsets[count]) - Int(offsets[0])
    precondition(total >= 0 && Int(offsets[count]) <= bytes.count, "BYTE_ARRAY offsets outside the bytes")
    out.reserveCapacity(out.count + 4 * count + total)
    for i in 0..<count {
      let start = Int(offsets[i])
      let end = Int(offsets[i + 1])
      precondition(start <= end, "BYTE_ARRAY offsets must not decrease")
      withUnsafeBytes(of: UInt32(end - start).littleEndian) { out.append(contentsOf: $0) }
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }
  }

  /// BYTE_ARRAY from separate values (tests, dictionaries of a few entries).
  public static func encodeByteArray(_ values: [[UInt8]], into out: inout [UInt8]) {
    for v in values {
      withUnsafeBytes(of: UInt32(v.count).littleEndian) { out.append(contentsOf: $0) }
      out.append(contentsOf: v)
    }
  }
}
