/// DELTA_LENGTH_BYTE_ARRAY: the lengths as DELTA_BINARY_PACKED, then all bytes back to back.
/// Appends to `offsets` / `bytes` as `Plain.decodeByteArray` does.
public enum DeltaLengthByteArray {
  /// Decodes `count` values; returns the bytes consumed.
  public static func decode(_ data: UnsafeRawBufferPointer, count: Int,
                            offsets: inout [Int32], bytes: inout [UInt8]) throws -> Int {
    if offsets.isEmpty { offsets.append(Int32(truncatingIfNeeded: bytes.count)) }
    precondition(Int(offsets[offsets.count - 1]) == bytes.count, "offsets.last must equal bytes.count")
    return try withLengths(data, count: count, "DELTA_LENGTH_BYTE_ARRAY") { lengths, body in
      let total = try sumLengths(lengths, count: count, available: body.count, "DELTA_LENGTH_BYTE_ARRAY")
      try Plain.checkOffsetRange(bytes.count + total)
      var end = bytes.count
      offsets.reserveCapacity(offsets.count + count)
      for i in 0..<count {
        end += Int(lengths[i])
        offsets.append(Int32(truncatingIfNeeded: end))
      }
      if total > 0 { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[0..<total])) }
      return total
    }
  }

  /// Encodes values given as offsets (count + 1 entries) into `bytes`.
  public static func encode(offsets: UnsafeBufferPointer<Int32>, bytes: UnsafeRawBufferPointer,
                            into out: inout [UInt8]) {
    let count = max(0, offsets.count - 1)
    var lengths = [Int32](repeating: 0, count: count)
    for i in 0..<count { lengths[i] = offsets[i + 1] - offsets[i] }
    lengths.withUnsafeBufferPointer { DeltaBinaryPacked.encodeInt32($0, into: &out) }
    if count > 0 {
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[Int(offsets[0])..<Int(offsets[count])]))
    }
  }

  /// Decodes `count` DELTA_BINARY_PACKED lengths into scratch, then runs `body` with them and
  /// the bytes that follow; returns the lengths' size plus what `body` returns.
  static func withLengths(_ data: UnsafeRawBufferPointer, count: Int, _ what: String,
                          _ body: (UnsafeMutablePointer<Int32>, UnsafeRawBufferPointer) throws -> Int) throws -> Int {
    guard count >= 0 else { throw ParquetError(.corrupt, "\(what): negative value count \(count)") }
    let lengths = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
    defer { lengths.deallocate() }
    let used = try DeltaBinaryPacked.decodeInt32(data, count: count, into: lengths)
    return used + (try body(lengths, UnsafeRawBufferPointer(rebasing: data[used...])))
  }

  /// Sum of non-negative lengths that must fit in `available` bytes.
  static func sumLengths(_ lengths: UnsafeMutablePointer<Int32>, count: Int, available: Int,
                         _ what: String) throws -> Int {
    var total = 0
    var smallest: Int32 = 0
    for i in 0..<count {
      total += Int(lengths[i])
      smallest = min(smallest, lengths[i])
    }
    guard smallest >= 0 else { throw ParquetError(.corrupt, "\(what): negative length \(smallest)") }
    guard total <= available else {
      throw ParquetError(.corrupt, "\(what): lengths add up to \(total) bytes, \(available) left in the page")
    }
    return total
  }
}

/// DELTA_BYTE_ARRAY (incremental / front coding): prefix lengths as DELTA_BINARY_PACKED, then the
/// suffixes as DELTA_LENGTH_BYTE_ARRAY; value i = the first prefix[i] bytes of value i-1, then
/// suffix i. Appends to `offsets` / `bytes` as `Plain.decodeByteArray` does.
public enum DeltaByteArray {
  public static func decode(_ data: UnsafeRawBufferPointer, count: Int,
                            offsets: inout [Int32], bytes: inout [UInt8]) throws -> Int {
    if offsets.isEmpty { offsets.append(Int32(truncatingIfNeeded: bytes.count)) }
    precondition(Int(offsets[offsets.count - 1]) == bytes.count, "offsets.last must equal bytes.count")
    return try DeltaLengthByteArray.withLengths(data, count: count, "DELTA_BYTE_ARRAY prefixes") { prefixes, rest in
      try DeltaLengthByteArray.withLengths(rest, count: count, "DELTA_BYTE_ARRAY suffixes") { suffixes, body in
        let suffixTotal = try DeltaLengthByteArray.sumLengths(suffixes, count: count, available: body.count,
                                                              "DELTA_BYTE_ARRAY suffixes")
        // Check every prefix against the previous value's length and size the output.
        var prevLength = 0
        var total = 0
        for i in 0..<count {
          let p = Int(prefixes[i])
          guard p >= 0 && p <= prevLength else {
            throw ParquetError(.corrupt,
                               "DELTA_BYTE_ARRAY: value \(i) reuses \(p) bytes of a previous value of \(prevLength)")
          }
          prevLength = p + Int(suffixes[i])
          total += prevLength
          if total > Int(Int32.max) { break }
        }
        try Plain.checkOffsetRange(bytes.count + total)
        let firstOffset = offsets.count
        let start = bytes.count
        offsets.append(contentsOf: repeatElement(0, count: count))
        bytes.append(contentsOf: repeatElement(0, count: total))
        guard count > 0 else { return suffixTotal }
        offsets.withUnsafeMutableBufferPointer { off in
          bytes.withUnsafeMutableBytes { out in
            let o = out.baseAddress!
            var s = 0         // read position in the suffix bytes
            var w = start     // write position
            var prevStart = start
            for i in 0..<count {
              let p = Int(prefixes[i])
              let n = Int(suffixes[i])
              if p > 0 { (o + w).copyMemory(from: o + prevStart, byteCount: p) }
              if n > 0 { (o + w + p).copyMemory(from: body.baseAddress! + s, byteCount: n) }
              prevStart = w
              w += p + n
              s += n
              off[firstOffset + i] = Int32(truncatingIfNeeded: w)
            }
          }
        }
        return suffixTotal
      }
    }
  }

  /// Encodes values given as offsets (count + 1 entries) into `bytes`.
  public static func encode(offsets: UnsafeBufferPointer<Int32>, bytes: UnsafeRawBufferPointer,
                            into out: inout [UInt8]) {
    let count = max(0, offsets.count - 1)
    var prefixes = [Int32](repeating: 0, count: count)
    var suffixOffsets = [Int32](repeating: 0, count: count + 1)
    var suffixBytes: [UInt8] = []
    var prevStart = 0
    var prevEnd = 0
    for i in 0..<count {
      let start = Int(offsets[i])
      let end = Int(offsets[i + 1])
      var p = 0
      while p < end - start && p < prevEnd - prevStart && bytes[start + p] == bytes[prevStart + p] { p += 1 }
      prefixes[i] = Int32(p)
      suffixBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(start + p)..<end]))
      suffixOffsets[i + 1] = Int32(suffixBytes.count)
      prevStart = start
      prevEnd = end
    }
    prefixes.withUnsafeBufferPointer { DeltaBinaryPacked.encodeInt32($0, into: &out) }
    suffixOffsets.withUnsafeBufferPointer { so in
      suffixBytes.withUnsafeBytes { DeltaLengthByteArray.encode(offsets: so, bytes: $0, into: &out) }
    }
  }
}
