import XCTest
@testable import Parquet

/// RLE / bit-packed hybrid: the spec's example, golden runs, round trips at every width,
/// drip-fed decoding, and truncation.
final class EncodingRLETests: XCTestCase {
  func decode(_ bytes: [UInt8], width: Int, count: Int, chunk: Int? = nil) throws -> [Int32] {
    try bytes.withUnsafeBytes { raw in
      var d = RLEHybridDecoder(data: raw, bitWidth: width)
      var out = [Int32](repeating: -99, count: count)
      try out.withUnsafeMutableBufferPointer { o in
        var done = 0
        while done < count {
          let n = min(chunk ?? count, count - done)
          try d.decode(into: o.baseAddress! + done, count: n)
          done += n
        }
      }
      return out
    }
  }

  func encode(_ values: [Int32], width: Int) -> [UInt8] {
    var e = RLEHybridEncoder(bitWidth: width)
    for v in values { e.append(v) }
    return e.finish()
  }

  /// The spec's bit-packing example: 0...7 at width 3 pack to 10001000 11000110 11111010.
  func testSpecBitPackedExample() throws {
    let golden: [UInt8] = [0x03, 0x88, 0xc6, 0xfa]  // header: 1 group, bit-packed
    XCTAssertEqual(try decode(golden, width: 3, count: 8), [0, 1, 2, 3, 4, 5, 6, 7])
    XCTAssertEqual(encode([0, 1, 2, 3, 4, 5, 6, 7], width: 3), golden)
  }

  func testGoldenRLERuns() throws {
    // 10 × 5 at width 3: header 10 << 1, one value byte.
    XCTAssertEqual(encode([Int32](repeating: 5, count: 10), width: 3), [0x14, 0x05])
    XCTAssertEqual(try decode([0x14, 0x05], width: 3, count: 10), [Int32](repeating: 5, count: 10))
    // Width 12: the value takes two bytes; 300 repeats: header 600 = 0xd8 0x04.
    XCTAssertEqual(encode([Int32](repeating: 0xabc, count: 300), width: 12), [0xd8, 0x04, 0xbc, 0x0a])
    // Width 0 (one-entry dictionary): no value bytes.
    XCTAssertEqual(encode([Int32](repeating: 0, count: 9), width: 0), [0x12])
    XCTAssertEqual(try decode([0x12], width: 0, count: 9), [Int32](repeating: 0, count: 9))
    // Mixed: RLE run of 8 ones then bit-packed 0,1,0,1,... (width 1).
    let mixed: [Int32] = [Int32](repeating: 1, count: 8) + [0, 1, 0, 1, 1, 0, 0, 1]
    let bytes = encode(mixed, width: 1)
    XCTAssertEqual(bytes, [0x10, 0x01, 0x03, 0b1001_1010])
    XCTAssertEqual(try decode(bytes, width: 1, count: 16), mixed)
  }

  func testRoundTripEveryWidthAndDripFeed() throws {
    var rng = TestRNG(seed: 3)
    for width in 0...32 {
      let maxValue: UInt64 = width == 0 ? 0 : (UInt64(1) << UInt64(width)) - 1
      for count in [1, 7, 8, 9, 63, 64, 65, 1000] {
        var values: [Int32] = []
        while values.count < count {  // runs of random length and random literals
          let v = Int32(truncatingIfNeeded: UInt64.random(in: 0...maxValue, using: &rng))
          let run = Bool.random(using: &rng) ? Int.random(in: 1...20, using: &rng) : 1
          values += [Int32](repeating: v, count: min(run, count - values.count))
        }
        let bytes = encode(values, width: width)
        XCTAssertEqual(try decode(bytes, width: width, count: count), values, "width \(width) count \(count)")
        XCTAssertEqual(try decode(bytes, width: width, count: count, chunk: 1), values, "drip width \(width)")
        XCTAssertEqual(try decode(bytes, width: width, count: count, chunk: 13), values, "chunks width \(width)")
      }
    }
  }

