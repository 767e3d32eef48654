import Foundation
import XCTest

@testable import Parquet

final class DatasetTests: XCTestCase {
  private func writeFile(_ path: String, ids: Range<Int>, extra: Bool = false) throws {
    var fields: [ParquetWriterField] = [.init("id", .int64), .init("vec", .floatList)]
    var cols = [
      ColumnData(name: "id", values: .int64(ids.map { Int64($0) })),
      ColumnData(name: "vec", values: .float(ids.flatMap { [Float($0), -Float($0)] }),
                 listOffsets: (0...ids.count).map { Int32($0 * 2) }),
    ]
    if extra {
      fields.append(.init("x", .int32))
      cols.append(ColumnData(name: "x", values: .int32(ids.map { Int32($0) })))
    }
    var opts = ParquetWriterOptions()
    opts.rowGroupRows = 4
    let w = try ParquetWriter(path: path, fields: fields, options: opts)
    try w.write(cols)
    try w.close()
  }

  func testDirectoryGlobAndListReadAsOneStream() throws {
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Names sort as part-0, part-1, part-2; a non-parquet file is ignored.
    try writeFile(dir.appendingPathComponent("part-1.parquet").path, ids: 10..<15)
    try writeFile(dir.appendingPathComponent("part-0.parquet").path, ids: 0..<10)
    try writeFile(dir.appendingPathComponent("part-2.parquet").path, ids: 15..<16)
    try Data("x".utf8).write(to: dir.appendingPathComponent("README.txt"))

    let byDir = try ParquetDataset(dir.path)
    XCTAssertEqual(byDir.paths.map { URL(fileURLWithPath: $0).lastPathComponent },
                   ["part-0.parquet", "part-1.parquet", "part-2.parquet"])
    XCTAssertEqual(try byDir.rowCount(), 16)
    var groups: [(String, Int, Int)] = []
    try byDir.forEachRowGroup(columns: ["id"]) { file, g, cols in
      groups.append((URL(fileURLWithPath: file).lastPathComponent, g, cols[0].rowCount))
    }
    XCTAssertEqual(groups.map { "\($0.0)#\($0.1):\($0.2)" },
                   ["part-0.parquet#0:4", "part-0.parquet#1:4", "part-0.parquet#2:2",
                    "part-1.parquet#0:4", "part-1.parquet#1:1", "part-2.parquet#0:1"])
    let all = try byDir.readAll(columns: ["id", "vec"])
    XCTAssertEqual(all[0].int64s, (0..<16).map { Int64($0) })
    let m = try all[1].floatMatrix()
    XCTAssertEqual(m.width, 2)
    XCTAssertEqual(m.rows, 16)
    XCTAssertEqual(Array(m.values[30..<32]), [15, -15])

    let byGlob = try ParquetDataset(dir.path + "/part-[01].parquet")
    XCTAssertEqual(try byGlob.readAll(columns: ["id"])[0].int64s, (0..<15).map { Int64($0) })

    let byList = try ParquetDataset(paths: [dir.appendingPathComponent("part-2.parquet").path,
                                            dir.appendingPathComponent("part-0.parquet").path])
    XCTAssertEqual(try byList.readAll(columns: ["id"])[0].int64s?.first, 15)
  }

  func testMismatchedSchemaNamesTheFile() throws {
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeFile(dir.appendingPathComponent("a.parquet").path, ids: 0..<3)
    let odd = dir.appendingPathComponent("b.parquet").path
    try writeFile(odd, ids: 3..<6, extra: true)
    let ds = try ParquetDataset(dir.path)
    XCTAssertThrowsError(try ds.readAll(columns: ["id"])) { e in
      let pe = e as? ParquetError
      XCTAssertEqual(pe?.file, odd)
      XCTAssertTrue(pe?.message.contains("x") ?? false, "\(String(describing: pe))")
    }
  }

  func testNothingMatchesIsAnError() throws {
    XCTAssertThrowsError(try ParquetDataset("/nonexistent-gust-dir/*.parquet")) {
      XCTAssertEqual(($0 as? ParquetError)?.kind, .io)
    }
  }

  /// pyarrow's fixed_size_list<float>[8] and a list<float> of constant length read as matrices.
  func testVectorsFromPyarrow() throws {
    let path = FormatTestData.packageRoot
      .appendingPathComponent("Tests/ParquetTests/Fixtures/pyarrow/vectors_required.parquet").path
    guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("fixture missing") }
    let f = try ParquetFile.open(path)
    let c = try f.readAll(columns: ["fixed_features", "features"])
    let m = try c[0].floatMatrix()
    XCTAssertEqual(m.width, 8)
    XCTAssertEqual(m.rows, 50)
    XCTAssertEqual(m.values.count, 400)
    XCTAssertNil(c[0].validity)  // `float not null` elements: no mask
  }
}
