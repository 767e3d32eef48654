import Foundation
import XCTest
import Graph
@testable import Construct

/// Every bad input of the issue: its message names the file / row / key, it is reported as bad
/// input (exit code 2) and no output folder remains.
final class BadInputTests: ConstructTestCase {
  let nodes = "id,x,y,label\nn0,1,2,0\nn1,3,4,1\nn2,5,6,0\nn3,7,8,1\n"
  let edges = "s,d\nn0,n1\nn1,n2\nn2,n3\n"

  func conf(feature: String = #"{"feature_col": ["x", "y"], "feature_name": "feat"}"#,
            labels: String = #"[{"label_col": "label", "task_type": "classification"}]"#,
            nodeFiles: String = "\"nodes.csv\"", edgeFiles: String = "\"edges.csv\"") -> String {
    """
    {"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": \(nodeFiles), "node_id_col": "id",
                "features": [\(feature)], "labels": \(labels)}],
     "edges": [{"relation": ["n", "to", "n"], "format": {"name": "csv"}, "files": \(edgeFiles),
                "source_id_col": "s", "dest_id_col": "d"}]}
    """
  }

  func prepare(_ c: String? = nil, nodes n: String? = nil, edges e: String? = nil) -> String {
    let dir = tempDir()
    write(dir, "nodes.csv", n ?? nodes)
    write(dir, "edges.csv", e ?? edges)
    write(dir, "conf.json", c ?? conf())
    return dir
  }

  func testValidBaseline() throws {
    let dir = prepare()
    let s = try GraphConstruction.run(options(dir))
    XCTAssertEqual(s.config.numNodes, 4)
    XCTAssertEqual(s.config.numEdges, 3)
  }

  func testMissingFile() {
    let dir = prepare(conf(nodeFiles: "\"nope.csv\""))
    expectError(options(dir), ["nope.csv", "does not exist", "nodes[0].files"])
    let dir2 = prepare(conf(nodeFiles: "\"parts/*.csv\""))
    expectError(options(dir2), ["parts/*.csv", "does not exist"])
    var o = options(dir)
    o.confFile = dir + "/missing.json"
    expectError(o, ["missing.json", "config file does not exist"])
  }

