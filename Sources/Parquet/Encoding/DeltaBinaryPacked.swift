/// DELTA_BINARY_PACKED for INT32 and INT64:
///
///     header := blockSize:ULEB128 miniblocksPerBlock:ULEB128 totalCount:ULEB128 first:zigzag
///     block  := minDelta:zigzag bitWidth:u8 × miniblocksPerBlock miniblock*
///
/// Each miniblock holds blockSize/miniblocks deltas minus minDelta, bit-packed; the last used
/// miniblock is padded to full size (tolerated if cut at the end of the data) and unused ones
/// have no body. Arithmetic wraps (mod 2^64, then truncated for INT32, which equals mod 2^32).
public enum DeltaBinaryPacked {
  public struct Header: Equatable, Sendable {
    public var blockSize: Int
    public var miniblocksPerBlock: Int
    public var totalCount: Int
    public var firstValue: Int64
    /// Bytes the header occupies.
    public var byteCount: Int
    public var valuesPerMiniblock: Int { blockSize / miniblocksPerBlock }
  }

  /// Largest block accepted (writers use 128 or 1024 values per block).
  static let maxBlockSize = 1 << 20

  public static func readHeader(_ data: UnsafeRawBufferPointer) throws -> Header {
    var c = ByteCursor(data)
    let block = try c.readULEB128("DELTA_BINARY_PACKED block size")
    let minis = try c.readULEB128("DELTA_BINARY_PACKED miniblocks per block")
    let total = try c.readULEB128("DELTA_BINARY_PACKED value count")
    let first = try c.readZigZagVarint("DELTA_BINARY_PACKED first value")
    guard block > 0, block % 128 == 0, minis > 0, block % minis == 0, (block / minis) % 32 == 0 else {
      throw ParquetError(.corrupt,
                         "DELTA_BINARY_PACKED block size \(block) with \(minis) miniblocks (need a multiple of 128 split into multiples of 32)")
    }
    guard block <= UInt64(maxBlockSize) else {
      throw ParquetError(.unsupported, "DELTA_BINARY_PACKED block size \(block) exceeds \(maxBlockSize)")
    }
    guard total <= UInt64(Int32.max) else {
      throw ParquetError(.corrupt, "DELTA_BINARY_PACKED value count \(total) is implausible")
    }
    return Header(blockSize: Int(block), miniblocksPerBlock: Int(minis), totalCount: Int(total),
                  firstValue: first, byteCount: c.position)
  }

  /// Decodes exactly `count` values (the header's count must agree); returns bytes consumed.
  public static func decodeInt32(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Int32>) throws -> Int {
    try decode(data, count: count, into: dst)
  }

  public static func decodeInt64(_ data: UnsafeRawBufferPointer, count: Int,
                                 into dst: UnsafeMutablePointer<Int64>) throws -> Int {
    try decode(data, count: count, into: dst)
  }

  /// All values and the bytes consumed (tests, small streams).
  public static func decodeInt64(_ data: [UInt8]) throws -> (values: [Int64], consumed: Int) {
    try data.withUnsafeBytes { raw in
      let n = try readHeader(raw).totalCount
      var consumed = 0
      let values = try [Int64](unsafeUninitializedCapacity: n) { buf, initialized in
        consumed = try decode(raw, count: n, into: buf.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
        initialized = n
      }
      return (values, consumed)
    }
  }

  static func decode<T: FixedWidthInteger>(_ data: UnsafeRawBufferPointer, count: Int,
                                           into dst: UnsafeMutablePointer<T>) throws -> Int {
    let h = try readHeader(data)
    guard h.totalCount == count else {
      throw ParquetError(.corrupt, "DELTA_BINARY_PACKED stream holds \(h.totalCount) values, the page expects \(count)")
    }
    var c = ByteCursor(data, position: h.byteCount)
    guard count > 0 else { return c.position }
    dst[0] = T(truncatingIfNeeded: h.firstValue)
    var prev = UInt64(bitPattern: h.firstValue)
    let perMini = h.valuesPerMiniblock
    var done = 1
    try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: min(perMini, count)) { scratch in
      let s = scratch.baseAddress!
      while done < count {
        let minDelta = UInt64(bitPattern: try c.readZigZagVarint("DELTA_BINARY_PACKED min delta"))
        let widths = try c.readBytes(h.miniblocksPerBlock, "DELTA_BINARY_PACKED miniblock bit widths")
        for m in 0..<h.miniblocksPerBlock {
          if done >= count { break }  // unused miniblocks have no body
          let w = Int(widths[m])
          guard w <= 64 else {
            throw ParquetError(.corrupt, "DELTA_BINARY_PACKED miniblock bit width \(w) exceeds 64")
          }
          let n = min(perMini, count - done)
          let needed = (n * w + 7) >> 3
          guard c.remaining >= needed else {
            throw ParquetError(.corrupt,
                               "DELTA_BINARY_PACKED truncated: miniblock at byte \(c.position) needs \(needed) bytes, \(c.remaining) left")
          }
          if w > 0 { BitPacking.unpack64(c.rest.baseAddress!, srcBytes: c.remaining, width: w, first: 0, count: n, into: s) }
          let out = dst + done
          if w == 0 {
            for k in 0..<n { prev = prev &+ minDelta; out[k] = T(truncatingIfNeeded: prev) }
          } else {
            for k in 0..<n { prev = prev &+ minDelta &+ s[k]; out[k] = T(truncatingIfNeeded: prev) }
          }
          done += n
          try c.skip(min(perMini * w / 8, c.remaining))  // the last one may lack its padding
        }
      }
    }
    return c.position
  }
}

