/// The compression codecs of a Parquet column chunk, with their Thrift values
/// (`parquet.thrift`, enum `CompressionCodec`).
public enum CompressionCodec: Int32, Sendable, CaseIterable, CustomStringConvertible {
  case uncompressed = 0
  case snappy = 1
  case gzip = 2
  case lzo = 3
  case brotli = 4
  /// The deprecated Hadoop-framed LZ4 (`LZ4` in the spec); Gust does not read it.
  case lz4 = 5
  case zstd = 6
  /// Plain LZ4 blocks without framing (`LZ4_RAW`).
  case lz4Raw = 7

  /// The name the spec and pyarrow use, for messages.
  public var name: String {
    switch self {
    case .uncompressed: return "UNCOMPRESSED"
    case .snappy: return "SNAPPY"
    case .gzip: return "GZIP"
    case .lzo: return "LZO"
    case .brotli: return "BROTLI"
    case .lz4: return "LZ4 (Hadoop framing)"
    case .zstd: return "ZSTD"
    case .lz4Raw: return "LZ4_RAW"
    }
  }

  public var description: String { name }

  /// Whether `Codecs.decompress` reads this codec.
  public var canDecompress: Bool {
    switch self {
    case .uncompressed, .snappy, .gzip, .zstd, .lz4Raw: return true
    case .lzo, .brotli, .lz4: return false
    }
  }

  /// Whether `Codecs.compress` writes this codec.
  public var canCompress: Bool { canDecompress }

  /// The largest expansion the codec's format allows (decompressed bytes per compressed byte),
  /// used to refuse a page header's size claim before allocating for it.
  var maxExpansionRatio: Int {
    switch self {
    case .uncompressed: return 1
    case .snappy: return 32        // a 3-byte copy emits at most 64 bytes: < 22x
    case .gzip: return 1040        // deflate's limit is 1032:1
    case .lz4Raw, .lz4: return 256 // LZ4's limit is ~255:1
    case .zstd: return 32_768      // an RLE block: 4 bytes for 128 KiB
    case .lzo, .brotli: return 1 << 20
    }
  }
}