  func testMissingColumnListsThoseThatExist() {
    let dir = prepare(conf(feature: #"{"feature_col": ["x", "z"], "feature_name": "feat"}"#))
    expectError(options(dir), ["nodes.csv", "column 'z' does not exist", "columns: id, x, y, label", "nodes[0]"])
    let dir2 = prepare(conf().replacingOccurrences(of: "\"dest_id_col\": \"d\"", with: "\"dest_id_col\": \"dst\""))
    expectError(options(dir2), ["edges.csv", "column 'dst' does not exist", "columns: s, d", "edges[0].dest_id_col"])
  }

  func testNonNumericFeatureColumn() {
    let dir = prepare(nodes: "id,x,y,label\nn0,1,2,0\nn1,abc,4,1\nn2,5,6,0\nn3,7,8,1\n")
    expectError(options(dir), ["nodes.csv", "row 2", "feature column 'x' is not numeric ('abc')"])
  }

  func testVectorsOfDifferentLengths() throws {
    // Ragged list values (what a Parquet list column can hold).
    XCTAssertThrowsError(try Column.vectors(name: "emb", file: "t.parquet", values: [1, 2, 3, 4, 5], offsets: [0, 2, 4, 5])) { e in
      XCTAssertEqual((e as? ConstructError)?.description, "t.parquet, row 3: column 'emb' holds vectors of different lengths: 1 here, 2 in row 1")
    }
    let ok = try Column.vectors(name: "emb", file: "t", values: [1, 2, 3, 4], offsets: [0, 2, 2, 4], validity: [true, false, true])
    guard case .vectors(let v, let w) = ok.values else { return XCTFail("not vectors") }
    XCTAssertEqual(w, 2)
    XCTAssertEqual(Array(v[0..<2]) + Array(v[4..<6]), [1, 2, 3, 4])
    XCTAssert(v[2].isNaN && v[3].isNaN, "a null row becomes NaN")
    // Through the pipeline: an in-memory table with a ragged vector column.
    let dir = prepare(conf(feature: #"{"feature_col": "emb"}"#, labels: "[]"))
    var o = options(dir)
    o.tableOpener = { format, path in
      if path.hasSuffix("nodes.csv") {
        return MemoryTable(path: path, columns: [
          Column(name: "id", values: .string(["n0", "n1", "n2", "n3"])),
          try Column.vectors(name: "emb", file: path, values: [1, 2, 3, 4, 5, 6, 7], offsets: [0, 2, 4, 5, 7]),
        ])
      }
      return try TableSources.standard(format, path)
    }
    expectError(o, ["nodes.csv", "row 3", "vectors of different lengths"])
    // Two files giving one feature different widths.
    let dir2 = prepare(conf(feature: #"{"feature_col": "emb"}"#, labels: "[]", nodeFiles: #"["a.csv", "b.csv"]"#))
    var o2 = options(dir2)
    o2.tableOpener = { _, path in
      let w = path.hasSuffix("a.csv") ? 2 : 3
      let ids = path.hasSuffix("a.csv") ? ["n0", "n1"] : ["n2", "n3"]
      return MemoryTable(path: path, columns: [Column(name: "id", values: .string(ids)),
                                               Column(name: "emb", values: .vectors([Float](repeating: 1, count: 2 * w), width: w))])
    }
    write(dir2, "a.csv", "")
    write(dir2, "b.csv", "")
    expectError(o2, ["b.csv", "3 values per row here but 2 in earlier files"])
  }

  func testNaNOrInfInFeatureUnlessValidationIsOff() throws {
    for bad in ["nan", "inf", "-Infinity", ""] {
      let dir = prepare(nodes: "id,x,y,label\nn0,1,2,0\nn1,3,4,1\nn2,5,\(bad),0\nn3,7,8,1\n")
      expectError(options(dir), ["nodes.csv", "row 3", "feature column 'y'", "--no-feature-validate"])
      var o = options(dir)
      o.validateFeatures = false
      try GraphConstruction.run(o)
      let g = try ReadBack(root: dir + "/out")
      XCTAssertFalse(g.nodeFields["n"]!["feat"]![5].isFinite)
    }
  }

  func testDuplicateNodeIdNamesItAndBothRows() {
    let dir = prepare(conf(nodeFiles: #"["nodes.csv", "more.csv"]"#))
    write(dir, "more.csv", "id,x,y,label\nn7,1,1,1\nn2,1,1,1\n")
    expectError(options(dir), ["more.csv", "row 2", "duplicate node id 'n2'", "nodes.csv, row 3"])
  }

  func testEdgeEndpointWithNoNode() throws {
    let dir = prepare(edges: "s,d\nn0,n1\nn1,n9\nn2,n3\nn8,n0\n")
    expectError(options(dir), ["edges.csv", "row 2", "'n9'", "column 'd'", "type 'n'", "--skip-nonexist-edges"])
    var o = options(dir)
    o.skipNonexistEdges = true
    let s = try GraphConstruction.run(o)
    XCTAssertEqual(s.droppedEdges.map(\.1), [2])
    XCTAssert(s.warnings.contains { $0.contains("dropped 2 edges of n:to:n") })
    let g = try ReadBack(root: dir + "/out")
    XCTAssert(g.edges["n:to:n"]!.elementsEqual([(0, 1), (2, 3)]) { $0 == $1 })
  }

  func testSplitPctSummingOverOne() {
    let dir = prepare(conf(labels: #"[{"label_col": "label", "task_type": "classification", "split_pct": [0.8, 0.2, 0.1]}]"#))
    expectError(options(dir), ["conf.json", "nodes[0].labels[0].split_pct", "more than 1"])
  }

  func testTwoLabelsSharingAMaskName() {
    let dir = prepare(conf(labels: """
      [{"label_col": "label", "task_type": "classification", "mask_field_names": ["tr", "va", "te"]},
       {"label_col": "x", "task_type": "regression", "mask_field_names": ["tr2", "va", "te2"]}]
      """))
    expectError(options(dir), ["nodes[0].labels[1].mask_field_names", "'va'", "nodes[0].labels[0]"])
    let dir2 = prepare(conf(labels: """
      [{"label_col": "label", "task_type": "classification"}, {"label_col": "x", "task_type": "regression"}]
      """))
    expectError(options(dir2), ["'train_mask'", "own mask_field_names"])
  }

  func testUnknownTaskTypeOrTransform() {
    let dir = prepare(conf(labels: #"[{"label_col": "label", "task_type": "clasification"}]"#))
    expectError(options(dir), ["nodes[0].labels[0].task_type", "unknown task_type 'clasification'", "classification, regression"])
    let dir2 = prepare(conf(feature: #"{"feature_col": "x", "transform": {"name": "max_min"}}"#))
    expectError(options(dir2), ["nodes[0].features[0].transform.name", "unknown transform 'max_min'", "max_min_norm"])
  }

  func testNumPartsLargerThanTheNumberOfNodes() {
    let dir = prepare()
    expectError(options(dir, parts: 5), ["--num-parts", "5 partitions for a graph of 4 nodes"])
    expectError(options(dir, parts: 5, method: .metis), ["--num-parts"])
  }

  func testOtherConfigMistakesNameTheirKey() {
    let cases: [(String, [String])] = [
      (#"{"nodes": [{"node_type": "n", "format": {"name": "hdf5"}, "files": "x", "node_id_col": "id"}]}"#, ["nodes[0].format.name", "hdf5"]),
      (#"{"nodes": [{"node_type": "n", "format": {"name": "csv"}, "node_id_col": "id"}]}"#, ["nodes[0].files", "missing"]),
      (#"{"edges": [{"relation": ["a", "b"], "format": {"name": "csv"}, "files": "e.csv", "source_id_col": "s", "dest_id_col": "d"}]}"#, ["edges[0].relation"]),
      (#"{"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": "x", "node_id_col": "id", "labels": [{"task_type": "link_prediction"}]}]}"#, ["nodes[0].labels[0].task_type", "applies to edges"]),
      (#"{"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": "x", "node_id_col": "id", "features": [{"feature_col": ["a", "b"]}]}]}"#, ["nodes[0].features[0].feature_name", "required"]),
      (#"{"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": "x", "node_id_col": "id", "features": [{"feature_col": "a", "transform": {"name": "bucket_numerical", "bucket_cnt": 2}}]}]}"#, ["transform.range"]),
      (#"{"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": "x", "node_id_col": "id", "labels": [{"task_type": "classification"}]}]}"#, ["labels[0].label_col"]),
      (#"{"nodes": "#, ["not valid JSON"]),
    ]
    for (text, fragments) in cases {
      XCTAssertThrowsError(try GConstructConfig.parse(Data(text.utf8), file: "c.json")) { e in
        let d = (e as? ConstructError)?.description ?? "\(e)"
        for f in fragments { XCTAssert(d.contains(f), "'\(d)' lacks '\(f)'") }
        XCTAssertEqual((e as? ConstructError)?.code, .badConfig)
      }
    }
  }

  func testFlags() throws {
    let o = try ConstructOptions.parse(["--conf-file", "c.json", "--output-dir=o", "--graph-name", "g", "--num-parts", "3",
                                        "--part-method", "random", "--add-reverse-edges", "--skip-nonexist-edges",
                                        "--remap-node-id", "--no-feature-validate", "--seed", "9"])
    XCTAssertEqual([o.confFile, o.outputDir, o.graphName], ["c.json", "o", "g"])
    XCTAssertEqual(o.numParts, 3)
    XCTAssertEqual(o.partMethod, .random)
    XCTAssert(o.addReverseEdges && o.skipNonexistEdges && o.remapNodeId && !o.validateFeatures)
    XCTAssertEqual(o.seed, 9)
    let bad: [([String], String)] = [
      (["--conf-file", "c", "--output-dir", "o"], "--graph-name: is required"),
      (["--conf-file", "c", "--output-dir", "o", "--graph-name", "g", "--num-parts", "0"], "--num-parts"),
      (["--conf-file", "c", "--output-dir", "o", "--graph-name", "g", "--part-method", "kahip"], "--part-method"),
      (["--conf-file", "c", "--output-dir", "o", "--graph-name", "g", "--bogus"], "--bogus: unknown option"),
      (["--conf-file", "c", "--output-dir", "o", "--graph-name", "a b"], "--graph-name"),
      (["--conf-file"], "--conf-file: needs a value"),
    ]
    for (args, msg) in bad {
      XCTAssertThrowsError(try ConstructOptions.parse(args)) { e in
        XCTAssert("\(e)".contains(msg), "\(e)")
        XCTAssertEqual((e as? ConstructError)?.code, .badFlag)
      }
    }
  }

  func testRefusesToReplaceAnUnrelatedFolder() throws {
    let dir = prepare()
    write(dir, "out/precious.txt", "keep me")
    XCTAssertThrowsError(try GraphConstruction.run(options(dir))) { e in
      XCTAssert("\(e)".contains("not a Gust graph folder"))
    }
    XCTAssertEqual(try String(contentsOfFile: dir + "/out/precious.txt", encoding: .utf8), "keep me")
  }
}

/// An in-memory table for tests.
final class MemoryTable: TableSource {
  let path: String
  let columns: [Column]
  init(path: String, columns: [Column]) { self.path = path; self.columns = columns }
  var columnNames: [String] { columns.map(\.name) }
  var rowCount: Int { columns.first?.count ?? 0 }
  func read(_ column: String) throws -> Column {
    guard let c = columns.first(where: { $0.name == column }) else { throw TableSources.noSuchColumn(column, in: self) }
    return c
  }
}
