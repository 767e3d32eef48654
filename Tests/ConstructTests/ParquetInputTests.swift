import Foundation
import XCTest
import Graph
import Parquet
@testable import Construct
import TestSupport

/// Tables written by pyarrow: string ids and integer ids with gaps, `list<float>` and
/// `fixed_size_list` features, several files, nulls in label columns; and the
/// `raw_id_mappings/` that Gust writes, read back by pyarrow.
final class ParquetInputTests: ConstructTestCase {
  /// GUST_PYTHON, else `<root>/.venv-interop/bin/python`, else python3 — with pyarrow.
  func python() throws -> String {
    guard let p = Interop.pythonWithPyarrow() else {
      XCTFail("no python with pyarrow (make venv creates .venv-interop)")
      throw XCTSkip("no pyarrow")
    }
    return p
  }

  @discardableResult
  func run(_ exe: String, _ args: [String]) throws -> String { try Interop.run(exe, args) }

  let script = """
    import sys, os, pyarrow as pa, pyarrow.parquet as pq
    d = sys.argv[1]
    os.makedirs(d + "/papers")
    n = 30
    ids = [f"paper-{(k * 7) % n}" for k in range(n)]
    def papers(rows):
        return pa.table({
            "id": pa.array([ids[k] for k in rows], pa.string()),
            "feat": pa.array([[float(k), k + 0.5] for k in rows], pa.list_(pa.float32())),
            "emb": pa.array([[float(k), 2.0 * k, 3.0 * k] for k in rows], pa.list_(pa.float32(), 3)),
            "label_class": pa.array([None if k % 6 == 5 else k % 4 for k in rows], pa.int64()),
            "label_reg": pa.array([None if k % 4 == 1 else k * 1.5 for k in rows], pa.float64()),
        })
    pq.write_table(papers(range(0, 15)), d + "/papers/part-0.parquet", row_group_size=4)
    pq.write_table(papers(range(15, n)), d + "/papers/part-1.parquet", compression="zstd")
    authors = [10, 3, 77, 1000, 5]
    pq.write_table(pa.table({"aid": pa.array(authors, pa.int64()),
                             "feat": pa.array([[float(i), -float(i)] for i in range(5)], pa.list_(pa.float64(), 2))}),
                   d + "/author.parquet", use_dictionary=False)
    pq.write_table(pa.table({"a": pa.array([authors[k % 5] for k in range(n)], pa.int32()),
                             "p": pa.array(ids, pa.string()),
                             "w": pa.array([k / 8 for k in range(n)], pa.float32())}),
                   d + "/writes.parquet", compression="gzip")
    pq.write_table(pa.table({"p": pa.array(ids[10:12], pa.string())}), d + "/test_ids.parquet")
    """

  let conf = """
    {"version": "gconstruct-v0.1",
     "nodes": [{"node_type": "paper", "format": {"name": "parquet"}, "files": "papers", "node_id_col": "id",
                "features": [{"feature_col": "feat"}, {"feature_col": ["emb", "feat"], "feature_name": "both"}],
                "labels": [{"label_col": "label_class", "task_type": "classification", "split_pct": [0.5, 0.2, 0.2],
                            "mask_field_names": ["tr_c", "va_c", "te_c"]},
                           {"label_col": "label_reg", "task_type": "regression",
                            "custom_split_filenames": {"test": "test_ids.parquet", "column": ["p"]},
                            "mask_field_names": ["tr_r", "va_r", "te_r"]}]},
               {"node_type": "author", "format": {"name": "parquet"}, "files": ["author.parquet"], "node_id_col": "aid",
                "features": [{"feature_col": "feat"}]}],
     "edges": [{"relation": ["author", "writes", "paper"], "format": {"name": "parquet"}, "files": "writes*.parquet",
                "source_id_col": "a", "dest_id_col": "p", "features": [{"feature_col": "w"}]}]}
    """

