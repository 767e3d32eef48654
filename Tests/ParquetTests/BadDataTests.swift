import Foundation
import XCTest

@testable import Parquet

/// Every file of parquet-testing/bad_data (but one that pyarrow reads too) gives an error naming the file (never a crash, hang
/// or unbounded allocation), when its columns are read.
final class BadDataTests: XCTestCase {
  func testEveryBadFileIsAnError() throws {
    let dir = FormatTestData.badDataDir
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
      .filter { $0.hasSuffix(".parquet") }.sorted()
    if files.isEmpty { throw XCTSkip("no bad_data directory at \(dir.path)") }
    var report: [String] = []
    for name in files {
      let path = dir.appendingPathComponent(name).path
      do {
        let f = try ParquetFile.open(path)
        var firstError: ParquetError?
        // Each column on its own: one unreadable column must not hide another's error.
        for c in f.columnNames {
          do { _ = try f.readAll(columns: [c]) } catch let e as ParquetError {
            firstError = firstError ?? e
          }
        }
        if name == "ARROW-GH-43605.parquet" {
          // Bit width 0 dictionary indices are legal (every index is 0); pyarrow 26 reads 21186
          // uint16 zeros, no nulls.
          let c = try f.readAll(columns: ["min_fl"])[0]
          XCTAssertEqual(c.rowCount, 21186)
          XCTAssertEqual(c.int32s.map { Set($0) }, [0])
          XCTAssertEqual(c.nullCount, 0)
          report.append("\(name): reads like pyarrow (21186 zeros)")
          continue
        }
        guard let e = firstError else {
          XCTFail("\(name): read without an error")
          report.append("\(name): READ (no error)")
          continue
        }
        XCTAssertEqual(e.file, path, name)
        report.append("\(name): \(e.kind) — \(e.message)")
      } catch let e as ParquetError {
        XCTAssertEqual(e.file, path, name)
        report.append("\(name): \(e.kind) — \(e.message)")
      }
    }
    print("bad_data:\n  " + report.joined(separator: "\n  "))
  }

  /// Bit flips and truncations of several good files: errors name the file; nothing crashes.
  func testMutatedGoodFilesNeverCrash() throws {
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let copy = dir.appendingPathComponent("mutant.parquet")
    for name in ["datapage_v2.snappy.parquet", "list_columns.parquet", "nullable.impala.parquet",
                 "alltypes_dictionary.parquet", "delta_encoding_optional_column.parquet"] {
      let good = try Data(contentsOf: URL(fileURLWithPath: try FormatTestData.require(name)))
      let step = max(1, good.count / 400)
      for i in stride(from: 0, to: good.count, by: step) {
        for mutation in 0..<2 {
          var d = good
          if mutation == 0 { d[i] ^= 0xff } else { d = d.prefix(i) + d.suffix(8) }
          try d.write(to: copy)
          do {
            let f = try ParquetFile.open(copy.path)
            for c in f.columnNames { _ = try? f.readAll(columns: [c]) }
          } catch let e as ParquetError {
            XCTAssertEqual(e.file, copy.path, "\(name) byte \(i): \(e)")
          }
        }
      }
    }
  }
}
