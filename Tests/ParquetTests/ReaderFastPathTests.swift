import Foundation
import XCTest

@testable import Parquet

/// The reader's fast paths against values known from a formula: `readAll` decoding every row
/// group into one output, validity masks made only at the first null (which here comes only in
/// a later row group), all-defined pages whose levels are recognised without decoding, vector
/// pages whose repetition levels are read run by run, chunked dictionary gathers. The table is
/// written by pyarrow at test time with tiny pages (hundreds of pages, 4 row groups), in data
/// page v1 and v2, so every path meets page and row-group boundaries.
final class ReaderFastPathTests: XCTestCase {
  static let rows = 5000

  static let script = """
    import sys
    import pyarrow as pa, pyarrow.parquet as pq
    N = \(rows)
    def vec(i):
        if i >= 2000 and i % 97 == 0: return None
        if i >= 2500 and i % 89 == 0: return []
        return [None if (4000 <= i < 4010 and k == 2) else float(i * 8 + k) for k in range(8)]
    def req(i):
        return [] if i >= 3500 and i % 13 == 0 else [float(i * 3 + k) for k in range(3)]
    elem = pa.field("element", pa.float32(), nullable=False)
    t = pa.table({
        "vec": pa.array([vec(i) for i in range(N)], pa.list_(pa.float32())),
        "req": pa.array([req(i) for i in range(N)], pa.list_(elem)),
        "fsl": pa.array([[i + 0.5 * k for k in range(4)] for i in range(N)], pa.list_(pa.float32(), 4)),
        "opt": pa.array([None if i >= 3000 and i % 7 == 0 else i * 3 for i in range(N)], pa.int64()),
        "label": pa.array([float(i % 11) for i in range(N)], pa.float64()),
        "name": pa.array([None if i >= 4500 and i % 5 == 0 else "s%05d" % (i % 300) if i < 2500
                          else "u%07d" % i for i in range(N)], pa.string()),
    })
    t = t.cast(pa.schema([pa.field("vec", pa.list_(pa.float32())),
                          pa.field("req", pa.list_(elem), nullable=False),
                          pa.field("fsl", pa.list_(pa.float32(), 4)),
                          pa.field("opt", pa.int64()), pa.field("label", pa.float64()),
                          pa.field("name", pa.string())]))
    pq.write_table(t, sys.argv[1], row_group_size=1400, data_page_size=512,
                   dictionary_pagesize_limit=2048, data_page_version=sys.argv[2])
    """

  func expectedVec(_ i: Int) -> [Float?]? {
    if i >= 2000 && i % 97 == 0 { return nil }
    if i >= 2500 && i % 89 == 0 { return [] }
    return (0..<8).map { k in (4000..<4010).contains(i) && k == 2 ? nil : Float(i * 8 + k) }
  }

  func expectedReq(_ i: Int) -> [Float?] {
    i >= 3500 && i % 13 == 0 ? [] : (0..<3).map { Float(i * 3 + $0) }
  }

  func expectedName(_ i: Int) -> String? {
    if i >= 4500 && i % 5 == 0 { return nil }
    return i < 2500 ? String(format: "s%05d", i % 300) : String(format: "u%07d", i)
  }

  func write(_ version: String) throws -> String {
    let python = try WriterTests.pythonWithPyarrow()
    let dir = try FormatTestData.tempDir()
    let py = dir.appendingPathComponent("make.py").path
    try Self.script.write(toFile: py, atomically: true, encoding: .utf8)
    let path = dir.appendingPathComponent("fast_paths_v\(version).parquet").path
    try WriterTests.run(python, [py, path, version])
    return path
  }

  func testReadAllMatchesFormulaV1() throws { try check(try write("1.0")) }
  func testReadAllMatchesFormulaV2() throws { try check(try write("2.0")) }

  func check(_ path: String) throws {
    let f = try ParquetFile.open(path)
    XCTAssertEqual(f.rowGroups.count, 4)
    let n = Self.rows
    let cols = try f.readAll(columns: ["vec", "req", "fsl", "opt", "label", "name"])

    let vec = cols[0]
    XCTAssertEqual(vec.listRows(vec.floats!), (0..<n).map(expectedVec))
    XCTAssertNotNil(vec.listValidity)
    XCTAssertNotNil(vec.validity)

    let req = cols[1]
    XCTAssertEqual(req.listRows(req.floats!), (0..<n).map { Optional(expectedReq($0)) })
    XCTAssertNil(req.listValidity)
    XCTAssertNil(req.validity)

    let fsl = cols[2]
    XCTAssertNil(fsl.validity, "no nulls: no mask")
    XCTAssertNil(fsl.listValidity)
    let m = try fsl.floatMatrix()
    XCTAssertEqual(m.width, 4)
    var want: [Float] = []
    for i in 0..<n { for k in 0..<4 { want.append(Float(i) + 0.5 * Float(k)) } }
    XCTAssertEqual(m.values, want)

    let opt = cols[3]
    var wantOpt: [Int64?] = []
    for i in 0..<n { wantOpt.append(i >= 3000 && i % 7 == 0 ? nil : Int64(i * 3)) }
    XCTAssertEqual(opt.optionals(opt.int64s!), wantOpt)
    XCTAssertEqual(opt.validity?.count, n)

    XCTAssertEqual(cols[4].doubles, (0..<n).map { i -> Double in Double(i % 11) })
    XCTAssertNil(cols[4].validity)

    let name = cols[5]
    XCTAssertEqual(name.optionals(name.strings!), (0..<n).map(expectedName))

    // The same through row groups one by one, concatenated by `ColumnData.append`, and through
    // a dataset of two copies of the file.
    for (k, leaf) in try f.resolve(["vec", "req", "fsl", "opt", "label", "name"]).enumerated() {
      var acc = try f.readColumn(leaf, rowGroup: 0)
      for g in 1..<f.rowGroups.count { try acc.append(try f.readColumn(leaf, rowGroup: g)) }
      XCTAssertEqual(acc.values, cols[k].values, leaf.name)
      XCTAssertEqual(acc.listOffsets, cols[k].listOffsets, leaf.name)
      XCTAssertEqual(acc.validity ?? Array(repeating: true, count: acc.values.count),
                     cols[k].validity ?? Array(repeating: true, count: cols[k].values.count), leaf.name)
      XCTAssertEqual(acc.listValidity ?? Array(repeating: true, count: acc.rowCount),
                     cols[k].listValidity ?? Array(repeating: true, count: cols[k].rowCount), leaf.name)
    }
    let copy = path + ".copy.parquet"
    try? FileManager.default.removeItem(atPath: copy)
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    let both = try ParquetDataset(paths: [path, copy]).readAll(columns: ["vec", "name"])
    XCTAssertEqual(both[0].listRows(both[0].floats!), ((0..<n).map(expectedVec)) + (0..<n).map(expectedVec))
    XCTAssertEqual(both[1].optionals(both[1].strings!), (0..<n).map(expectedName) + (0..<n).map(expectedName))
  }