  func testPyarrowTablesConstructCorrectly() throws {
    let py = try python()
    let dir = tempDir()
    write(dir, "make.py", script)
    try run(py, [dir + "/make.py", dir])
    write(dir, "conf.json", conf)
    try GraphConstruction.run(options(dir, parts: 2, method: .metis))
    let g = try ReadBack(root: dir + "/out")
    let n = 30
    let p = g.nodeFields["paper"]!
    for k in 0..<n {
      XCTAssertEqual(Array(p["feat"]![(2 * k)..<(2 * k + 2)]), [Double(k), Double(k) + 0.5])
      XCTAssertEqual(Array(p["both"]![(5 * k)..<(5 * k + 5)]), [Double(k), 2 * Double(k), 3 * Double(k), Double(k), Double(k) + 0.5])
      XCTAssertEqual(p["label_class"]![k], k % 6 == 5 ? -1 : Double(k % 4))
      if k % 4 == 1 { XCTAssert(p["label_reg"]![k].isNaN) } else { XCTAssertEqual(p["label_reg"]![k], Double(k) * 1.5) }
      if k % 6 == 5 { XCTAssertEqual(p["tr_c"]![k] + p["va_c"]![k] + p["te_c"]![k], 0) }
    }
    XCTAssertEqual(Int(p["tr_c"]!.reduce(0, +)), 12)   // ⌊25 · 0.5⌋
    XCTAssertEqual(p["te_r"]!.indices.filter { p["te_r"]![$0] == 1 }, [10, 11], "rows 10 and 11 are named by test_ids.parquet")
    XCTAssertEqual(p["tr_r"]!.reduce(0, +), 0)
    XCTAssertEqual(g.nodeFields["author"]!["feat"]!, (0..<5).flatMap { [Double($0), -Double($0)] })
    for k in 0..<n {
      XCTAssert(g.edges["author:writes:paper"]![k] == (Int64(k % 5), Int64(k)))
      XCTAssertEqual(g.edgeFields["author:writes:paper"]!["w"]![k], Double(Float(Double(k) / 8)))
    }

    // raw_id_mappings, read by pyarrow: orig keeps the raw type; new is the graph id.
    let dump = try run(py, ["-c", """
      import pyarrow.parquet as pq, json, sys
      out = {}
      for t in ["paper", "author"]:
          tab = pq.read_table(sys.argv[1] + f"/out/raw_id_mappings/{t}/part-00000.parquet")
          out[t] = {"orig": tab.column("orig").to_pylist(), "new": tab.column("new").to_pylist(), "type": str(tab.schema.field("orig").type)}
      print(json.dumps(out))
      """, dir])
    let maps = try JSONSerialization.jsonObject(with: Data(dump.utf8)) as! [String: [String: Any]]
    XCTAssertEqual(maps["paper"]!["orig"] as? [String], (0..<n).map { "paper-\(($0 * 7) % n)" })
    XCTAssertEqual(maps["paper"]!["new"] as? [Int], Array(0..<n))
    XCTAssertEqual(maps["paper"]!["type"] as? String, "string")
    XCTAssertEqual(maps["author"]!["orig"] as? [Int], [10, 3, 77, 1000, 5])
    XCTAssertEqual(maps["author"]!["type"] as? String, "int64")
  }

  /// Every node type gets a mapping, also ids that are already 0..N−1 and featureless types.
  func testRawIdMappingsForEveryType() throws {
    let dir = tempDir()
    write(dir, "n.csv", "id\n0\n1\n2\n")
    write(dir, "e.csv", "s,t\n0,x\n2,y\n")
    write(dir, "conf.json", """
      {"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": "n.csv", "node_id_col": "id"}],
       "edges": [{"relation": ["n", "r", "tag"], "format": {"name": "csv"}, "files": "e.csv", "source_id_col": "s", "dest_id_col": "t"}]}
      """)
    try GraphConstruction.run(options(dir))
    let n = try ParquetTable(path: dir + "/out/raw_id_mappings/n/part-00000.parquet")
    XCTAssertEqual(try n.read("orig").values, .int64([0, 1, 2]))
    XCTAssertEqual(try n.read("new").values, .int64([0, 1, 2]))
    let t = try ParquetTable(path: dir + "/out/raw_id_mappings/tag/part-00000.parquet")
    XCTAssertEqual(try t.read("orig").values, .string(["x", "y"]))
  }

  func testParquetColumnErrors() throws {
    let py = try python()
    let dir = tempDir()
    write(dir, "make.py", """
      import sys, pyarrow as pa, pyarrow.parquet as pq
      d = sys.argv[1]
      pq.write_table(pa.table({"id": ["a", "b", "c"], "v": pa.array([[1.0, 2.0], [3.0], [4.0, 5.0]], pa.list_(pa.float32())),
                               "s": ["x", "y", "z"]}), d + "/n.parquet")
      """)
    try run(py, [dir + "/make.py", dir])
    func conf(_ f: String) -> String {
      #"{"nodes": [{"node_type": "n", "format": {"name": "parquet"}, "files": "n.parquet", "node_id_col": "id", "features": [\#(f)]}]}"#
    }
    write(dir, "conf.json", conf(#"{"feature_col": "v"}"#))
    expectError(options(dir), ["n.parquet", "row 2", "column 'v' holds vectors of different lengths: 1 here, 2 in row 1"])
    write(dir, "conf.json", conf(#"{"feature_col": "s"}"#))
    expectError(options(dir), ["n.parquet", "row 1", "feature column 's' is not numeric ('x')"])
    write(dir, "conf.json", conf(#"{"feature_col": "nope"}"#))
    expectError(options(dir), ["n.parquet", "column 'nope' does not exist (columns: id, v, s)"])
  }
}
