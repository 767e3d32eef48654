import Foundation
import XCTest

@testable import Parquet

/// Every parquet-testing file against the pyarrow fixtures in `Fixtures/expected/<file>.json`
/// (written by `scripts/parquet_fixtures.py`): row counts, per-column null counts, validity
/// checksums, and the head/tail values. Files or columns Gust does not read must fail with the
/// error kind listed in `expectedFailures`, naming the file (and the column when it is one).
final class ConformanceTests: XCTestCase {
  /// file -> (column or "*", error kind, why). Anything not listed must read and match.
  static let expectedFailures: [String: [(String, ParquetError.Kind)]] = [
    "hadoop_lz4_compressed.parquet": [("*", .unsupported)],          // Hadoop LZ4 framing
    "hadoop_lz4_compressed_larger.parquet": [("*", .unsupported)],
    "non_hadoop_lz4_compressed.parquet": [("*", .unsupported)],      // LZ4 (deprecated codec 5)
    "large_string_map.brotli.parquet": [("*", .unsupported)],        // BROTLI; a map anyway
    "datapage_v1-corrupt-checksum.parquet": [("*", .checksum)],       // pyarrow does not verify
    "rle-dict-uncompressed-corrupt-checksum.parquet": [("*", .checksum)],
  ]

  /// Tables written by pyarrow (`Fixtures/pyarrow/`) that Gust refuses on purpose.
  static let pyarrowExpectedFailures: [String: [(String, ParquetError.Kind)]] = [
    "codec_brotli.parquet": [("*", .unsupported)],
  ]

  static var pyarrowDir: URL {
    FormatTestData.packageRoot.appendingPathComponent("Tests/ParquetTests/Fixtures/pyarrow")
  }

  /// Every table of `Fixtures/pyarrow/` (each type, nulls, lists, fixed_size_list, dictionary
  /// strings, row groups, v1/v2 pages, every codec) reads back with pyarrow's values.
  func testPyarrowWrittenTables() throws {
    let dir = Self.pyarrowDir
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
      .filter { $0.hasSuffix(".json") }.sorted()
    if files.isEmpty { throw XCTSkip("no fixtures yet in \(dir.path)") }
    var report: [String] = []
    for jf in files {
      let name = String(jf.dropLast(".json".count)) + ".parquet"
      let path = dir.appendingPathComponent(name).path
      guard FileManager.default.fileExists(atPath: path) else { continue }
      let json = try JSONSerialization.jsonObject(
        with: Data(contentsOf: dir.appendingPathComponent(jf))) as! [String: Any]
      report.append("\(name): " + check(name, path, json,
                                        allowed: Self.pyarrowExpectedFailures[name] ?? []))
    }
    print("pyarrow-written tables:\n  " + report.joined(separator: "\n  "))
  }

  static var expectedDir: URL {
    FormatTestData.packageRoot.appendingPathComponent("Tests/ParquetTests/Fixtures/expected")
  }

