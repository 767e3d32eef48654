/// Decoder of the RLE / bit-packed hybrid encoding (definition and repetition levels,
/// dictionary indices, RLE booleans):
///
///     run := header:ULEB128 body
///     header & 1 == 0: RLE run of (header >> 1) copies of one value stored in ceil(width/8) bytes LE
///     header & 1 == 1: (header >> 1) groups of 8 values bit-packed LSB first, width bytes per group
///
/// The decoder reads runs lazily, `count` values per call, over bytes the caller keeps alive.
/// A final bit-packed run may be shorter than its header claims (writers pad or cut the last
/// group); only values actually requested beyond the data are an error (`.corrupt`).
public struct RLEHybridDecoder {
  public let data: UnsafeRawBufferPointer
  public let bitWidth: Int
  private var pos = 0
  private var runLeft = 0
  private var runIsRLE = true
  private var runValue: Int32 = 0
  private var packedStart = 0
  private var packedIndex = 0
  private var produced = 0

  /// `bitWidth` must be 0...32; an out-of-range width (e.g. a dictionary page's width byte) is
  /// reported as `.corrupt` by the first `decode`.
  public init(data: UnsafeRawBufferPointer, bitWidth: Int) {
    self.data = data
    self.bitWidth = bitWidth
  }

  /// Dictionary indices as stored in a data page: one byte of bit width, then the hybrid runs.
  public static func dictionaryIndices(_ data: UnsafeRawBufferPointer) throws -> RLEHybridDecoder {
    guard data.count >= 1 else {
      throw ParquetError(.corrupt, "dictionary-encoded page has no bit-width byte")
    }
    let width = Int(data[0])
    guard width <= 32 else {
      throw ParquetError(.corrupt, "dictionary index bit width \(width) exceeds 32")
    }
    return RLEHybridDecoder(data: UnsafeRawBufferPointer(rebasing: data[1...]), bitWidth: width)
  }

  /// Hybrid data preceded by its 4-byte little-endian length (v1 page levels, RLE booleans).
  /// Returns the decoder and the bytes consumed (4 + length).
  public static func lengthPrefixed(_ data: UnsafeRawBufferPointer, bitWidth: Int) throws
    -> (decoder: RLEHybridDecoder, consumed: Int) {
    var cursor = ByteCursor(data)
    let length = Int(try cursor.readUInt32("RLE length prefix"))
    let body = try cursor.readBytes(length, "RLE data of the declared length \(length)")
    return (RLEHybridDecoder(data: body, bitWidth: bitWidth), cursor.position)
  }

