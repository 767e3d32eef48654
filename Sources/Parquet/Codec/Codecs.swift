import CLZ4
import CSnappy
import CZlib
import CZstd

/// Page (de)compression: one call per page, over caller buffers. Sizes from a file are claims:
/// `checkedSize` refuses a claim larger than the codec could produce from the input, or than
/// `maxPageSize`, before anything is allocated.
public enum Codecs {
  /// The largest decompressed page Gust allocates for (a page header's claim beyond is refused).
  public static let maxPageSize = 1 << 30

  /// Decompresses a page whose header claims `uncompressedSize` bytes; the output must have
  /// exactly that size, else `.corrupt`.
  public static func decompress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer,
                                uncompressedSize: Int) throws -> [UInt8] {
    try checkSupported(codec, decompressing: true)
    let size = try checkedSize(codec, compressedSize: input.count, uncompressedSize: uncompressedSize)
    return try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      try decompress(codec, input, into: UnsafeMutableRawBufferPointer(buffer))
      initialized = size
    }
  }

  /// Decompresses into `output`, which must be exactly the decompressed size (`.corrupt` if the
  /// data decompresses to more or fewer bytes).
  public static func decompress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer,
                                into output: UnsafeMutableRawBufferPointer) throws {
    try checkSupported(codec, decompressing: true)
    _ = try checkedSize(codec, compressedSize: input.count, uncompressedSize: output.count)
    if output.count == 0 && input.count == 0 { return }  // empty pages are written as nothing
    switch codec {
    case .uncompressed:
      output.copyMemory(from: input)
    case .snappy:
      try snappyDecompress(input, into: output)
    case .gzip:
      try gzipDecompress(input, into: output)
    case .zstd:
      try zstdDecompress(input, into: output)
    case .lz4Raw:
      try lz4RawDecompress(input, into: output)
    case .lzo, .brotli, .lz4:
      throw unsupported(codec)
    }
  }

  /// Compresses a page. Writes UNCOMPRESSED, SNAPPY, GZIP, ZSTD and LZ4_RAW.
  public static func compress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer) throws -> [UInt8] {
    try checkSupported(codec, decompressing: false)
    guard input.count <= Int(Int32.max) else {
      throw ParquetError(.invalidArgument, "page of \(input.count) bytes is too large to compress (limit 2 GiB)")
    }
    switch codec {
    case .uncompressed: return [UInt8](input)
    case .snappy: return try snappyCompress(input)
    case .gzip: return try gzipCompress(input)
    case .zstd: return try zstdCompress(input)
    case .lz4Raw: return try lz4RawCompress(input)
    case .lzo, .brotli, .lz4: throw unsupported(codec)
    }
  }

  /// Array conveniences (tests, small pages).
  public static func decompress(_ codec: CompressionCodec, _ input: [UInt8], uncompressedSize: Int) throws -> [UInt8] {
    try input.withUnsafeBytes { try decompress(codec, $0, uncompressedSize: uncompressedSize) }
  }

  public static func compress(_ codec: CompressionCodec, _ input: [UInt8]) throws -> [UInt8] {
    try input.withUnsafeBytes { try compress(codec, $0) }
  }

  // MARK: - limits

  /// The claimed size if plausible for `codec` and `compressedSize`, else an error.
  static func checkedSize(_ codec: CompressionCodec, compressedSize: Int, uncompressedSize: Int) throws -> Int {
    guard uncompressedSize >= 0 else {
      throw ParquetError(.corrupt, "negative uncompressed page size \(uncompressedSize)")
    }
    guard uncompressedSize <= maxPageSize else {
      throw ParquetError(.unsupported,
                         "page claims \(uncompressedSize) uncompressed bytes; Gust reads pages up to \(maxPageSize) bytes")
    }
    if codec == .uncompressed {
      guard uncompressedSize == compressedSize else {
        throw ParquetError(.corrupt,
                           "uncompressed page has \(compressedSize) bytes but its header claims \(uncompressedSize)")
      }
      return uncompressedSize
    }
    let limit = compressedSize.multipliedReportingOverflow(by: codec.maxExpansionRatio)
    if !limit.overflow && uncompressedSize > limit.partialValue + 1024 {
      throw ParquetError(.corrupt,
                         "\(codec.name) page of \(compressedSize) bytes cannot expand to the claimed \(uncompressedSize) bytes")
    }
    return uncompressedSize
  }

  static func checkSupported(_ codec: CompressionCodec, decompressing: Bool) throws {
    if !codec.canDecompress { throw unsupported(codec) }
  }

  static func unsupported(_ codec: CompressionCodec) -> ParquetError {
    ParquetError(.unsupported,
                 "compression codec \(codec.name) is not supported (Gust reads UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW)")
  }

  static func sizeMismatch(_ codec: CompressionCodec, got: Int, expected: Int) -> ParquetError {
    ParquetError(.corrupt, "\(codec.name) data decompressed to \(got) bytes, page header says \(expected)")
  }
}

/// A non-nil base address for a possibly empty buffer (C libraries reject NULL).
@inline(__always)
func baseOrDummy(_ b: UnsafeRawBufferPointer) -> UnsafeRawPointer {
  b.baseAddress ?? UnsafeRawPointer(dummyByte)
}

@inline(__always)
func baseOrDummy(_ b: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawPointer {
  b.baseAddress ?? dummyByte
}

nonisolated(unsafe) private let dummyByte: UnsafeMutableRawPointer = {
  let p = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
  p.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
  return p
}()
