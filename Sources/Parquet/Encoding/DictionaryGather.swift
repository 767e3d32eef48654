/// Dictionary decoding: maps RLE_DICTIONARY / PLAIN_DICTIONARY indices to the values of the
/// chunk's dictionary page. Every index is checked against the dictionary size (`.corrupt`)
/// before any value is written.
public enum DictionaryGather {
  /// Indices per chunk of the streaming `decode` functions (stays in L1).
  static let chunk = 1024

  /// `dst[i] = dictionary[indices[i]]` for fixed-size values (Int32, Int64, Float, Double,
  /// Bool, INT96 as Int64 nanoseconds, ...).
  public static func gather<T>(indices: UnsafePointer<Int32>, count: Int, dictionary: UnsafeBufferPointer<T>,
                               into dst: UnsafeMutablePointer<T>) throws {
    try checkIndices(indices, count: count, dictionarySize: dictionary.count)
    guard count > 0 else { return }
    let dict = dictionary.baseAddress!
    for i in 0..<count { dst[i] = dict[Int(indices[i])] }
  }

  /// FIXED_LEN_BYTE_ARRAY: `dictionary` holds `dictionary.count / width` values back to back.
  public static func gatherFixedLenByteArray(indices: UnsafePointer<Int32>, count: Int, width: Int,
                                             dictionary: UnsafeRawBufferPointer,
                                             into dst: UnsafeMutableRawPointer) throws {
    guard width > 0 else { throw ParquetError(.corrupt, "FIXED_LEN_BYTE_ARRAY dictionary of width \(width)") }
    try checkIndices(indices, count: count, dictionarySize: dictionary.count / width)
    guard count > 0 else { return }
    let dict = dictionary.baseAddress!
    for i in 0..<count {
      (dst + i * width).copyMemory(from: dict + Int(indices[i]) * width, byteCount: width)
    }
  }

  /// BYTE_ARRAY: dictionary entry k is `dictionaryBytes[dictionaryOffsets[k] ..< dictionaryOffsets[k+1]]`
  /// (`dictionaryOffsets` has size + 1 entries, as `Plain.decodeByteArray` makes them). Appends to
  /// `offsets` / `bytes` in the same layout.
  public static func gatherByteArray(indices: UnsafePointer<Int32>, count: Int,
                                     dictionaryOffsets: UnsafeBufferPointer<Int32>,
                                     dictionaryBytes: UnsafeRawBufferPointer,
                                     offsets: inout [Int32], bytes: inout [UInt8]) throws {
    if offsets.isEmpty { offsets.append(Int32(truncatingIfNeeded: bytes.count)) }
    precondition(Int(offsets[offsets.count - 1]) == bytes.count, "offsets.last must equal bytes.count")
    let size = max(0, dictionaryOffsets.count - 1)
    try checkIndices(indices, count: count, dictionarySize: size)
    guard count > 0 else { return }
    let dOff = dictionaryOffsets.baseAddress!
    var total = 0
    for i in 0..<count {
      let k = Int(indices[i])
      total += Int(dOff[k + 1]) - Int(dOff[k])
    }
    try Plain.checkOffsetRange(bytes.count + total)
    let firstOffset = offsets.count
    var o = bytes.count
    offsets.append(contentsOf: repeatElement(0, count: count))
    bytes.append(contentsOf: repeatElement(0, count: total))
    let src = dictionaryBytes.baseAddress
    offsets.withUnsafeMutableBufferPointer { off in
      bytes.withUnsafeMutableBytes { out in
        for i in 0..<count {
          let k = Int(indices[i])
          let start = Int(dOff[k])
          let len = Int(dOff[k + 1]) - start
          if len > 0 { (out.baseAddress! + o).copyMemory(from: src! + start, byteCount: len) }
          o += len
          off[firstOffset + i] = Int32(truncatingIfNeeded: o)
        }
      }
    }
  }

  /// Decodes `count` indices from `decoder` and gathers them, a chunk at a time (no index buffer
  /// the size of the page).
  public static func decode<T>(_ decoder: inout RLEHybridDecoder, count: Int, dictionary: UnsafeBufferPointer<T>,
                               into dst: UnsafeMutablePointer<T>) throws {
    try withUnsafeTemporaryAllocation(of: Int32.self, capacity: chunk) { idx in
      var done = 0
      while done < count {
        let n = min(chunk, count - done)
        try decoder.decode(into: idx.baseAddress!, count: n)
        try gather(indices: idx.baseAddress!, count: n, dictionary: dictionary, into: dst + done)
        done += n
      }
    }
  }

  /// As `decode`, for BYTE_ARRAY dictionaries.
  public static func decodeByteArray(_ decoder: inout RLEHybridDecoder, count: Int,
                                     dictionaryOffsets: UnsafeBufferPointer<Int32>,
                                     dictionaryBytes: UnsafeRawBufferPointer,
                                     offsets: inout [Int32], bytes: inout [UInt8]) throws {
    try withUnsafeTemporaryAllocation(of: Int32.self, capacity: chunk) { idx in
      var done = 0
      while done < count {
        let n = min(chunk, count - done)
        try decoder.decode(into: idx.baseAddress!, count: n)
        try gatherByteArray(indices: idx.baseAddress!, count: n, dictionaryOffsets: dictionaryOffsets,
                            dictionaryBytes: dictionaryBytes, offsets: &offsets, bytes: &bytes)
        done += n
      }
    }
  }

  /// Throws `.corrupt` naming the first index outside `0 ..< dictionarySize`.
  @inline(__always)
  static func checkIndices(_ indices: UnsafePointer<Int32>, count: Int, dictionarySize: Int) throws {
    guard count > 0 else { return }
    var largest: UInt32 = 0  // negative indices are huge as UInt32
    for i in 0..<count { largest = max(largest, UInt32(bitPattern: indices[i])) }
    if Int(largest) >= dictionarySize {
      let bad = (0..<count).first { Int(UInt32(bitPattern: indices[$0])) >= dictionarySize }!
      throw ParquetError(.corrupt,
                         "dictionary index \(indices[bad]) (value \(bad)) outside a dictionary of \(dictionarySize) entries")
    }
  }
}
