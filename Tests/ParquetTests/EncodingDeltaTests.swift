import XCTest
@testable import Parquet

/// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY: the spec's examples as
/// golden bytes (computed by hand below), round trips, and malformed streams.
final class EncodingDeltaTests: XCTestCase {
  /// Spec example 1: 1, 2, 3, 4, 5. Header: block 128 (80 01), 4 miniblocks, 5 values, first
  /// zigzag(1) = 2; one block: min delta zigzag(1) = 2, all widths 0, no miniblock bodies.
  let example1: [UInt8] = [0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00]
  /// Spec example 2: 7, 5, 3, 1, 2, 3, 4, 5. Deltas -2 -2 -2 1 1 1 1; min -2 (zigzag 3); relative
  /// 0 0 0 3 3 3 3 at width 2 → C0 3F, padded to 32 values (8 bytes); unused widths 0.
  let example2: [UInt8] = [0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00,
                           0xc0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]

  func decode64(_ bytes: [UInt8]) throws -> (values: [Int64], consumed: Int) {
    try DeltaBinaryPacked.decodeInt64(bytes)
  }

  func decode32(_ bytes: [UInt8], count: Int) throws -> [Int32] {
    var out = [Int32](repeating: 0, count: count)
    _ = try bytes.withUnsafeBytes { r in try out.withUnsafeMutableBufferPointer { try DeltaBinaryPacked.decodeInt32(r, count: count, into: $0.baseAddress!) } }
    return out
  }

  func encode64(_ values: [Int64], block: Int = 128, minis: Int = 4) -> [UInt8] {
    var out: [UInt8] = []
    values.withUnsafeBufferPointer { DeltaBinaryPacked.encodeInt64($0, into: &out, blockSize: block, miniblocksPerBlock: minis) }
    return out
  }

  func encode32(_ values: [Int32], block: Int = 128, minis: Int = 4) -> [UInt8] {
    var out: [UInt8] = []
    values.withUnsafeBufferPointer { DeltaBinaryPacked.encodeInt32($0, into: &out, blockSize: block, miniblocksPerBlock: minis) }
    return out
  }

  func testSpecExamples() throws {
    XCTAssertEqual(try decode64(example1).values, [1, 2, 3, 4, 5])
    XCTAssertEqual(try decode64(example1).consumed, example1.count)
    XCTAssertEqual(encode64([1, 2, 3, 4, 5]), example1)
    XCTAssertEqual(try decode64(example2).values, [7, 5, 3, 1, 2, 3, 4, 5])
    XCTAssertEqual(encode64([7, 5, 3, 1, 2, 3, 4, 5]), example2)
    XCTAssertEqual(try decode32(example2, count: 8), [7, 5, 3, 1, 2, 3, 4, 5])
    // Readers must accept any value in the widths of unused miniblocks.
    var junkWidths = example2
    junkWidths[7] = 0xff; junkWidths[8] = 0x41; junkWidths[9] = 0x07
    XCTAssertEqual(try decode64(junkWidths).values, [7, 5, 3, 1, 2, 3, 4, 5])
  }

