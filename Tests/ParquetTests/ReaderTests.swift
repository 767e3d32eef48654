import XCTest

@testable import Parquet

/// Reads files of apache/parquet-testing (`../shared/testdata/parquet-testing/data/`); the
/// expected values were read with pyarrow 26.0.1 and are written out here.
final class ReaderTests: XCTestCase {
  private let alltypesIDs: [Int32] = [4, 5, 6, 7, 2, 3, 0, 1]
  /// 2009-03-01 00:00 UTC etc. as nanoseconds (from pyarrow: timestamp[ns] of the INT96 column).
  private let alltypesTimestamps: [Int64] = [
    1_235_865_600, 1_235_865_660, 1_238_544_000, 1_238_544_060,
    1_233_446_400, 1_233_446_460, 1_230_768_000, 1_230_768_060,
  ].map { $0 * 1_000_000_000 }

  /// alltypes_plain.parquet (PLAIN, uncompressed, INT96) and its snappy twin.
  func testAlltypesPlainAndSnappy() throws {
    for (name, rows) in [("alltypes_plain.parquet", 8), ("alltypes_plain.snappy.parquet", 2)] {
      let f = try ParquetFile.open(try FormatTestData.require(name))
      XCTAssertEqual(f.rowCount, rows)
      XCTAssertEqual(f.columnNames, ["id", "bool_col", "tinyint_col", "smallint_col", "int_col",
                                     "bigint_col", "float_col", "double_col", "date_string_col",
                                     "string_col", "timestamp_col"])
      let c = try f.readAll(columns: ["id", "bool_col", "bigint_col", "float_col", "double_col",
                                      "date_string_col", "timestamp_col"])
      let expectIDs: [Int32] = rows == 8 ? alltypesIDs : [6, 7]
      XCTAssertEqual(c[0].int32s, expectIDs)
      XCTAssertEqual(c[1].bools, (0..<rows).map { $0 % 2 == 0 })
      XCTAssertEqual(c[2].int64s, (0..<rows).map { $0 % 2 == 0 ? 0 : 10 })
      XCTAssertEqual(c[3].floats, (0..<rows).map { $0 % 2 == 0 ? 0 : 1.1 })
      XCTAssertEqual(c[4].doubles, (0..<rows).map { $0 % 2 == 0 ? 0 : 10.1 })
      if rows == 8 {
        XCTAssertEqual(c[5].strings, ["03/01/09", "03/01/09", "04/01/09", "04/01/09", "02/01/09",
                                      "02/01/09", "01/01/09", "01/01/09"])
        XCTAssertEqual(c[6].nanos, alltypesTimestamps)
      } else {
        XCTAssertEqual(c[5].strings, ["04/01/09", "04/01/09"])
        XCTAssertEqual(c[6].nanos, Array(alltypesTimestamps[2..<4]))
      }
      // Optional columns carry a validity mask only when some value is null (none here), as
      // Arrow leaves out the bitmap of an array without nulls.
      XCTAssertNil(c[0].validity)
    }
  }

  /// alltypes_dictionary.parquet: PLAIN_DICTIONARY data pages with dictionary pages.
  func testAlltypesDictionary() throws {
    let f = try ParquetFile.open(try FormatTestData.require("alltypes_dictionary.parquet"))
    let c = try f.readAll(columns: ["id", "bool_col", "double_col", "string_col", "timestamp_col"])
    XCTAssertEqual(c[0].int32s, [0, 1])
    XCTAssertEqual(c[1].bools, [true, false])
    XCTAssertEqual(c[2].doubles, [0, 10.1])
    XCTAssertEqual(c[3].strings, ["0", "1"])
    XCTAssertEqual(c[4].nanos, [1_230_768_000_000_000_000, 1_230_768_060_000_000_000])
  }

  /// datapage_v2.snappy.parquet: v2 pages, an optional string column with a null, a list.
  func testDataPageV2() throws {
    let f = try ParquetFile.open(try FormatTestData.require("datapage_v2.snappy.parquet"))
    XCTAssertEqual(f.rowCount, 5)
    let c = try f.readAll(columns: ["a", "b", "c", "d", "e"])
    XCTAssertEqual(c[0].optionals(c[0].strings!), ["abc", "abc", "abc", nil, "abc"])
    XCTAssertEqual(c[1].int32s, [1, 2, 3, 4, 5])
    XCTAssertNil(c[1].validity)  // required: no mask
    XCTAssertEqual(c[2].doubles, [2, 3, 4, 5, 2])
    XCTAssertEqual(c[3].bools, [true, true, true, false, true])
    XCTAssertEqual(c[4].name, "e")
    XCTAssertEqual(c[4].listRows(c[4].int32s!), [[1, 2, 3], nil, nil, [1, 2, 3], [1, 2]])
    XCTAssertNil(c[4].vectorWidth)
  }

