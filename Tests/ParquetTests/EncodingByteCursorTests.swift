import XCTest
@testable import Parquet

final class EncodingByteCursorTests: XCTestCase {
  func testLittleEndianReads() throws {
    let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xff, 0xff, 0xff, 0xff]
    try bytes.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      XCTAssertEqual(try c.readUInt8(), 0x01)
      XCTAssertEqual(try c.readUInt32(), 0x0504_0302)
      XCTAssertEqual(c.position, 5)
      XCTAssertEqual(c.remaining, 8)
      var d = ByteCursor(raw)
      XCTAssertEqual(try d.readUInt64(), 0x0807_0605_0403_0201)
      d = ByteCursor(raw, position: 9)
      XCTAssertEqual(try d.readInt32(), -1)
      XCTAssertTrue(d.isAtEnd)
      var e = ByteCursor(raw, position: 5)
      XCTAssertEqual(try e.readInt64(), Int64(bitPattern: 0xffff_ffff_0908_0706))
      let s = try ByteCursor(raw, position: 2).readBytesCopy(3)
      XCTAssertEqual(s, [0x03, 0x04, 0x05])
    }
  }

  func testVarints() throws {
    // 624485 is the usual LEB128 example: E5 8E 26.
    let bytes: [UInt8] = [0xe5, 0x8e, 0x26, 0x01, 0x02, 0x7f, 0x80, 0x01,
                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    try bytes.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      XCTAssertEqual(try c.readULEB128(), 624_485)
      XCTAssertEqual(try c.readZigZagVarint(), -1)
      XCTAssertEqual(try c.readZigZagVarint(), 1)
      XCTAssertEqual(try c.readZigZagVarint(), -64)
      XCTAssertEqual(try c.readZigZagVarint(), 64)
      XCTAssertEqual(try c.readULEB128(), UInt64.max)
      XCTAssertTrue(c.isAtEnd)
    }
    var out: [UInt8] = []
    VarInt.appendULEB128(624_485, to: &out)
    VarInt.appendZigZag(-1, to: &out)
    VarInt.appendZigZag(Int64.min, to: &out)
    out.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      XCTAssertEqual(try? c.readULEB128(), 624_485)
      XCTAssertEqual(try? c.readZigZagVarint(), -1)
      XCTAssertEqual(try? c.readZigZagVarint(), Int64.min)
    }
  }

  func testOverrunsThrowCorruptNamingTheField() {
    let bytes: [UInt8] = [1, 2, 3]
    bytes.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      assertParquetError(.corrupt, mentioning: "page length") { try c.readUInt32("page length") }
      XCTAssertEqual(c.position, 0, "a failed read consumes nothing")
      assertParquetError(.corrupt) { try c.readUInt64() }
      assertParquetError(.corrupt) { try c.readBytes(4) }
      assertParquetError(.corrupt) { try c.readBytes(-1) }
      assertParquetError(.corrupt) { try c.skip(5) }
      assertParquetError(.corrupt) { try c.seek(to: 4) }
      var v = ByteCursor(raw, position: 3)
      assertParquetError(.corrupt, mentioning: "count") { try v.readULEB128("count") }
    }
    let unterminated: [UInt8] = [0x80, 0x80]
    unterminated.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      assertParquetError(.corrupt) { try c.readULEB128() }
    }
    let tooLong = [UInt8](repeating: 0xff, count: 11) + [0x01]
    tooLong.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      assertParquetError(.corrupt) { try c.readULEB128() }
    }
    let overflow: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]
    overflow.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      assertParquetError(.corrupt) { try c.readULEB128() }
    }
  }

  func testEmptyBuffer() {
    let empty: [UInt8] = []
    empty.withUnsafeBytes { raw in
      var c = ByteCursor(raw)
      XCTAssertTrue(c.isAtEnd)
      XCTAssertEqual(try? c.readBytes(0).count, 0)
      assertParquetError(.corrupt) { try c.readUInt8() }
    }
  }
}

private extension ByteCursor {
  func readBytesCopy(_ n: Int) throws -> [UInt8] {
    var c = self
    return [UInt8](try c.readBytes(n))
  }
}
