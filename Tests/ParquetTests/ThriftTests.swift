import XCTest

@testable import Parquet

final class ThriftTests: XCTestCase {
  func testGoldenFieldHeadersAndValues() {
    var w = ThriftWriter()
    w.writeStruct { w in
      w.field(1, i32: 1)
      w.field(2, string: "ab")
      w.field(3, bool: true)
      w.field(20, i64: -1)  // gap of 17: long form header
      w.field(21, bool: false)
    }
    XCTAssertEqual(w.bytes, [0x15, 0x02, 0x18, 0x02, 0x61, 0x62, 0x11, 0x06, 0x28, 0x01, 0x12, 0x00])

    var r = ThriftReader(w.bytes)
    var seen: [String] = []
    XCTAssertNoThrow(try r.readStruct { r, id, t in
      switch id {
      case 1: seen.append("1=\(try r.i32(t, "a"))")
      case 2: seen.append("2=\(try r.string(t, "b"))")
      case 3: seen.append("3=\(try r.bool(t, "c"))")
      case 20: seen.append("20=\(try r.i64(t, "d"))")
      case 21: seen.append("21=\(try r.bool(t, "e"))")
      default: XCTFail("unexpected field \(id)")
      }
    })
    XCTAssertEqual(seen, ["1=1", "2=ab", "3=true", "20=-1", "21=false"])
    XCTAssertEqual(r.remaining, 0)
  }

  func testGoldenMinimalFileMetaData() throws {
    var md = FileMetaData()
    md.schema = [SchemaElement(name: "schema", numChildren: 0)]
    let bytes = md.encode()
    XCTAssertEqual(bytes, [0x15, 0x02, 0x19, 0x1C, 0x48, 0x06] + Array("schema".utf8)
                   + [0x15, 0x00, 0x00, 0x16, 0x00, 0x19, 0x0C, 0x00])
    XCTAssertEqual(try FileMetaData.decode(bytes), md)
  }

  func testVarintsAndZigzagExtremes() throws {
    for v: Int64 in [0, 1, -1, 63, -64, 64, 300, -300, .max, .min, Int64(Int32.max), Int64(Int32.min)] {
      var w = ThriftWriter()
      w.writeI64(v)
      var r = ThriftReader(w.bytes)
      XCTAssertEqual(try r.readI64(), v)
      XCTAssertEqual(r.remaining, 0)
    }
    var w = ThriftWriter()
    w.writeI64(Int64(Int32.max) + 1)
    var r = ThriftReader(w.bytes)
    XCTAssertThrowsError(try r.readI32())
    // 11-byte varint is corrupt.
    var r2 = ThriftReader(Array(repeating: 0xff, count: 10) + [0x01])
    XCTAssertThrowsError(try r2.readVarint())
  }

  func testRoundTripFullMetadata() throws {
    var md = FileMetaData()
    md.version = 2
    md.createdBy = "gust test"
    md.numRows = 3
    md.keyValueMetadata = [KeyValue(key: "k", value: "v"), KeyValue(key: "n", value: nil)]
    md.schema = [
      SchemaElement(name: "schema", numChildren: 3),
      SchemaElement(name: "s", type: .byteArray, repetition: .optional, convertedType: .utf8,
                    logicalType: .string),
      SchemaElement(name: "t", type: .int64, repetition: .required,
                    logicalType: .timestamp(isAdjustedToUTC: true, unit: .micros)),
      SchemaElement(name: "d", type: .fixedLenByteArray, typeLength: 16, repetition: .optional,
                    convertedType: .decimal, scale: 2, precision: 30, fieldId: 7,
                    logicalType: .decimal(scale: 2, precision: 30)),
    ]
    var cmd = ColumnMetaData()
    cmd.type = .byteArray
    cmd.encodings = [0, 3, 8]
    cmd.pathInSchema = ["s"]
    cmd.codec = 1
    cmd.numValues = 3
    cmd.totalCompressedSize = 100
    cmd.totalUncompressedSize = 120
    cmd.dataPageOffset = 40
    cmd.dictionaryPageOffset = 4
    cmd.statistics = Statistics(nullCount: 1, maxValue: [0x7a], minValue: [0x61])
    var rg = RowGroup()
    rg.columns = [ColumnChunk(fileOffset: 4, metaData: cmd)]
    rg.numRows = 3
    rg.totalByteSize = 120
    rg.ordinal = 0
    md.rowGroups = [rg, rg]
    XCTAssertEqual(try FileMetaData.decode(md.encode()), md)

    // Every logical type survives the round trip.
    let all: [LogicalType] = [
      .string, .map, .list, .enumType, .decimal(scale: 1, precision: 9), .date,
      .time(isAdjustedToUTC: false, unit: .millis), .timestamp(isAdjustedToUTC: false, unit: .nanos),
      .integer(bitWidth: 8, isSigned: false), .integer(bitWidth: 64, isSigned: true), .unknown,
      .json, .bson, .uuid, .float16,
    ]
    for lt in all {
      var w = ThriftWriter()
      lt.write(&w)
      var r = ThriftReader(w.bytes)
      XCTAssertEqual(try LogicalType.read(&r), lt)
    }
  }

