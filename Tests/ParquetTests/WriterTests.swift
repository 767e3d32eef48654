import Foundation
import TestSupport
import XCTest

@testable import Parquet

/// Gust-written files read back equal in Gust and in pyarrow.
final class WriterTests: XCTestCase {
  static let fields: [ParquetWriterField] = [
    .init("id", .int64),
    .init("label", .double, nullable: true),
    .init("name", .string),
    .init("flag", .bool),
    .init("small", .int32, nullable: true),
    .init("score", .float),
    .init("vec", .floatList),
    .init("ragged", .floatList, nullable: true),
    .init("tag", .string, nullable: true),
  ]

  static let rows = 7

  static func columns() -> [ColumnData] {
    let n = rows
    let names = (0..<n).map { ["alpha", "beta", "gamma"][$0 % 3] + ($0 == 6 ? "é" : "") }
    var o: [Int32] = [0]
    var b: [UInt8] = []
    for s in names { b += Array(s.utf8); o.append(Int32(b.count)) }
    var to: [Int32] = [0]
    var tb: [UInt8] = []
    for i in 0..<n { if i % 2 == 0 { tb += Array("t\(i)".utf8) }; to.append(Int32(tb.count)) }
    // ragged: row 0 [1,2], row 1 null, row 2 [], row 3 [null, 4], rows 4-6 [5], [6,7,8], [9]
    let ragged: [Float] = [1, 2, 0, 4, 5, 6, 7, 8, 9]
    return [
      ColumnData(name: "id", values: .int64((0..<n).map { Int64($0) * 1_000_000_007 })),
      ColumnData(name: "label", values: .double((0..<n).map { Double($0) / 4 }),
                 validity: (0..<n).map { $0 != 3 }),
      ColumnData(name: "name", values: .string(offsets: o, bytes: b)),
      ColumnData(name: "flag", values: .bool((0..<n).map { $0 % 3 == 0 })),
      ColumnData(name: "small", values: .int32((0..<n).map { Int32($0) - 3 }),
                 validity: (0..<n).map { $0 % 2 == 0 }),
      ColumnData(name: "score", values: .float((0..<n).map { Float($0) * 1.5 - 2 })),
      ColumnData(name: "vec", values: .float((0..<(n * 3)).map { Float($0) }),
                 listOffsets: (0...n).map { Int32($0 * 3) }),
      ColumnData(name: "ragged", values: .float(ragged),
                 validity: [true, true, false, true, true, true, true, true, true],
                 listOffsets: [0, 2, 2, 2, 4, 5, 8, 9],
                 listValidity: [true, false, true, true, true, true, true]),
      ColumnData(name: "tag", values: .string(offsets: to, bytes: tb),
                 validity: (0..<n).map { $0 % 2 == 0 }),
    ]
  }

  private func writeSample(_ path: String, _ opts: ParquetWriterOptions) throws {
    let w = try ParquetWriter(path: path, fields: Self.fields, options: opts)
    try w.write(Self.columns())
    try w.close()
  }

  func testRoundTripInGust() throws {
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    for codec in [CompressionCodec.snappy, .uncompressed] {
      var opts = ParquetWriterOptions()
      opts.compression = codec
      opts.rowGroupRows = 3
      opts.pageSlots = 4
      let path = dir.appendingPathComponent("t-\(codec).parquet").path
      try writeSample(path, opts)
      XCTAssertFalse(FileManager.default.fileExists(atPath: "\(path).tmp-\(getpid())"))
      let f = try ParquetFile.open(path)
      XCTAssertEqual(f.rowCount, Self.rows)
      XCTAssertEqual(f.rowGroups.count, 3)
      XCTAssertEqual(f.columnNames, Self.fields.map(\.name))
      let got = try f.readAll(columns: Self.fields.map(\.name))
      let want = Self.columns()
      for (g, w) in zip(got, want) {
        switch (g.values, w.values) {
        case (.double(let a), .double(let b)) where w.validity != nil:
          XCTAssertEqual(g.optionals(a), w.optionals(b), g.name)  // null slots read as 0
        case (.int32(let a), .int32(let b)) where w.validity != nil:
          XCTAssertEqual(g.optionals(a), w.optionals(b), g.name)
        default: XCTAssertEqual(g.values, w.values, g.name)
        }
        XCTAssertEqual(g.listOffsets, w.listOffsets, g.name)
        if w.validity != nil { XCTAssertEqual(g.validity, w.validity, g.name) }
        if w.listValidity != nil { XCTAssertEqual(g.listValidity, w.listValidity, g.name) }
      }
      let m = try got[6].floatMatrix()
      XCTAssertEqual(m.width, 3)
      XCTAssertEqual(m.rows, Self.rows)
      XCTAssertEqual(m.values, (0..<21).map { Float($0) })
      // Statistics of the first row group's id chunk: min 0, max 2 × 1_000_000_007.
      let st = f.rowGroups[0].columns[0].metaData?.statistics
      XCTAssertEqual(st?.minValue, withUnsafeBytes(of: Int64(0)) { Array($0) })
      XCTAssertEqual(st?.maxValue, withUnsafeBytes(of: Int64(2_000_000_014)) { Array($0) })
      XCTAssertEqual(st?.nullCount, 0)
      XCTAssertEqual(f.rowGroups[1].columns[1].metaData?.statistics?.nullCount, 1)
      // Dictionary encoding for strings.
      XCTAssertTrue(f.rowGroups[0].columns[2].metaData?.encodings.contains(8) ?? false)
    }
  }