  func testLongBitPackedRunsUseTheGroupKernels() throws {
    var rng = TestRNG(seed: 4)
    for width in [1, 2, 3, 5, 8, 10, 16, 17, 20, 31, 32] {
      let mask = width == 32 ? UInt32.max : (UInt32(1) << UInt32(width)) - 1
      let values = (0..<5000).map { _ in Int32(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng) & mask) }
      let bytes = encode(values, width: width)
      XCTAssertEqual(try decode(bytes, width: width, count: values.count), values, "width \(width)")
      XCTAssertEqual(try decode(bytes, width: width, count: values.count, chunk: 777), values, "width \(width)")
    }
  }

  func testSkipAndBooleans() throws {
    let values: [Int32] = (0..<100).map { Int32($0 % 3 == 0 ? 1 : 0) }
    let bytes = encode(values, width: 1)
    try bytes.withUnsafeBytes { raw in
      var d = RLEHybridDecoder(data: raw, bitWidth: 1)
      try d.skip(37)
      var rest = [Bool](repeating: false, count: 63)
      try rest.withUnsafeMutableBufferPointer { try d.decodeBooleans(into: $0.baseAddress!, count: 63) }
      XCTAssertEqual(rest, values[37...].map { $0 == 1 })
    }
  }

  func testLengthPrefixedAndDictionaryForms() throws {
    let body = encode([3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2], width: 2)
    var prefixed: [UInt8] = []
    withUnsafeBytes(of: UInt32(body.count).littleEndian) { prefixed.append(contentsOf: $0) }
    prefixed += body + [0xee]  // a trailing byte that belongs to the next section
    try prefixed.withUnsafeBytes { raw in
      var (d, used) = try RLEHybridDecoder.lengthPrefixed(raw, bitWidth: 2)
      XCTAssertEqual(used, 4 + body.count)
      var out = [Int32](repeating: 0, count: 11)
      try out.withUnsafeMutableBufferPointer { try d.decode(into: $0.baseAddress!, count: 11) }
      XCTAssertEqual(out, [3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2])
    }
    let dict: [UInt8] = [2] + body
    try dict.withUnsafeBytes { raw in
      var d = try RLEHybridDecoder.dictionaryIndices(raw)
      XCTAssertEqual(d.bitWidth, 2)
      var out = [Int32](repeating: 0, count: 11)
      try out.withUnsafeMutableBufferPointer { try d.decode(into: $0.baseAddress!, count: 11) }
      XCTAssertEqual(out.last, 2)
    }
    let wide: [UInt8] = [33, 0]
    wide.withUnsafeBytes { raw in assertParquetError(.corrupt) { try RLEHybridDecoder.dictionaryIndices(raw) } }
    let empty: [UInt8] = []
    empty.withUnsafeBytes { raw in assertParquetError(.corrupt) { try RLEHybridDecoder.dictionaryIndices(raw) } }
    let short: [UInt8] = [9, 0, 0, 0, 1]
    short.withUnsafeBytes { raw in assertParquetError(.corrupt) { try RLEHybridDecoder.lengthPrefixed(raw, bitWidth: 1) } }
  }

  func testTruncationIsCorruptOrExactNeverWrong() throws {
    var rng = TestRNG(seed: 5)
    for width in [1, 3, 8, 13, 32] {
      let mask = width == 32 ? UInt32.max : (UInt32(1) << UInt32(width)) - 1
      var values: [Int32] = []
      for i in 0..<200 {
        values.append(Int32(bitPattern: (i / 30) % 2 == 0 ? 1 & mask : UInt32.random(in: 0...UInt32.max, using: &rng) & mask))
      }
      let bytes = encode(values, width: width)
      for cut in 0..<bytes.count {
        do {
          let got = try decode(Array(bytes[0..<cut]), width: width, count: values.count)
          XCTAssertEqual(got, values, "a cut stream decoded to different values (width \(width), cut \(cut))")
        } catch let e as ParquetError {
          XCTAssertEqual(e.kind, .corrupt)
        }
      }
    }
  }

  func testMalformedRuns() {
    assertParquetError(.corrupt) { try self.decode([0x14], width: 3, count: 10) }            // RLE value missing
    assertParquetError(.corrupt) { try self.decode([0x14, 0x09], width: 3, count: 10) }      // value > 3 bits
    assertParquetError(.corrupt) { try self.decode([0x05, 0xff], width: 8, count: 16) }      // 2 groups, 1 byte
    assertParquetError(.corrupt) { try self.decode([0x80, 0x80, 0x80], width: 1, count: 1) } // header cut
    assertParquetError(.corrupt) { try self.decode([0xff, 0xff, 0xff, 0xff, 0x7f], width: 1, count: 1) }
    assertParquetError(.corrupt) { try self.decode([0x02, 0x01], width: 33, count: 1) }      // width > 32
    assertParquetError(.corrupt) { try self.decode([], width: 1, count: 1) }
  }

  func testBitWidthForMaxValue() {
    XCTAssertEqual(RLEHybridEncoder.bitWidth(forMaxValue: 0), 0)
    XCTAssertEqual(RLEHybridEncoder.bitWidth(forMaxValue: 1), 1)
    XCTAssertEqual(RLEHybridEncoder.bitWidth(forMaxValue: 255), 8)
    XCTAssertEqual(RLEHybridEncoder.bitWidth(forMaxValue: 256), 9)
  }
}