  func testPageHeaderRoundTrip() throws {
    var h = PageHeader()
    h.type = PageType.dataPageV2.rawValue
    h.uncompressedPageSize = 1000
    h.compressedPageSize = 400
    h.crc = -12345
    var v2 = DataPageHeaderV2()
    v2.numValues = 10
    v2.numNulls = 2
    v2.numRows = 5
    v2.encoding = 8
    v2.definitionLevelsByteLength = 3
    v2.repetitionLevelsByteLength = 4
    v2.isCompressed = false
    h.dataPageV2 = v2
    let bytes = [0xAA] + h.encode() + [0xBB]
    let (d, len) = try PageHeader.decode(bytes, at: 1)
    XCTAssertEqual(d, h)
    XCTAssertEqual(len, bytes.count - 2)
  }

  /// Unknown fields of every type are skipped, including nested lists, sets, maps and structs.
  func testSkipsUnknownFieldsOfEveryType() throws {
    var w = ThriftWriter()
    w.writeStruct { w in
      w.field(1, string: "keep")
      w.field(100, i8: -3)
      w.field(101, i16: -300)
      w.field(102, i32: 1 << 30)
      w.field(103, i64: -(1 << 40))
      w.fieldHeader(104, .double); w.writeDouble(3.5)
      w.field(105, binary: [1, 2, 3])
      w.field(106, bool: true)
      w.field(107) { w in w.field(1, stringList: ["x", "y"]); w.field(2) { $0.field(9, i32: 1) } }
      w.fieldHeader(108, .list); w.listHeader(.boolTrue, 2); w.writeByte(1); w.writeByte(2)
      w.fieldHeader(109, .set); w.listHeader(.i32, 20); for i in 0..<20 { w.writeI32(Int32(i)) }
      w.fieldHeader(110, .map); w.writeVarint(2); w.writeByte(0x85)  // binary -> i32
      w.writeString("a"); w.writeI32(1); w.writeString("b"); w.writeI32(2)
      w.fieldHeader(111, .map); w.writeVarint(0)
      w.field(112, structList: [1, 2]) { w, x in w.field(1, i32: Int32(x)) }
      w.field(2, i32: 42)  // id going down: long form
    }
    var r = ThriftReader(w.bytes)
    var name = "", value: Int32 = 0
    try r.readStruct { r, id, t in
      switch id {
      case 1: name = try r.string(t, "name")
      case 2: value = try r.i32(t, "value")
      default: try r.skip(t)
      }
    }
    XCTAssertEqual(name, "keep")
    XCTAssertEqual(value, 42)
    XCTAssertEqual(r.remaining, 0)
  }

  func testNestingDepthLimit() {
    // 200 nested struct fields: must throw, not overflow the stack.
    let bytes = Array(repeating: UInt8(0x1C), count: 200) + Array(repeating: 0, count: 201)
    var r = ThriftReader(bytes)
    XCTAssertThrowsError(try r.skip(.struct)) { e in
      XCTAssertEqual((e as? ParquetError)?.kind, .corrupt)
    }
    // Same through nested lists.
    let lists = Array(repeating: UInt8(0x19), count: 200)
    var r2 = ThriftReader(lists)
    XCTAssertThrowsError(try r2.skip(.list))
  }

  /// Every strict prefix of a valid footer fails with `.corrupt` (no crash, no hang).
  func testTruncatedMetadataThrowsCorrupt() {
    var md = FileMetaData()
    md.schema = [SchemaElement(name: "schema", numChildren: 1),
                 SchemaElement(name: "x", type: .int32, repetition: .required)]
    md.numRows = 5
    let bytes = md.encode()
    for n in 0..<bytes.count {
      XCTAssertThrowsError(try FileMetaData.decode(Array(bytes[0..<n]))) { e in
        XCTAssertEqual((e as? ParquetError)?.kind, .corrupt, "prefix \(n)")
      }
    }
  }

  func testHugeLengthsAreRejectedBeforeAllocating() {
    // A binary claiming 2^40 bytes and a list claiming 2^40 elements.
    var w = ThriftWriter()
    w.writeVarint(1 << 40)
    var r = ThriftReader(w.bytes + [1, 2, 3])
    XCTAssertThrowsError(try r.readBinary())
    var w2 = ThriftWriter()
    w2.writeByte(0xF5)
    w2.writeVarint(1 << 40)
    var r2 = ThriftReader(w2.bytes)
    XCTAssertThrowsError(try r2.readListHeader())
  }
}