  func testDictionaryFallsBackToPlain() throws {
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    var opts = ParquetWriterOptions()
    opts.dictionaryLimitBytes = 10
    let path = dir.appendingPathComponent("plain.parquet").path
    try writeSample(path, opts)
    let f = try ParquetFile.open(path)
    XCTAssertFalse(f.rowGroups[0].columns[2].metaData?.encodings.contains(8) ?? true)
    let got = try f.readAll(columns: ["name"])
    XCTAssertEqual(got[0].values, Self.columns()[2].values)
  }

  func testWriterRejectsBadInput() throws {
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("bad.parquet").path
    let w = try ParquetWriter(path: path, fields: [.init("x", .int32)])
    XCTAssertThrowsError(try w.write([ColumnData(name: "x", values: .int64([1]))])) {
      XCTAssertEqual(($0 as? ParquetError)?.kind, .invalidArgument)
    }
    XCTAssertThrowsError(try w.write([ColumnData(name: "x", values: .int32([1, 2]),
                                                 validity: [true, false])])) {
      XCTAssertEqual(($0 as? ParquetError)?.kind, .invalidArgument)
    }
    XCTAssertThrowsError(try ParquetWriter(path: path, fields: [.init("a", .int32),
                                                                .init("a", .int64)]))
  }

  /// Runs pyarrow over a Gust-written file and compares every value and type.
  func testPyarrowReadsGustFiles() throws {
    let python = try Self.pythonWithPyarrow()
    let dir = try FormatTestData.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    var opts = ParquetWriterOptions()
    opts.rowGroupRows = 3
    let path = dir.appendingPathComponent("interop.parquet").path
    try writeSample(path, opts)
    let script = """
      import json, sys, pyarrow.parquet as pq
      t = pq.read_table(sys.argv[1])
      print(json.dumps({"types": {f.name: str(f.type) for f in t.schema},
                        "values": t.to_pydict(),
                        "row_groups": pq.ParquetFile(sys.argv[1]).metadata.num_row_groups}))
      """
    let out = try Self.run(python, ["-c", script, path])
    let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    let types = json["types"] as! [String: String]
    XCTAssertEqual(types["id"], "int64")
    XCTAssertEqual(types["label"], "double")
    XCTAssertEqual(types["name"], "string")
    XCTAssertEqual(types["flag"], "bool")
    XCTAssertEqual(types["small"], "int32")
    XCTAssertEqual(types["score"], "float")
    XCTAssertEqual(types["vec"], "list<element: float>")
    XCTAssertEqual(types["tag"], "string")
    XCTAssertEqual(json["row_groups"] as? Int, 3)
    let v = json["values"] as! [String: [Any]]
    XCTAssertEqual(v["id"] as? [Int], (0..<7).map { $0 * 1_000_000_007 })
    XCTAssertEqual(v["label"]!.map { $0 as? Double }, [0, 0.25, 0.5, nil, 1, 1.25, 1.5])
    XCTAssertEqual(v["name"] as? [String],
                   ["alpha", "beta", "gamma", "alpha", "beta", "gamma", "alphaé"])
    XCTAssertEqual(v["flag"] as? [Bool], [true, false, false, true, false, false, true])
    XCTAssertEqual(v["small"]!.map { $0 as? Int }, [-3, nil, -1, nil, 1, nil, 3])
    XCTAssertEqual(v["score"] as? [Double], (0..<7).map { Double($0) * 1.5 - 2 })
    XCTAssertEqual(v["vec"] as? [[Double]], (0..<7).map { r in (0..<3).map { Double(r * 3 + $0) } })
    let ragged = v["ragged"]!.map { row -> [Double?]? in
      (row as? [Any]).map { $0.map { $0 as? Double } }
    }
    XCTAssertEqual(ragged, [[1, 2], nil, [], [nil, 4], [5], [6, 7, 8], [9]])
    XCTAssertEqual(v["tag"]!.map { $0 as? String }, ["t0", nil, "t2", nil, "t4", nil, "t6"])
  }

  /// GUST_PYTHON, else `<root>/.venv-interop/bin/python`, else python3; fails if no pyarrow.
  static func pythonWithPyarrow() throws -> [String] {
    guard let p = Interop.pythonWithPyarrow() else {
      XCTFail("pyarrow cannot be imported by GUST_PYTHON, <root>/.venv-interop/bin/python or "
              + "python3; create the venv: python3 -m venv .venv-interop && "
              + ".venv-interop/bin/pip install pyarrow")
      throw XCTSkip("no python with pyarrow")
    }
    return [p]
  }

  @discardableResult
  static func run(_ cmd: [String], _ args: [String]) throws -> String {
    let exe = cmd[0]
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = Array(cmd.dropFirst()) + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw ParquetError(.io, "\(exe) failed: \(String(decoding: errData, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
  }
}