  /// Whether the data starts with an RLE run of `value` at least `count` long (so that the next
  /// `count` values are all `value`). Reads only the first run header; never throws.
  public func startsWithRun(of value: Int32, covering count: Int) -> Bool {
    guard bitWidth >= 0 && bitWidth <= 32, count > 0 else { return false }
    var p = 0
    var header: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard p < data.count, shift < 35 else { return false }
      let b = data[p]
      p += 1
      header |= UInt64(b & 0x7f) << shift
      if b & 0x80 == 0 { break }
      shift += 7
    }
    guard header & 1 == 0, header >> 1 >= UInt64(count) else { return false }
    let valueBytes = (bitWidth + 7) >> 3
    guard data.count - p >= valueBytes else { return false }
    var v: UInt32 = 0
    for k in 0..<valueBytes { v |= UInt32(data[p + k]) << UInt32(8 * k) }
    return v == UInt32(bitPattern: value)
  }

  /// Bytes consumed so far (through the end of the current run).
  public var consumed: Int { pos }

  /// Decodes the next `count` values into `dst`.
  public mutating func decode(into dst: UnsafeMutablePointer<Int32>, count: Int) throws {
    guard bitWidth >= 0 && bitWidth <= 32 else {
      throw ParquetError(.corrupt, "RLE/bit-packed bit width \(bitWidth) outside 0...32")
    }
    var done = 0
    while done < count {
      if runLeft == 0 {
        try nextRun(wanted: count - done)
        continue
      }
      let n = min(runLeft, count - done)
      if runIsRLE {
        (dst + done).update(repeating: runValue, count: n)
      } else {
        let src = data.baseAddress! + packedStart
        let avail = data.count - packedStart
        let first = packedIndex
        let width = bitWidth
        (dst + done).withMemoryRebound(to: UInt32.self, capacity: n) {
          BitPacking.unpack32(src, srcBytes: avail, width: width, first: first, count: n, into: $0)
        }
        packedIndex += n
      }
      runLeft -= n
      done += n
      produced += n
    }
  }

  /// Decodes the next values a run at a time, at most `limit` (> 0): an RLE run comes back as
  /// its length and value without writing anything; bit-packed values are written to `scratch`
  /// (room for `limit`) and come back with `value == nil`. For consumers that can treat a run
  /// as a whole (repetition levels: a run of 1s starts no row).
  public mutating func nextBatch(limit: Int, scratch: UnsafeMutablePointer<Int32>) throws
    -> (count: Int, value: Int32?)
  {
    guard bitWidth >= 0 && bitWidth <= 32 else {
      throw ParquetError(.corrupt, "RLE/bit-packed bit width \(bitWidth) outside 0...32")
    }
    while runLeft == 0 { try nextRun(wanted: limit) }
    let n = min(runLeft, limit)
    runLeft -= n
    produced += n
    if runIsRLE { return (n, runValue) }
    let width = bitWidth
    scratch.withMemoryRebound(to: UInt32.self, capacity: n) {
      BitPacking.unpack32(data.baseAddress! + packedStart, srcBytes: data.count - packedStart,
                          width: width, first: packedIndex, count: n, into: $0)
    }
    packedIndex += n
    return (n, nil)
  }

  /// Skips the next `count` values.
  public mutating func skip(_ count: Int) throws {
    var left = count
    while left > 0 {
      if runLeft == 0 { try nextRun(wanted: left); continue }
      let n = min(runLeft, left)
      if !runIsRLE { packedIndex += n }
      runLeft -= n
      left -= n
      produced += n
    }
  }

  /// Decodes `count` booleans (bit width 1: RLE-encoded BOOLEAN pages).
  public mutating func decodeBooleans(into dst: UnsafeMutablePointer<Bool>, count: Int) throws {
    try withUnsafeTemporaryAllocation(of: Int32.self, capacity: 1024) { scratch in
      var done = 0
      while done < count {
        let n = min(1024, count - done)
        try decode(into: scratch.baseAddress!, count: n)
        for i in 0..<n { dst[done + i] = scratch[i] != 0 }
        done += n
      }
    }
  }

  private mutating func nextRun(wanted: Int) throws {
    guard pos < data.count else {
      if bitWidth == 0 {  // some writers store nothing for all-zero width-0 data
        runIsRLE = true; runValue = 0; runLeft = wanted
        return
      }
      throw ParquetError(.corrupt,
                         "RLE/bit-packed data (\(data.count) bytes, width \(bitWidth)) ends after \(produced) values; \(wanted) more needed")
    }
    var header: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard pos < data.count else {
        throw ParquetError(.corrupt, "RLE/bit-packed run header truncated at byte \(pos) of \(data.count)")
      }
      let b = data[pos]
      pos += 1
      header |= UInt64(b & 0x7f) << shift
      if b & 0x80 == 0 { break }
      shift += 7
      guard shift < 35 else {
        throw ParquetError(.corrupt, "RLE/bit-packed run header at byte \(pos) is longer than 5 bytes")
      }
    }
    guard header <= UInt64(UInt32.max) else {
      throw ParquetError(.corrupt, "RLE/bit-packed run header \(header) exceeds 32 bits")
    }
    if header & 1 == 0 {
      let valueBytes = (bitWidth + 7) >> 3
      guard data.count - pos >= valueBytes else {
        throw ParquetError(.corrupt, "RLE run value truncated at byte \(pos) of \(data.count)")
      }
      var v: UInt32 = 0
      for k in 0..<valueBytes { v |= UInt32(data[pos + k]) << UInt32(8 * k) }
      pos += valueBytes
      if bitWidth < 32 && v >> UInt32(bitWidth) != 0 {
        throw ParquetError(.corrupt, "RLE run value \(v) does not fit bit width \(bitWidth)")
      }
      runIsRLE = true
      runValue = Int32(bitPattern: v)
      runLeft = Int(header >> 1)
    } else {
      let groups = Int(header >> 1)
      let declaredBytes = groups * bitWidth
      let bytes = min(declaredBytes, data.count - pos)
      runIsRLE = false
      packedStart = pos
      packedIndex = 0
      runLeft = bitWidth == 0 ? groups * 8 : min(groups * 8, bytes * 8 / bitWidth)
      pos += bytes
    }
  }
}
