import XCTest
@testable import Parquet

/// Codecs: bytes produced by the real tools decompress; round trips; concatenated gzip members
/// and zstd frames; every size claim and truncation is an error, never a crash.
final class CodecTests: XCTestCase {
  // printf 'hello hello hello parquet\n' | gzip -c -n
  let gzipHello: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57,
    0xc8, 0x40, 0x22, 0x0b, 0x12, 0x8b, 0x0a, 0x4b, 0x53, 0x4b, 0xb8, 0x00, 0xeb, 0x42, 0xae, 0x8f,
    0x1a, 0x00, 0x00, 0x00,
  ]
  // (printf 'first member\n' | gzip -c -n; printf 'second member\n' | gzip -c -n)
  let gzipTwoMembers: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0xcb, 0x2c, 0x2a, 0x2e, 0x51,
    0xc8, 0x4d, 0xcd, 0x4d, 0x4a, 0x2d, 0xe2, 0x02, 0x00, 0xa7, 0xf4, 0x85, 0x0a, 0x0d, 0x00, 0x00,
    0x00, 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x2b, 0x4e, 0x4d, 0xce, 0xcf,
    0x4b, 0x51, 0xc8, 0x4d, 0xcd, 0x4d, 0x4a, 0x2d, 0xe2, 0x02, 0x00, 0x36, 0x18, 0x4b, 0x0e, 0x0e,
    0x00, 0x00, 0x00,
  ]
  // printf 'zlib stream data zlib stream data\n' | python3 -c "import sys,zlib;sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"
  let zlibStream: [UInt8] = [
    0x78, 0x9c, 0xab, 0xca, 0xc9, 0x4c, 0x52, 0x28, 0x2e, 0x29, 0x4a, 0x4d, 0xcc, 0x55, 0x48, 0x49,
    0x2c, 0x49, 0x54, 0xa8, 0x42, 0x13, 0xe0, 0x02, 0x00, 0xdf, 0x61, 0x0c, 0x59,
  ]
  /// The text the pyarrow.Codec fixtures below compress.
  let codecText = [UInt8](ascii: "snappy snappy snappy gust parquet 0123456789 0123456789\n")
  // pyarrow 26: pa.Codec('snappy').compress(codecText)
  let snappyFromPyarrow: [UInt8] = [
    0x38, 0x18, 0x73, 0x6e, 0x61, 0x70, 0x70, 0x79, 0x20, 0x36, 0x07, 0x00, 0x88, 0x67, 0x75, 0x73,
    0x74, 0x20, 0x70, 0x61, 0x72, 0x71, 0x75, 0x65, 0x74, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37, 0x38, 0x39, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x0a,
  ]
  // pyarrow 26: pa.Codec('lz4_raw').compress(codecText)
  let lz4RawFromPyarrow: [UInt8] = [
    0x7a, 0x73, 0x6e, 0x61, 0x70, 0x70, 0x79, 0x20, 0x07, 0x00, 0xf3, 0x08, 0x67, 0x75, 0x73, 0x74,
    0x20, 0x70, 0x61, 0x72, 0x71, 0x75, 0x65, 0x74, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36,
    0x37, 0x38, 0x39, 0x0b, 0x00, 0x50, 0x36, 0x37, 0x38, 0x39, 0x0a,
  ]
  // pyarrow 26: pa.Codec('zstd').compress(codecText)
  let zstdFromPyarrow: [UInt8] = [
    0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x38, 0x45, 0x01, 0x00, 0xf8, 0x73, 0x6e, 0x61, 0x70, 0x70, 0x79,
    0x20, 0x67, 0x75, 0x73, 0x74, 0x20, 0x70, 0x61, 0x72, 0x71, 0x75, 0x65, 0x74, 0x20, 0x30, 0x31,
    0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x0a, 0x02, 0x00, 0x5d, 0x8c, 0x26, 0xb9, 0x18,
    0x01,
  ]
  // (printf 'zstd frame one\n' | zstd -q -c --no-check; printf 'zstd frame two\n' | zstd -q -c)
  let zstdTwoFrames: [UInt8] = [
    0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x79, 0x00, 0x00, 0x7a, 0x73, 0x74, 0x64, 0x20, 0x66, 0x72,
    0x61, 0x6d, 0x65, 0x20, 0x6f, 0x6e, 0x65, 0x0a, 0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x79, 0x00,
    0x00, 0x7a, 0x73, 0x74, 0x64, 0x20, 0x66, 0x72, 0x61, 0x6d, 0x65, 0x20, 0x74, 0x77, 0x6f, 0x0a,
    0xf6, 0xd4, 0x1d, 0xad,
  ]

  func testGoldenBytesFromTools() throws {
    XCTAssertEqual(try Codecs.decompress(.gzip, gzipHello, uncompressedSize: 26),
                   [UInt8](ascii: "hello hello hello parquet\n"))
    XCTAssertEqual(try Codecs.decompress(.gzip, zlibStream, uncompressedSize: 34),
                   [UInt8](ascii: "zlib stream data zlib stream data\n"))
    XCTAssertEqual(try Codecs.decompress(.snappy, snappyFromPyarrow, uncompressedSize: codecText.count), codecText)
    XCTAssertEqual(try Codecs.decompress(.lz4Raw, lz4RawFromPyarrow, uncompressedSize: codecText.count), codecText)
    XCTAssertEqual(try Codecs.decompress(.zstd, zstdFromPyarrow, uncompressedSize: codecText.count), codecText)
  }

  func testConcatenatedGzipMembersDecodeFully() throws {
    let want = [UInt8](ascii: "first member\nsecond member\n")
    XCTAssertEqual(try Codecs.decompress(.gzip, gzipTwoMembers, uncompressedSize: want.count), want)
    // Claiming only the first member's size: the rest does not fit.
    assertParquetError(.corrupt) { try Codecs.decompress(.gzip, gzipTwoMembers, uncompressedSize: 13) }
    // Members we compress ourselves, three of them.
    let parts = [[UInt8](ascii: "a"), [UInt8](repeating: 7, count: 5000), [UInt8](ascii: "tail")]
    var joined: [UInt8] = []
    for p in parts { joined += try Codecs.compress(.gzip, p) }
    XCTAssertEqual(try Codecs.decompress(.gzip, joined, uncompressedSize: 5005), parts.flatMap { $0 })
  }

  func testMultiFrameZstd() throws {
    let want = [UInt8](ascii: "zstd frame one\nzstd frame two\n")
    XCTAssertEqual(try Codecs.decompress(.zstd, zstdTwoFrames, uncompressedSize: want.count), want)
    assertParquetError(.corrupt) { try Codecs.decompress(.zstd, zstdTwoFrames, uncompressedSize: 15) }
  }

  func testRoundTripEveryWritableCodec() throws {
    var rng = TestRNG(seed: 1)
    let random = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let repetitive = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 % 17) }
    let inputs: [[UInt8]] = [[], [42], codecText, random, repetitive]
    for codec in [CompressionCodec.uncompressed, .snappy, .gzip, .zstd, .lz4Raw] {
      for input in inputs {
        let packed = try Codecs.compress(codec, input)
        let back = try Codecs.decompress(codec, packed, uncompressedSize: input.count)
        XCTAssertEqual(back, input, "\(codec) \(input.count) bytes")
        var out = [UInt8](repeating: 0, count: input.count)
        try packed.withUnsafeBytes { p in
          try out.withUnsafeMutableBytes { try Codecs.decompress(codec, p, into: $0) }
        }
        XCTAssertEqual(out, input, "\(codec) into: \(input.count) bytes")
      }
    }
  }

  func testWrongSizeClaimIsCorrupt() throws {
    for codec in [CompressionCodec.snappy, .gzip, .zstd, .lz4Raw] {
      let packed = try Codecs.compress(codec, codecText)
      assertParquetError(.corrupt) { try Codecs.decompress(codec, packed, uncompressedSize: codecText.count + 1) }
      assertParquetError(.corrupt) { try Codecs.decompress(codec, packed, uncompressedSize: codecText.count - 1) }
      var small = [UInt8](repeating: 0, count: 10)
      assertParquetError(.corrupt) {
        try packed.withUnsafeBytes { p in try small.withUnsafeMutableBytes { try Codecs.decompress(codec, p, into: $0) } }
      }
    }
    assertParquetError(.corrupt) { try Codecs.decompress(.uncompressed, [1, 2, 3], uncompressedSize: 4) }
  }

  func testTruncatedAndFlippedInputsNeverCrash() throws {
    var rng = TestRNG(seed: 2)
    let input = (0..<3000).map { i in UInt8(truncatingIfNeeded: i % 50 == 0 ? Int.random(in: 0...255, using: &rng) : i % 7) }
    for codec in [CompressionCodec.snappy, .gzip, .zstd, .lz4Raw] {
      let packed = try Codecs.compress(codec, input)
      for cut in stride(from: 0, to: packed.count, by: max(1, packed.count / 40)) {
        assertParquetError(.corrupt) { try Codecs.decompress(codec, Array(packed[0..<cut]), uncompressedSize: input.count) }
      }
      for _ in 0..<100 {  // flipped bits: an error or bytes of the right length, never a crash
        var bad = packed
        bad[Int.random(in: 0..<bad.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
        do {
          let out = try Codecs.decompress(codec, bad, uncompressedSize: input.count)
          XCTAssertEqual(out.count, input.count)
        } catch let e as ParquetError {
          XCTAssertEqual(e.kind, .corrupt, "\(codec): \(e)")
        }
      }
    }
  }

  func testUnsupportedCodecsNameTheCodec() {
    assertParquetError(.unsupported, mentioning: "LZO") { try Codecs.decompress(.lzo, [1, 2], uncompressedSize: 4) }
    assertParquetError(.unsupported, mentioning: "BROTLI") { try Codecs.decompress(.brotli, [1, 2], uncompressedSize: 4) }
    assertParquetError(.unsupported, mentioning: "Hadoop") { try Codecs.decompress(.lz4, [1, 2], uncompressedSize: 4) }
    assertParquetError(.unsupported, mentioning: "BROTLI") { try Codecs.compress(.brotli, [1, 2]) }
    XCTAssertEqual(CompressionCodec(rawValue: 7), .lz4Raw)
    XCTAssertEqual(CompressionCodec.zstd.name, "ZSTD")
  }

  func testHugeSizeClaimsAreRefusedBeforeAllocating() {
    assertParquetError(.unsupported) { try Codecs.decompress(.zstd, zstdFromPyarrow, uncompressedSize: 3 << 30) }
    assertParquetError(.corrupt) { try Codecs.decompress(.snappy, snappyFromPyarrow, uncompressedSize: 500_000_000) }
    assertParquetError(.corrupt) { try Codecs.decompress(.gzip, gzipHello, uncompressedSize: 200_000_000) }
    assertParquetError(.corrupt) { try Codecs.decompress(.gzip, gzipHello, uncompressedSize: -1) }
  }

  func testEmptyPagesAreEmpty() throws {
    for codec in [CompressionCodec.uncompressed, .snappy, .gzip, .zstd, .lz4Raw] {
      XCTAssertEqual(try Codecs.decompress(codec, [], uncompressedSize: 0), [])
    }
  }
}