extension DeltaBinaryPacked {
  /// Encodes INT32 values (deltas taken mod 2^32, so widths stay within 32 bits).
  public static func encodeInt32(_ values: UnsafeBufferPointer<Int32>, into out: inout [UInt8],
                                 blockSize: Int = 128, miniblocksPerBlock: Int = 4) {
    encode(count: values.count, first: values.first.map(Int64.init) ?? 0,
           delta: { Int64(values[$0] &- values[$0 - 1]) }, into: &out,
           blockSize: blockSize, miniblocksPerBlock: miniblocksPerBlock)
  }

  public static func encodeInt64(_ values: UnsafeBufferPointer<Int64>, into out: inout [UInt8],
                                 blockSize: Int = 128, miniblocksPerBlock: Int = 4) {
    encode(count: values.count, first: values.first ?? 0,
           delta: { values[$0] &- values[$0 - 1] }, into: &out,
           blockSize: blockSize, miniblocksPerBlock: miniblocksPerBlock)
  }

  /// `delta(i)` is value i minus value i-1 (wrapping), for i in 1..<count.
  @inline(__always)
  static func encode(count: Int, first: Int64, delta: (Int) -> Int64, into out: inout [UInt8],
                     blockSize: Int, miniblocksPerBlock: Int) {
    precondition(blockSize > 0 && blockSize % 128 == 0 && blockSize % miniblocksPerBlock == 0
                   && (blockSize / miniblocksPerBlock) % 32 == 0, "invalid DELTA_BINARY_PACKED block shape")
    VarInt.appendULEB128(UInt64(blockSize), to: &out)
    VarInt.appendULEB128(UInt64(miniblocksPerBlock), to: &out)
    VarInt.appendULEB128(UInt64(count), to: &out)
    VarInt.appendZigZag(first, to: &out)
    let perMini = blockSize / miniblocksPerBlock
    var deltas = [Int64](repeating: 0, count: blockSize)
    var i = 1
    while i < count {
      let n = min(blockSize, count - i)
      var minDelta = Int64.max
      for k in 0..<n {
        deltas[k] = delta(i + k)
        minDelta = min(minDelta, deltas[k])
      }
      VarInt.appendZigZag(minDelta, to: &out)
      let usedMinis = (n + perMini - 1) / perMini
      var widths = [Int](repeating: 0, count: miniblocksPerBlock)
      for m in 0..<usedMinis {
        var or: UInt64 = 0
        for k in (m * perMini)..<min(n, (m + 1) * perMini) { or |= UInt64(bitPattern: deltas[k] &- minDelta) }
        widths[m] = or == 0 ? 0 : 64 - or.leadingZeroBitCount
      }
      for m in 0..<miniblocksPerBlock { out.append(UInt8(widths[m])) }
      var writer = BitWriter()
      for m in 0..<usedMinis {
        for k in (m * perMini)..<((m + 1) * perMini) {  // the last miniblock padded with zeros
          let v = k < n ? UInt64(bitPattern: deltas[k] &- minDelta) : 0
          writer.write(v, width: widths[m], to: &out)
        }
        writer.flush(to: &out)
      }
      i += n
    }
  }
}
