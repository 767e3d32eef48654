import XCTest
@testable import Parquet

final class EncodingByteStreamSplitTests: XCTestCase {
  func testFloatGolden() throws {
    // 1.0f = 00 00 80 3f, 2.0f = 00 00 00 40, -0.5f = 00 00 00 bf: stream k holds byte k of each.
    let golden: [UInt8] = [0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0x3f, 0x40, 0xbf]
    var out = [Float](repeating: 0, count: 3)
    let used = try golden.withUnsafeBytes { r in try out.withUnsafeMutableBufferPointer { try ByteStreamSplit.decodeFloat(r, count: 3, into: $0.baseAddress!) } }
    XCTAssertEqual(used, 12)
    XCTAssertEqual(out, [1, 2, -0.5])
    var encoded: [UInt8] = []
    [Float(1), 2, -0.5].withUnsafeBytes { ByteStreamSplit.encode($0, width: 4, into: &encoded) }
    XCTAssertEqual(encoded, golden)
  }

  func testRoundTripsEveryWidth() throws {
    var rng = TestRNG(seed: 9)
    for count in [0, 1, 5, 1000] {
      let d = (0..<count).map { _ in Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng)) }
      let i64 = (0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) }
      let i32 = (0..<count).map { _ in Int32.random(in: .min ... .max, using: &rng) }
      var bd: [UInt8] = [], b64: [UInt8] = [], b32: [UInt8] = []
      d.withUnsafeBytes { ByteStreamSplit.encode($0, width: 8, into: &bd) }
      i64.withUnsafeBytes { ByteStreamSplit.encode($0, width: 8, into: &b64) }
      i32.withUnsafeBytes { ByteStreamSplit.encode($0, width: 4, into: &b32) }
      var od = [Double](repeating: 0, count: count), o64 = [Int64](repeating: 0, count: count), o32 = [Int32](repeating: 0, count: count)
      _ = try bd.withUnsafeBytes { r in try od.withUnsafeMutableBufferPointer { try ByteStreamSplit.decodeDouble(r, count: count, into: $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!) } }
      _ = try b64.withUnsafeBytes { r in try o64.withUnsafeMutableBufferPointer { try ByteStreamSplit.decodeInt64(r, count: count, into: $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!) } }
      _ = try b32.withUnsafeBytes { r in try o32.withUnsafeMutableBufferPointer { try ByteStreamSplit.decodeInt32(r, count: count, into: $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!) } }
      XCTAssertEqual(od.map(\.bitPattern), d.map(\.bitPattern))
      XCTAssertEqual(o64, i64)
      XCTAssertEqual(o32, i32)
      for width in [1, 2, 3, 16] {  // FIXED_LEN_BYTE_ARRAY, e.g. FLOAT16 (2), DECIMAL (16)
        let raw = (0..<(count * width)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var enc: [UInt8] = []
        raw.withUnsafeBytes { ByteStreamSplit.encode($0, width: width, into: &enc) }
        var out = [UInt8](repeating: 0, count: raw.count)
        _ = try enc.withUnsafeBytes { r in try out.withUnsafeMutableBytes { try ByteStreamSplit.decodeFixedLenByteArray(r, width: width, count: count, into: $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!) } }
        XCTAssertEqual(out, raw, "width \(width)")
      }
    }
  }

  func testFewerValuesThanThePageHoldsReadTheStreamFronts() throws {
    let values: [Float] = [1, 2, 3, 4]
    var enc: [UInt8] = []
    values.withUnsafeBytes { ByteStreamSplit.encode($0, width: 4, into: &enc) }
    var out = [Float](repeating: 0, count: 2)
    _ = try enc.withUnsafeBytes { r in try out.withUnsafeMutableBufferPointer { try ByteStreamSplit.decodeFloat(r, count: 2, into: $0.baseAddress!) } }
    XCTAssertEqual(out, [1, 2])
  }

  func testBadSizesAreCorrupt() {
    let bytes = [UInt8](repeating: 0, count: 10)
    bytes.withUnsafeBytes { r in
      var f = [Float](repeating: 0, count: 4)
      assertParquetError(.corrupt) { try f.withUnsafeMutableBufferPointer { try ByteStreamSplit.decodeFloat(r, count: 2, into: $0.baseAddress!) } }
      var d = [Double](repeating: 0, count: 4)
      assertParquetError(.corrupt) { try d.withUnsafeMutableBufferPointer { try ByteStreamSplit.decodeDouble(r, count: 2, into: $0.baseAddress!) } }
      var b = [UInt8](repeating: 0, count: 40)
      assertParquetError(.corrupt) { try b.withUnsafeMutableBytes { try ByteStreamSplit.decodeFixedLenByteArray(r, width: 3, count: 3, into: $0.baseAddress!) } }
      assertParquetError(.corrupt) { try b.withUnsafeMutableBytes { try ByteStreamSplit.decodeFixedLenByteArray(r, width: 0, count: 3, into: $0.baseAddress!) } }
    }
  }
}