  func testRoundTrips() throws {
    var rng = TestRNG(seed: 7)
    for (block, minis) in [(128, 4), (256, 8), (128, 1), (1024, 8)] {
      for count in [0, 1, 2, 31, 32, 33, 127, 128, 129, 1000, 2049] {
        let walk = (0..<count).reduce(into: [Int64]()) { a, _ in a.append((a.last ?? 1_000_000) + Int64.random(in: -50...400, using: &rng)) }
        let wild = (0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) }
        let extremes = (0..<count).map { $0 % 2 == 0 ? Int64.max : Int64.min }
        for values in [walk, wild, extremes] {
          let bytes = encode64(values, block: block, minis: minis) + [0xde, 0xad]
          let got = try decode64(bytes)
          XCTAssertEqual(got.values, values, "block \(block)/\(minis) count \(count)")
          XCTAssertEqual(got.consumed, bytes.count - 2, "consumed stops at the stream's end")
        }
        let ints = (0..<count).map { _ in Int32.random(in: .min ... .max, using: &rng) }
        XCTAssertEqual(try decode32(encode32(ints, block: block, minis: minis), count: count), ints)
      }
    }
  }

  func testMalformedStreams() throws {
    assertParquetError(.corrupt) { try self.decode32(self.example2, count: 7) }  // count disagrees
    assertParquetError(.corrupt) { try self.decode64([0x81, 0x01, 0x04, 0x01, 0x00]) }  // block 129
    assertParquetError(.corrupt) { try self.decode64([0x80, 0x01, 0x03, 0x01, 0x00]) }  // 128 / 3
    assertParquetError(.corrupt) { try self.decode64([0x80, 0x01, 0x00, 0x01, 0x00]) }  // 0 miniblocks
    assertParquetError(.corrupt) { try self.decode64([0x80, 0x01, 0x08, 0x01, 0x00]) }  // 16 per miniblock
    assertParquetError(.unsupported) { try self.decode64([0x80, 0x80, 0x80, 0x80, 0x01, 0x04, 0x01, 0x00]) }
    var wide = example2
    wide[6] = 65
    assertParquetError(.corrupt) { try self.decode64(wide) }
    // Every cut is an error, except cuts in the last miniblock's padding, which decode exactly.
    let values = (0..<300).map { Int64($0 * $0) }
    let bytes = encode64(values)
    var accepted = 0
    for cut in 0..<bytes.count {
      do {
        let got = try decode64(Array(bytes[0..<cut]))
        XCTAssertEqual(got.values, values, "cut \(cut)")
        accepted += 1
      } catch let e as ParquetError {
        XCTAssertEqual(e.kind, .corrupt)
      }
    }
    XCTAssertLessThan(accepted, 32, "only padding may be missing")
  }

  func testLastMiniblockWithoutPaddingIsAccepted() throws {
    // example2 cut right after the bytes its 7 deltas need (2 of the 8 bytes of the miniblock).
    let cut = Array(example2[0..<12])
    let got = try decode64(cut)
    XCTAssertEqual(got.values, [7, 5, 3, 1, 2, 3, 4, 5])
    XCTAssertEqual(got.consumed, 12)
  }

  /// Spec example: "Hello", "World", "Foobar", "ABCDEF". Lengths 5 5 6 6: first zigzag(5) = 0a,
  /// deltas 0 1 0, min 0, width 1 → 0b010 = 02 padded to 4 bytes; then the bytes.
  func testDeltaLengthByteArraySpecExample() throws {
    let golden: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]
      + [UInt8](ascii: "HelloWorldFoobarABCDEF")
    let words = ["Hello", "World", "Foobar", "ABCDEF"]
    let (offsets, flat) = layout(words)
    var encoded: [UInt8] = []
    offsets.withUnsafeBufferPointer { o in flat.withUnsafeBytes { DeltaLengthByteArray.encode(offsets: o, bytes: $0, into: &encoded) } }
    XCTAssertEqual(encoded, golden)
    var outOffsets: [Int32] = []
    var outBytes: [UInt8] = []
    let used = try (golden + [0x99]).withUnsafeBytes {
      try DeltaLengthByteArray.decode($0, count: 4, offsets: &outOffsets, bytes: &outBytes)
    }
    XCTAssertEqual(used, golden.count)
    XCTAssertEqual(outOffsets, offsets)
    XCTAssertEqual(outBytes, flat)
    // Lengths claiming more bytes than the page has.
    assertParquetError(.corrupt) {
      try Array(golden.dropLast()).withUnsafeBytes { try DeltaLengthByteArray.decode($0, count: 4, offsets: &outOffsets, bytes: &outBytes) }
    }
    // A negative length: first value zigzag(-1) = 01.
    let negative: [UInt8] = [0x80, 0x01, 0x04, 0x01, 0x01]
    assertParquetError(.corrupt) {
      try negative.withUnsafeBytes { try DeltaLengthByteArray.decode($0, count: 1, offsets: &outOffsets, bytes: &outBytes) }
    }
  }

  /// Spec example: "axis", "axle", "babble", "babyhood" → prefixes 0 2 0 3, suffixes "axis", "le",
  /// "babble", "yhood". Prefix lengths: first 0, deltas 2 -2 3, min -2 (03), relative 4 0 5 at
  /// width 3 → 44 01 (12-byte miniblock). Suffix lengths 4 2 6 5: first zigzag(4) = 08, deltas
  /// -2 4 -1, min -2, relative 0 6 1 at width 3 → 70 00.
  func testDeltaByteArraySpecExample() throws {
    let golden: [UInt8] =
      [0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x44, 0x01] + [UInt8](repeating: 0, count: 10)
      + [0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0x00, 0x00, 0x00, 0x70] + [UInt8](repeating: 0, count: 11)
      + [UInt8](ascii: "axislebabbleyhood")
    let words = ["axis", "axle", "babble", "babyhood"]
    let (offsets, flat) = layout(words)
    var encoded: [UInt8] = []
    offsets.withUnsafeBufferPointer { o in flat.withUnsafeBytes { DeltaByteArray.encode(offsets: o, bytes: $0, into: &encoded) } }
    XCTAssertEqual(encoded, golden)
    var outOffsets: [Int32] = [0]
    var outBytes: [UInt8] = []
    let used = try golden.withUnsafeBytes { try DeltaByteArray.decode($0, count: 4, offsets: &outOffsets, bytes: &outBytes) }
    XCTAssertEqual(used, golden.count)
    XCTAssertEqual(outOffsets, offsets)
    XCTAssertEqual(String(decoding: outBytes, as: UTF8.self), "axisaxlebabblebabyhood")
  }

  func testDeltaByteArrayRoundTripAndBadPrefixes() throws {
    var rng = TestRNG(seed: 8)
    var words: [String] = []
    for i in 0..<700 {
      let stem = ["graph/node/", "graph/edge/", "", "paper-"][Int.random(in: 0...3, using: &rng)]
      words.append(stem + String(i / 3) + String(repeating: "x", count: i % 4))
    }
    let (offsets, flat) = layout(words)
    var encoded: [UInt8] = []
    offsets.withUnsafeBufferPointer { o in flat.withUnsafeBytes { DeltaByteArray.encode(offsets: o, bytes: $0, into: &encoded) } }
    var outOffsets: [Int32] = []
    var outBytes: [UInt8] = []
    _ = try encoded.withUnsafeBytes { try DeltaByteArray.decode($0, count: words.count, offsets: &outOffsets, bytes: &outBytes) }
    XCTAssertEqual(outOffsets, offsets)
    XCTAssertEqual(outBytes, flat)
    for cut in stride(from: 0, to: encoded.count, by: 7) {
      var o: [Int32] = []
      var b: [UInt8] = []
      assertParquetError(.corrupt) {
        try Array(encoded[0..<cut]).withUnsafeBytes { try DeltaByteArray.decode($0, count: words.count, offsets: &o, bytes: &b) }
      }
    }
    // First value claims a 1-byte prefix of nothing.
    let badPrefix: [UInt8] = [0x80, 0x01, 0x04, 0x01, 0x02] + [0x80, 0x01, 0x04, 0x01, 0x02] + [0x41]
    assertParquetError(.corrupt) {
      try badPrefix.withUnsafeBytes { try DeltaByteArray.decode($0, count: 1, offsets: &outOffsets, bytes: &outBytes) }
    }
  }

  func layout(_ words: [String]) -> ([Int32], [UInt8]) {
    let offsets: [Int32] = words.reduce(into: [0]) { $0.append($0.last! + Int32($1.utf8.count)) }
    return (offsets, words.flatMap { Array($0.utf8) })
  }
}
