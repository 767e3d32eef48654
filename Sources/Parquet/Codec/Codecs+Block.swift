import CLZ4
import CSnappy
import CZstd

/// The block codecs: SNAPPY (snappy-c), ZSTD (one or more frames), LZ4_RAW (one LZ4 block).
extension Codecs {
  // MARK: snappy

  static func snappyDecompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
    let src = baseOrDummy(input).assumingMemoryBound(to: CChar.self)
    var declared = 0
    guard snappy_uncompressed_length(src, input.count, &declared) == SNAPPY_OK else {
      throw ParquetError(.corrupt, "SNAPPY data has no valid length preamble (\(input.count) bytes)")
    }
    guard declared == output.count else { throw sizeMismatch(.snappy, got: declared, expected: output.count) }
    var length = output.count
    let rc = snappy_uncompress(src, input.count, baseOrDummy(output).assumingMemoryBound(to: CChar.self), &length)
    guard rc == SNAPPY_OK else { throw ParquetError(.corrupt, "SNAPPY data invalid (\(input.count) bytes, status \(rc.rawValue))") }
    guard length == output.count else { throw sizeMismatch(.snappy, got: length, expected: output.count) }
  }

  static func snappyCompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
    let bound = snappy_max_compressed_length(input.count)
    return try [UInt8](unsafeUninitializedCapacity: bound) { out, initialized in
      var length = bound
      let rc = snappy_compress(baseOrDummy(input).assumingMemoryBound(to: CChar.self), input.count,
                               UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: CChar.self), &length)
      guard rc == SNAPPY_OK else { throw ParquetError(.io, "snappy_compress failed (status \(rc.rawValue))") }
      initialized = length
    }
  }

  // MARK: zstd

  static func zstdDecompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
    let src = baseOrDummy(input)
    // Every frame usually declares its size; check the sum before decompressing.
    if let declared = try zstdDeclaredSize(input), declared != UInt64(output.count) {
      throw sizeMismatch(.zstd, got: declared > UInt64(Int.max) ? Int.max : Int(declared), expected: output.count)
    }
    let rc = ZSTD_decompress(baseOrDummy(output), output.count, src, input.count)
    if ZSTD_isError(rc) != 0 {
      throw ParquetError(.corrupt, "ZSTD data invalid: \(String(cString: ZSTD_getErrorName(rc)))")
    }
    guard rc == output.count else { throw sizeMismatch(.zstd, got: rc, expected: output.count) }
  }

  /// The sum of the frames' declared content sizes, or nil if any frame does not declare one.
  static func zstdDeclaredSize(_ input: UnsafeRawBufferPointer) throws -> UInt64? {
    var offset = 0
    var total: UInt64 = 0
    var known = true
    while offset < input.count {
      let p = baseOrDummy(input) + offset
      let n = input.count - offset
      let size = ZSTD_getFrameContentSize(p, n)
      if size == UInt64.max - 1 {  // ZSTD_CONTENTSIZE_ERROR
        throw ParquetError(.corrupt, "ZSTD data has no valid frame at offset \(offset) of \(input.count)")
      }
      if size == UInt64.max { known = false } else { total &+= size }  // ZSTD_CONTENTSIZE_UNKNOWN
      let frame = ZSTD_findFrameCompressedSize(p, n)
      if ZSTD_isError(frame) != 0 || frame == 0 {
        throw ParquetError(.corrupt, "ZSTD frame at offset \(offset) of \(input.count) is truncated or invalid")
      }
      offset += frame
    }
    return known ? total : nil
  }

  /// pyarrow's default level.
  static let zstdLevel: Int32 = 1

  static func zstdCompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
    let bound = ZSTD_compressBound(input.count)
    return try [UInt8](unsafeUninitializedCapacity: bound) { out, initialized in
      let rc = ZSTD_compress(out.baseAddress!, bound, baseOrDummy(input), input.count, zstdLevel)
      guard ZSTD_isError(rc) == 0 else {
        throw ParquetError(.io, "ZSTD_compress failed: \(String(cString: ZSTD_getErrorName(rc)))")
      }
      initialized = rc
    }
  }

  // MARK: lz4 (raw block)

  static func lz4RawDecompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
    guard input.count <= Int(Int32.max), output.count <= Int(Int32.max) else {
      throw ParquetError(.unsupported, "LZ4_RAW page larger than 2 GiB")
    }
    let n = LZ4_decompress_safe(baseOrDummy(input).assumingMemoryBound(to: CChar.self),
                                baseOrDummy(output).assumingMemoryBound(to: CChar.self),
                                Int32(input.count), Int32(output.count))
    guard n >= 0 else {
      throw ParquetError(.corrupt,
                         "LZ4_RAW data invalid or larger than the \(output.count) bytes the page header says")
    }
    guard Int(n) == output.count else { throw sizeMismatch(.lz4Raw, got: Int(n), expected: output.count) }
  }

  static func lz4RawCompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
    let bound = Int(LZ4_compressBound(Int32(input.count)))
    return try [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { out, initialized in
      let n = LZ4_compress_default(baseOrDummy(input).assumingMemoryBound(to: CChar.self),
                                   UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: CChar.self),
                                   Int32(input.count), Int32(bound))
      guard n > 0 else { throw ParquetError(.io, "LZ4_compress_default failed") }
      initialized = Int(n)
    }
  }
}