  /// PLAIN fixed-width pages of thousands of values (more than the 4 KiB staging buffer holds),
  /// unaligned behind their levels, with and without nulls, in one row group and in several.
  func testLargePlainPages() throws {
    let python = try WriterTests.pythonWithPyarrow()
    let dir = try FormatTestData.tempDir()
    let py = dir.appendingPathComponent("plain.py").path
    try """
      import sys
      import pyarrow as pa, pyarrow.parquet as pq
      N = 20000
      t = pa.table({
          "i64": pa.array([None if i % 7 == 3 else i * 1000003 - 7 for i in range(N)], pa.int64()),
          "f64": pa.array([i * 0.25 for i in range(N)], pa.float64()),
          "i32": pa.array([None if i % 1000 == 999 else i - 5000 for i in range(N)], pa.int32()),
          "f32": pa.array([i * 0.5 for i in range(N)], pa.float32()),
      })
      pq.write_table(t, sys.argv[1], use_dictionary=False, compression=sys.argv[2],
                     row_group_size=int(sys.argv[3]))
      """.write(toFile: py, atomically: true, encoding: .utf8)
    let n = 20000
    var i64: [Int64?] = [], i32: [Int32?] = []
    for i in 0..<n {
      i64.append(i % 7 == 3 ? nil : Int64(i) * 1_000_003 - 7)
      i32.append(i % 1000 == 999 ? nil : Int32(i - 5000))
    }
    for (codec, rowGroup) in [("none", 20000), ("snappy", 6000)] {
      let path = dir.appendingPathComponent("plain_\(codec).parquet").path
      try WriterTests.run(python, [py, path, codec, "\(rowGroup)"])
      let c = try ParquetFile.open(path).readAll(columns: ["i64", "f64", "i32", "f32"])
      XCTAssertEqual(c[0].optionals(c[0].int64s!), i64, codec)
      XCTAssertEqual(c[1].doubles, (0..<n).map { Double($0) * 0.25 }, codec)
      XCTAssertEqual(c[2].optionals(c[2].int32s!), i32, codec)
      XCTAssertEqual(c[3].floats, (0..<n).map { Float($0) * 0.5 }, codec)
      XCTAssertNil(c[1].validity)
    }
  }

  /// The run-by-run API the vector fast path reads repetition levels with yields what `decode`
  /// does, over RLE runs and bit-packed groups split at odd batch sizes.
  func testNextBatchAgreesWithDecode() throws {
    var enc = RLEHybridEncoder(bitWidth: 1)
    var levels: [Int32] = []
    for row in 0..<300 {
      let len = row % 17 == 0 ? 1 : row % 5 == 0 ? 3 : 64
      for k in 0..<len { levels.append(k == 0 ? 0 : 1) }
    }
    for l in levels { enc.append(l) }
    let bytes = enc.finish()
    var expect = [Int32](repeating: -1, count: levels.count)
    try bytes.withUnsafeBytes { raw in
      var d = RLEHybridDecoder(data: raw, bitWidth: 1)
      try expect.withUnsafeMutableBufferPointer { try d.decode(into: $0.baseAddress!, count: levels.count) }
      XCTAssertEqual(expect, levels)
      var b = RLEHybridDecoder(data: raw, bitWidth: 1)
      var got: [Int32] = []
      var scratch = [Int32](repeating: 0, count: 37)
      while got.count < levels.count {
        let (n, v) = try scratch.withUnsafeMutableBufferPointer {
          try b.nextBatch(limit: min(37, levels.count - got.count), scratch: $0.baseAddress!)
        }
        if let v { got += repeatElement(v, count: n) } else { got += scratch[0..<n] }
      }
      XCTAssertEqual(got, levels)
      XCTAssertFalse(RLEHybridDecoder(data: raw, bitWidth: 1).startsWithRun(of: 1, covering: 1))
    }
  }
}
