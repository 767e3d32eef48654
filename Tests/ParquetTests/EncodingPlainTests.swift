import XCTest
@testable import Parquet

final class EncodingPlainTests: XCTestCase {
  func testFixedWidthGoldenAndRoundTrip() throws {
    let ints: [Int32] = [1, -2, .max, .min]
    var bytes: [UInt8] = []
    ints.withUnsafeBufferPointer { Plain.encodeInt32($0, into: &bytes) }
    XCTAssertEqual(Array(bytes[0..<8]), [0x01, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff])
    var back = [Int32](repeating: 0, count: 4)
    let used = try bytes.withUnsafeBytes { raw in
      try back.withUnsafeMutableBufferPointer { try Plain.decodeInt32(raw, count: 4, into: $0.baseAddress!) }
    }
    XCTAssertEqual(used, 16)
    XCTAssertEqual(back, ints)

    let longs: [Int64] = [0, -1, .max, .min, 1 << 40]
    let doubles: [Double] = [0, -0.0, 1.5, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
    let floats: [Float] = [1, -2.5, .nan, .infinity]
    var b64: [UInt8] = [], bd: [UInt8] = [], bf: [UInt8] = []
    longs.withUnsafeBufferPointer { Plain.encodeInt64($0, into: &b64) }
    doubles.withUnsafeBufferPointer { Plain.encodeDouble($0, into: &bd) }
    floats.withUnsafeBufferPointer { Plain.encodeFloat($0, into: &bf) }
    XCTAssertEqual(Array(bf[0..<4]), [0x00, 0x00, 0x80, 0x3f])  // 1.0f
    var l = [Int64](repeating: 0, count: longs.count)
    var d = [Double](repeating: 0, count: doubles.count)
    var f = [Float](repeating: 0, count: floats.count)
    _ = try b64.withUnsafeBytes { r in try l.withUnsafeMutableBufferPointer { try Plain.decodeInt64(r, count: longs.count, into: $0.baseAddress!) } }
    _ = try bd.withUnsafeBytes { r in try d.withUnsafeMutableBufferPointer { try Plain.decodeDouble(r, count: doubles.count, into: $0.baseAddress!) } }
    _ = try bf.withUnsafeBytes { r in try f.withUnsafeMutableBufferPointer { try Plain.decodeFloat(r, count: floats.count, into: $0.baseAddress!) } }
    XCTAssertEqual(l, longs)
    XCTAssertEqual(d.map(\.bitPattern), doubles.map(\.bitPattern))
    XCTAssertEqual(f.map(\.bitPattern), floats.map(\.bitPattern))
  }

  func testShortPagesAreCorrupt() {
    let bytes = [UInt8](repeating: 0, count: 15)
    bytes.withUnsafeBytes { raw in
      var i32 = [Int32](repeating: 0, count: 4)
      var i64 = [Int64](repeating: 0, count: 2)
      assertParquetError(.corrupt, mentioning: "INT32") {
        try i32.withUnsafeMutableBufferPointer { try Plain.decodeInt32(raw, count: 4, into: $0.baseAddress!) }
      }
      assertParquetError(.corrupt) {
        try i64.withUnsafeMutableBufferPointer { try Plain.decodeInt64(raw, count: 2, into: $0.baseAddress!) }
      }
      assertParquetError(.corrupt) {
        try i64.withUnsafeMutableBufferPointer { try Plain.decodeInt96(raw, count: 2, into: $0.baseAddress!) }
      }
      assertParquetError(.corrupt) {
        try i64.withUnsafeMutableBufferPointer { try Plain.decodeInt64(raw, count: -1, into: $0.baseAddress!) }
      }
      var bools = [Bool](repeating: false, count: 200)
      assertParquetError(.corrupt) {
        try bools.withUnsafeMutableBufferPointer { try Plain.decodeBoolean(raw, count: 121, into: $0.baseAddress!) }
      }
      var flba = [UInt8](repeating: 0, count: 64)
      assertParquetError(.corrupt) {
        try flba.withUnsafeMutableBytes { try Plain.decodeFixedLenByteArray(raw, width: 4, count: 4, into: $0.baseAddress!) }
      }
    }
  }

  func testInt96() throws {
    // 1970-01-01T00:00:00.000000001: nanos 1, Julian day 2440588 (0x253d8c).
    // 1970-01-02T00:00:00: nanos 0, day 2440589. 1969-12-31T23:59:59.5: nanos 86399.5e9, day 2440587.
    var bytes: [UInt8] = []
    for (nanos, day) in [(Int64(1), UInt32(2_440_588)), (0, 2_440_589), (86_399_500_000_000, 2_440_587)] {
      withUnsafeBytes(of: nanos.littleEndian) { bytes.append(contentsOf: $0) }
      withUnsafeBytes(of: day.littleEndian) { bytes.append(contentsOf: $0) }
    }
    XCTAssertEqual(Array(bytes[8..<12]), [0x8c, 0x3d, 0x25, 0x00])
    var out = [Int64](repeating: 0, count: 3)
    let used = try bytes.withUnsafeBytes { r in try out.withUnsafeMutableBufferPointer { try Plain.decodeInt96(r, count: 3, into: $0.baseAddress!) } }
    XCTAssertEqual(used, 36)
    XCTAssertEqual(out, [1, 86_400_000_000_000, -500_000_000])
    // The day is unsigned (as Arrow reads it): day 0xffffffff is far in the future, wrapping.
    let far = Plain.int96Nanoseconds(julianDay: .max, nanosecondsOfDay: 0)
    XCTAssertEqual(far, (Int64(UInt32.max) - 2_440_588) &* 86_400_000_000_000)
  }

  func testBooleansBitPackedLSBFirst() throws {
    let values = [true, false, true, true, false, false, false, false, true]
    var bytes: [UInt8] = []
    values.withUnsafeBufferPointer { Plain.encodeBoolean($0, into: &bytes) }
    XCTAssertEqual(bytes, [0x0d, 0x01])
    var rng = TestRNG(seed: 6)
    let many = (0..<1001).map { _ in Bool.random(using: &rng) }
    var packed: [UInt8] = []
    many.withUnsafeBufferPointer { Plain.encodeBoolean($0, into: &packed) }
    // Whole, and in pieces starting mid-byte.
    var out = [Bool](repeating: false, count: many.count)
    try packed.withUnsafeBytes { raw in
      try out.withUnsafeMutableBufferPointer { o in
        XCTAssertEqual(try Plain.decodeBoolean(raw, count: many.count, into: o.baseAddress!), packed.count)
      }
      XCTAssertEqual(out, many)
      out = [Bool](repeating: false, count: many.count)
      try out.withUnsafeMutableBufferPointer { o in
        var bit = 0
        for piece in [3, 1, 17, 64, 5, 911] {
          _ = try Plain.decodeBoolean(raw, bitOffset: bit, count: piece, into: o.baseAddress! + bit)
          bit += piece
        }
      }
      XCTAssertEqual(out, many)
    }
  }

  func testByteArrays() throws {
    // Golden: "ab", "" → 02 00 00 00 61 62 00 00 00 00.
    var bytes: [UInt8] = []
    Plain.encodeByteArray([[0x61, 0x62], []], into: &bytes)
    XCTAssertEqual(bytes, [0x02, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0])
    let strings = ["", "x", "héllo", String(repeating: "z", count: 300)]
    let offsets: [Int32] = strings.reduce(into: [0]) { $0.append($0.last! + Int32($1.utf8.count)) }
    let flat = strings.flatMap { Array($0.utf8) }
    var page: [UInt8] = []
    offsets.withUnsafeBufferPointer { o in flat.withUnsafeBytes { Plain.encodeByteArray(offsets: o, bytes: $0, into: &page) } }
    page += [0xaa, 0xbb]  // trailing bytes are not consumed
    var outOffsets: [Int32] = []
    var outBytes: [UInt8] = []
    let used = try page.withUnsafeBytes { try Plain.decodeByteArray($0, count: strings.count, offsets: &outOffsets, bytes: &outBytes) }
    XCTAssertEqual(used, page.count - 2)
    XCTAssertEqual(outOffsets, offsets)
    XCTAssertEqual(outBytes, flat)
    // Appending a second page continues the offsets.
    _ = try page.withUnsafeBytes { try Plain.decodeByteArray($0, count: 2, offsets: &outOffsets, bytes: &outBytes) }
    XCTAssertEqual(outOffsets.count, 7)
    XCTAssertEqual(Int(outOffsets.last!), outBytes.count)
    XCTAssertEqual(Array(outBytes.suffix(1)), [0x78])
  }

  func testByteArrayTruncationLeavesOutputUntouched() {
    var page: [UInt8] = []
    Plain.encodeByteArray([[1, 2, 3], [4, 5, 6, 7]], into: &page)
    for cut in 0..<page.count {
      var offsets: [Int32] = [0]
      var bytes: [UInt8] = []
      assertParquetError(.corrupt) {
        try Array(page[0..<cut]).withUnsafeBytes { try Plain.decodeByteArray($0, count: 2, offsets: &offsets, bytes: &bytes) }
      }
      XCTAssertEqual(offsets, [0])
      XCTAssertEqual(bytes, [])
    }
    let huge: [UInt8] = [0xff, 0xff, 0xff, 0x7f, 1]  // claims 2 GiB
    var offsets: [Int32] = []
    var bytes: [UInt8] = []
    assertParquetError(.corrupt) { try huge.withUnsafeBytes { try Plain.decodeByteArray($0, count: 1, offsets: &offsets, bytes: &bytes) } }
  }

  func testFixedLenByteArray() throws {
    let page: [UInt8] = Array(0..<12)
    var out = [UInt8](repeating: 0, count: 12)
    let used = try page.withUnsafeBytes { r in try out.withUnsafeMutableBytes { try Plain.decodeFixedLenByteArray(r, width: 3, count: 4, into: $0.baseAddress!) } }
    XCTAssertEqual(used, 12)
    XCTAssertEqual(out, page)
  }
}