  func testEveryParquetTestingFileAgainstPyarrow() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.expectedDir.path)
      .filter { $0.hasSuffix(".parquet.json") }.sorted()
    if files.isEmpty { throw XCTSkip("no fixtures yet in \(Self.expectedDir.path)") }
    var report: [String] = []
    for jf in files {
      let name = String(jf.dropLast(".json".count))
      let path = FormatTestData.path(name)
      guard FileManager.default.fileExists(atPath: path) else { continue }
      let json = try JSONSerialization.jsonObject(
        with: Data(contentsOf: Self.expectedDir.appendingPathComponent(jf))) as! [String: Any]
      report.append("\(name): " + check(name, path, json,
                                        allowed: Self.expectedFailures[name] ?? []))
    }
    print("parquet-testing conformance:\n  " + report.joined(separator: "\n  "))
  }

  /// Returns a one-line status; records XCTest failures for unexpected outcomes.
  private func check(_ name: String, _ path: String, _ json: [String: Any],
                     allowed: [(String, ParquetError.Kind)]) -> String {
    func allowedKind(_ column: String) -> ParquetError.Kind? {
      allowed.first { $0.0 == "*" || $0.0 == column }?.1
    }
    let file: ParquetFile
    do {
      file = try ParquetFile.open(path)
    } catch let e as ParquetError {
      XCTAssertEqual(e.file, path, "\(name): error does not name the file: \(e)")
      if allowedKind("*") == e.kind { return "refused as expected (\(e.kind): \(e.message))" }
      if json["error"] != nil { return "refused; pyarrow also fails (\(e.message))" }
      XCTFail("\(name): cannot open: \(e)")
      return "FAILED to open: \(e)"
    } catch {
      XCTFail("\(name): \(error)")
      return "FAILED: \(error)"
    }
    guard let columns = json["columns"] as? [[String: Any]] else {
      return "opened; pyarrow cannot read it: \(json["error"] ?? "?")"
    }
    XCTAssertEqual(file.rowCount, json["num_rows"] as? Int, name)
    var ok = 0
    var notes: [String] = []
    for col in columns {
      let cname = col["name"] as! String
      let arrowType = col["arrow_type"] as! String
      do {
        let data = try file.readAll(columns: [cname])
        guard data.count == 1, !arrowType.hasPrefix("struct<") else {
          // A struct of flat leaves expands to several leaves; compare nothing more here.
          notes.append("\(cname): struct read as \(data.count) leaves")
          ok += 1
          continue
        }
        if let failure = compare(data[0], col, arrowType) {
          XCTFail("\(name) column \(cname): \(failure)")
          notes.append("\(cname): MISMATCH")
        } else {
          ok += 1
        }
        if let kind = allowedKind(cname) {
          XCTFail("\(name) column \(cname): expected \(kind) error, but it read")
        }
      } catch let e as ParquetError {
        XCTAssertEqual(e.file, path, "\(name): error without the file: \(e)")
        if let kind = allowedKind(cname) {
          XCTAssertEqual(e.kind, kind, "\(name) column \(cname): \(e)")
          notes.append("\(cname): \(e.kind) (\(e.message))")
        } else if e.kind == .unsupported && Self.isNested(arrowType) {
          XCTAssertNotNil(e.column, "\(name): unsupported error without column")
          notes.append("\(cname): unsupported nesting \(arrowType.prefix(30))")
        } else {
          XCTFail("\(name) column \(cname): \(e)")
          notes.append("\(cname): FAILED \(e)")
        }
      } catch {
        XCTFail("\(name) column \(cname): \(error)")
      }
    }
    return "\(ok)/\(columns.count) columns match" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; "))
  }

  /// Nesting Gust does not read: maps, structs holding lists, lists of lists/structs/maps.
  static func isNested(_ t: String) -> Bool {
    if t.hasPrefix("map<") { return true }
    let inner = t.dropFirst(5)
    if t.hasPrefix("list<") {
      return inner.contains("list<") || inner.contains("struct<") || inner.contains("map<")
    }
    if t.hasPrefix("struct<") { return t.dropFirst(7).contains("list<") || t.contains("map<") }
    return false
  }

  // MARK: value comparison

  private func compare(_ c: ColumnData, _ col: [String: Any], _ arrowType: String) -> String? {
    let rows = c.rowCount
    let summary = col["summary"] as? [String: Any] ?? [:]
    // Row-level validity (lists: the list's validity).
    let valid: [Bool] = c.isList ? (c.listValidity ?? Array(repeating: true, count: rows))
      : (c.validity ?? Array(repeating: true, count: rows))
    if let nulls = summary["null_count"] as? Int {
      let got = valid.lazy.filter { !$0 }.count
      if got != nulls { return "null_count \(got), pyarrow \(nulls)" }
    }
    if let crc = summary["validity_crc32"] as? Int {
      let bytes = valid.map { UInt8($0 ? 1 : 0) }
      let got = bytes.withUnsafeBytes { Int(FixtureCRC.crc32($0)) }
      if got != crc { return "validity crc \(got), pyarrow \(crc)" }
    }
    if let all = col["values"] as? [Any] {
      guard all.count == rows else { return "\(rows) rows, pyarrow \(all.count)" }
      for r in 0..<rows where !Self.matches(rowValue(c, r, arrowType), all[r]) {
        return "row \(r): got \(String(describing: rowValue(c, r, arrowType))), pyarrow \(all[r])"
      }
      if arrowType.hasPrefix("fixed_size_list"), c.listValidity?.contains(false) != true {
        guard let w = c.vectorWidth, arrowType.hasSuffix("[\(w)]") else {
          return "fixed_size_list without a constant width"
        }
      }
    }
    let head = col["head"] as? [Any] ?? []
    let tail = col["tail"] as? [Any] ?? []
    let headRows = Array(0..<min(head.count, rows))
    let tailRows = Array(max(0, rows - tail.count)..<rows)
    for (expected, rowsToCheck) in [(head, headRows), (tail, tailRows)] {
      for (k, r) in rowsToCheck.enumerated() {
        let got = rowValue(c, r, arrowType)
        if !Self.matches(got, expected[k]) {
          return "row \(r): got \(String(describing: got)), pyarrow \(expected[k])"
        }
      }
    }
    return nil
  }

  private func rowValue(_ c: ColumnData, _ r: Int, _ arrowType: String) -> Any? {
    if let o = c.listOffsets {
      if let lv = c.listValidity, !lv[r] { return nil }
      return (Int(o[r])..<Int(o[r + 1])).map { element(c, $0, arrowType) as Any }
    }
    return element(c, r, arrowType)
  }

  private func element(_ c: ColumnData, _ i: Int, _ arrowType: String) -> Any? {
    if let v = c.validity, !v[i] { return nil }
    switch c.values {
    case .bool(let a): return a[i]
    case .int32(let a), .date(let a): return Int(a[i])
    case .int64(let a): return Int(a[i])
    case .uint64(let a): return a[i]
    case .float(let a): return Double(a[i])
    case .double(let a): return a[i]
    case .timestamp(let a, let unit):
      // The fixture is in the Arrow type's unit, which is the file's unit (INT96: ns).
      let perUnit: Int64 = unit == .millis ? 1_000_000 : unit == .micros ? 1_000 : 1
      let arrowPer: Int64 = arrowType.contains("[ms") ? 1_000_000 : arrowType.contains("[us")
        ? 1_000 : arrowType.contains("[s") ? 1_000_000_000 : 1
      return perUnit == arrowPer ? Int(a[i]) : Int(a[i] &* perUnit / arrowPer)
    case .string(let o, let b):
      return String(decoding: b[Int(o[i])..<Int(o[i + 1])], as: UTF8.self)
    case .binary(let o, let b):
      if arrowType.hasPrefix("string") || arrowType.contains("string") {
        return String(decoding: b[Int(o[i])..<Int(o[i + 1])], as: UTF8.self)
      }
      return Self.hex(b[Int(o[i])..<Int(o[i + 1])])
    case .fixedBinary(let w, let b): return Self.hex(b[i * w..<(i + 1) * w])
    }
  }

  static func hex(_ b: ArraySlice<UInt8>) -> String {
    b.map { String(format: "%02x", $0) }.joined()
  }

  /// JSON conventions of the fixtures: floats and decimals as strings, ints as numbers.
  static func matches(_ got: Any?, _ want: Any) -> Bool {
    if want is NSNull { return got == nil }
    guard let got else { return false }
    if let wl = want as? [Any] {
      guard let gl = got as? [Any?], gl.count == wl.count else { return false }
      return zip(gl, wl).allSatisfy { matches($0.0, $0.1) }
    }
    if let d = got as? Double {
      guard let ws = want as? String ?? (want as? NSNumber)?.stringValue, let w = Double(ws)
      else { return false }
      if d.isNaN || w.isNaN { return d.isNaN && w.isNaN }
      return d == w || abs(d - w) <= 1e-9 * max(1, abs(w))
    }
    if let b = got as? Bool { return (want as? Bool) == b }
    if let i = got as? Int {
      if let n = want as? NSNumber { return n.int64Value == Int64(i) }
      return false
    }
    if let u = got as? UInt64 { return (want as? NSNumber)?.uint64Value == u }
    if let s = got as? String { return (want as? String) == s }
    return false
  }
}

/// CRC-32 (zlib polynomial) for comparing the fixtures' checksums.
enum FixtureCRC {
  static let table: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func crc32(_ data: UnsafeRawBufferPointer) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in data { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }
}