  /// list_columns.parquet: 3-level lists named `list`/`item`, nullable elements.
  func testListColumns() throws {
    let f = try ParquetFile.open(try FormatTestData.require("list_columns.parquet"))
    XCTAssertEqual(f.columnNames, ["int64_list", "utf8_list"])
    let c = try f.readAll(columns: ["int64_list", "utf8_list"])
    XCTAssertEqual(c[0].listRows(c[0].int64s!), [[1, 2, 3], [nil, 1], [4]])
    XCTAssertEqual(c[1].listRows(c[1].strings!),
                   [["abc", "efg", "hij"], nil, ["efg", nil, "hij", "xyz"]])
  }

  /// nullable.impala.parquet: one list column readable, nested ones refused by name only.
  func testNullableImpalaProjection() throws {
    let f = try ParquetFile.open(try FormatTestData.require("nullable.impala.parquet"))
    let c = try f.readAll(columns: ["id", "int_array"])
    XCTAssertEqual(c[0].int64s, [1, 2, 3, 4, 5, 6, 7])
    XCTAssertEqual(c[1].listRows(c[1].int32s!),
                   [[1, 2, 3], [nil, 1, 2, nil, 3, nil], [], nil, nil, nil, nil])
    for bad in ["int_array_Array", "int_map", "int_Map_Array", "nested_struct"] {
      XCTAssertThrowsError(try f.readAll(columns: [bad])) { e in
        let pe = e as? ParquetError
        XCTAssertEqual(pe?.kind, .unsupported, bad)
        XCTAssertTrue(pe?.column?.hasPrefix(bad) ?? false, "\(String(describing: pe))")
        XCTAssertNotNil(pe?.file)
      }
    }
    // A flat leaf inside a struct is readable by its dotted path.
    let a = try f.readAll(columns: ["nested_struct.A"])
    XCTAssertEqual(a[0].optionals(a[0].int32s!), [1, nil, nil, nil, nil, nil, 7])
  }

  func testUnknownColumnListsExistingOnes() throws {
    let f = try ParquetFile.open(try FormatTestData.require("alltypes_plain.parquet"))
    XCTAssertThrowsError(try f.read(columns: ["nope"], rowGroup: 0)) { e in
      let pe = e as? ParquetError
      XCTAssertEqual(pe?.kind, .noSuchColumn)
      XCTAssertEqual(pe?.column, "nope")
      XCTAssertTrue(pe?.message.contains("bool_col") ?? false)
    }
  }

  func testInt96FromSparkWrapsLikePyarrow() throws {
    let f = try ParquetFile.open(try FormatTestData.require("int96_from_spark.parquet"))
    let c = try f.readAll(columns: ["a"])
    // From pyarrow (.value of each timestamp[ns]); nanosecond overflow wraps like Arrow's.
    XCTAssertEqual(c[0].optionals(c[0].nanos!), [
      1_704_141_296_123_456_000, 1_704_070_800_000_000_000, -4_852_191_831_933_722_624,
      1_735_599_600_000_000_000, nil, 5_606_152_519_850_745_856,
    ])
  }

  func testBadFilesAreErrorsNamingTheFile() throws {
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Missing file.
    XCTAssertThrowsError(try ParquetFile.open(dir.appendingPathComponent("missing.parquet").path)) {
      XCTAssertEqual(($0 as? ParquetError)?.kind, .io)
    }
    // Not Parquet.
    let text = dir.appendingPathComponent("text.parquet")
    try Data("hello, this is not a parquet file at all".utf8).write(to: text)
    XCTAssertThrowsError(try ParquetFile.open(text.path)) {
      XCTAssertEqual(($0 as? ParquetError)?.kind, .notParquet)
      XCTAssertEqual(($0 as? ParquetError)?.file, text.path)
    }
    // Truncated copies and bit flips of a good file: an error or a successful read, never a crash.
    let good = try Data(contentsOf: URL(fileURLWithPath:
      try FormatTestData.require("alltypes_plain.snappy.parquet")))
    let copy = dir.appendingPathComponent("copy.parquet")
    for cut in stride(from: 0, to: good.count, by: 7) {
      try good.prefix(cut).write(to: copy)
      XCTAssertThrowsError(try readEverything(copy.path), "cut at \(cut)")
    }
    var flipped = 0
    for i in stride(from: 0, to: good.count, by: 3) {
      var d = good
      d[i] ^= 0x5a
      try d.write(to: copy)
      do { try readEverything(copy.path) } catch let e as ParquetError {
        XCTAssertEqual(e.file, copy.path, "\(e)")
        flipped += 1
      }
    }
    XCTAssertGreaterThan(flipped, 0)
  }

  private func readEverything(_ path: String) throws {
    let f = try ParquetFile.open(path)
    _ = try f.readAll(columns: f.columnNames)
  }
}
