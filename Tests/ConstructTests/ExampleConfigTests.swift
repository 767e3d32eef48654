import Foundation
import XCTest
import Graph
@testable import Construct

/// The two example shapes of the issue, built from CSV and read back through `Partition`:
/// masks, labels and features equal the input rows through the id map.
final class ExampleConfigTests: ConstructTestCase {
  static let nPapers = 40

  /// Papers with string ids in a scrambled order, two scalar features, a class label (missing in
  /// every 7th row) and a regression label (missing in every 5th). Authors with integer ids with
  /// gaps. Citations and authorship edges with a weight and an edge class.
  func writeInputs(_ dir: String, splitPaperFile: Bool = false) -> (paperIds: [String], authorIds: [Int]) {
    let n = ExampleConfigTests.nPapers
    let ids = (0..<n).map { "p\(($0 * 17) % n)" }
    var rows: [String] = []
    for (k, id) in ids.enumerated() {
      let cls = k % 7 == 3 ? "" : String(k % 3)
      let reg = k % 5 == 2 ? "" : String(Double(k) * 0.5)
      rows.append("\(id),\(Double(k)),\(Double(k * k) / 10),\(cls),\(reg)")
    }
    let header = "id,f1,f2,label_class,label_reg\n"
    if splitPaperFile {
      write(dir, "papers/part-b.csv", header + rows[20...].joined(separator: "\n") + "\n")
      write(dir, "papers/part-a.csv", header + rows[..<20].joined(separator: "\n") + "\n")
    } else {
      write(dir, "paper.csv", header + rows.joined(separator: "\n") + "\n")
    }
    let authorIds = [1000, 7, 42, 3, 99999, 12]
    write(dir, "author.csv", "aid,age\n" + authorIds.enumerated().map { "\($1),\(20 + $0)" }.joined(separator: "\n") + "\n")
    var cites = ["src,dst"]
    for k in 0..<n { cites.append("\(ids[k]),\(ids[(k * 3 + 1) % n])"); cites.append("\(ids[k]),\(ids[(k + 5) % n])") }
    write(dir, "cites.csv", cites.joined(separator: "\n") + "\n")
    var writes = ["author;paper;weight;kind"]
    for k in 0..<n { writes.append("\(authorIds[k % authorIds.count]);\(ids[k]);\(Double(k) / 4);\(k % 2)") }
    write(dir, "writes.csv", writes.joined(separator: "\n") + "\n")
    return (ids, authorIds)
  }

  let example1 = """
    {"version": "gconstruct-v0.1",
     "nodes": [
       {"node_type": "paper", "format": {"name": "csv", "separator": ","}, "files": "paper.csv", "node_id_col": "id",
        "features": [{"feature_col": ["f1", "f2"], "feature_name": "feat"},
                     {"feature_col": "f1", "feature_name": "f1_norm", "transform": {"name": "max_min_norm"}}],
        "labels": [
          {"label_col": "label_class", "task_type": "classification", "split_pct": [0.8, 0.1, 0.1],
           "mask_field_names": ["train_mask_class", "val_mask_class", "test_mask_class"]},
          {"label_col": "label_reg", "task_type": "regression", "split_pct": [0.6, 0.2, 0.2],
           "mask_field_names": ["train_mask_reg", "val_mask_reg", "test_mask_reg"]}]},
       {"node_type": "author", "format": {"name": "csv"}, "files": ["author.csv"], "node_id_col": "aid",
        "features": [{"feature_col": "age"}]}],
     "edges": [
       {"relation": ["paper", "cites", "paper"], "format": {"name": "csv"}, "files": "cites.csv",
        "source_id_col": "src", "dest_id_col": "dst"},
       {"relation": ["author", "writes", "paper"], "format": {"name": "csv", "separator": ";"}, "files": "writes.csv",
        "source_id_col": "author", "dest_id_col": "paper"}]}
    """

  let example2 = """
    {"version": "gconstruct-v0.1",
     "nodes": [
       {"node_type": "paper", "format": {"name": "csv"}, "files": "papers", "node_id_col": "id",
        "features": [{"feature_col": ["f1", "f2"], "feature_name": "feat", "transform": {"name": "standard"}}],
        "labels": [{"label_col": "label_class", "task_type": "classification",
                    "mask_field_names": ["train_mask_class", "val_mask_class", "test_mask_class"]}]}],
     "edges": [
       {"relation": ["paper", "citing", "paper"], "format": {"name": "csv"}, "files": "cites.csv",
        "source_id_col": "src", "dest_id_col": "dst",
        "labels": [{"task_type": "link_prediction", "split_pct": [0.7, 0.2, 0.1],
                    "mask_field_names": ["train_mask_lp", "val_mask_lp", "test_mask_lp"]}]},
       {"relation": ["author", "writes", "paper"], "format": {"name": "csv", "separator": ";"}, "files": "writes.csv",
        "source_id_col": "author", "dest_id_col": "paper",
        "features": [{"feature_col": "weight", "feature_name": "w_feat"}],
        "labels": [{"label_col": "kind", "task_type": "classification", "split_pct": [0.5, 0.25, 0.25],
                    "mask_field_names": ["train_mask_ec", "val_mask_ec", "test_mask_ec"]},
                   {"label_col": "weight", "task_type": "regression", "split_pct": [0.5, 0.5, 0.0],
                    "mask_field_names": ["train_mask_er", "val_mask_er", "test_mask_er"]}]}]}
    """

  /// Checks three masks: disjoint, only on rows with a label, ⌊n·p⌋ rows each.
  func checkMasks(_ f: [String: [Double]], _ names: [String], valid: [Bool], pct: [Double],
                  file: StaticString = #filePath, line: UInt = #line) {
    let masks = names.map { f[$0]! }
    let n = valid.filter { $0 }.count
    for (s, m) in masks.enumerated() {
      XCTAssertEqual(m.count, valid.count, file: file, line: line)
      XCTAssertEqual(Int(m.reduce(0, +)), Int(Double(n) * pct[s]), "\(names[s]) count", file: file, line: line)
    }
    for r in valid.indices {
      let sum = masks.reduce(0) { $0 + $1[r] }
      XCTAssertLessThanOrEqual(sum, 1, "row \(r) is in more than one split", file: file, line: line)
      if !valid[r] { XCTAssertEqual(sum, 0, "row \(r) has no label but a mask", file: file, line: line) }
    }
  }

  func testExample1ClassificationAndRegressionOnOneNodeType() throws {
    let dir = tempDir()
    let (ids, authorIds) = writeInputs(dir)
    write(dir, "conf.json", example1)
    let summary = try GraphConstruction.run(options(dir, parts: 3, method: .metis))
    XCTAssertEqual(summary.config.numParts, 3)
    let g = try ReadBack(root: dir + "/out")
    XCTAssertEqual(g.config.ntypes, ["paper", "author"])
    let n = ExampleConfigTests.nPapers
    let p = g.nodeFields["paper"]!
    // Graph id k is row k of paper.csv (order of first appearance).
    for k in 0..<n {
      XCTAssertEqual(Array(p["feat"]![(2 * k)..<(2 * k + 2)]), [Double(k), Double(Float(Double(k * k) / 10))])
      XCTAssertEqual(p["f1_norm"]![k], Double(Float(Double(k) / Double(n - 1))), accuracy: 1e-6)
      XCTAssertEqual(p["label_class"]![k], k % 7 == 3 ? -1 : Double(k % 3))
      if k % 5 == 2 { XCTAssert(p["label_reg"]![k].isNaN) } else { XCTAssertEqual(p["label_reg"]![k], Double(k) * 0.5) }
    }
    checkMasks(p, ["train_mask_class", "val_mask_class", "test_mask_class"], valid: (0..<n).map { $0 % 7 != 3 }, pct: [0.8, 0.1, 0.1])
    checkMasks(p, ["train_mask_reg", "val_mask_reg", "test_mask_reg"], valid: (0..<n).map { $0 % 5 != 2 }, pct: [0.6, 0.2, 0.2])
    XCTAssertEqual(g.nodeFields["author"]!["age"]!, (0..<6).map { Double(20 + $0) })
    // Edges through the id maps.
    let pid = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int64($0)) })
    let aid = Dictionary(uniqueKeysWithValues: authorIds.enumerated().map { ($1, Int64($0)) })
    let cites = g.edges["paper:cites:paper"]!
    XCTAssertEqual(cites.count, 2 * n)
    for k in 0..<n {
      XCTAssert(cites[2 * k] == (pid[ids[k]]!, pid[ids[(k * 3 + 1) % n]]!))
      XCTAssert(cites[2 * k + 1] == (pid[ids[k]]!, pid[ids[(k + 5) % n]]!))
    }
    let writes = g.edges["author:writes:paper"]!
    for k in 0..<n { XCTAssert(writes[k] == (aid[authorIds[k % 6]]!, Int64(k))) }
    // The learned parameters are recorded.
    let t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/data_transform_new.json"))) as! [String: Any]
    let tr = (((t["nodes"] as! [Any])[0] as! [String: Any])["features"] as! [[String: Any]])[1]["transform"] as! [String: Any]
    XCTAssertEqual(tr["max_val"] as? [Double], [Double(n - 1)])
    XCTAssertEqual(tr["min_val"] as? [Double], [0])
  }

  func testExample2NodeClassificationPlusLinkPredictionAndEdgeLabels() throws {
    let dir = tempDir()
    let (ids, authorIds) = writeInputs(dir, splitPaperFile: true)
    write(dir, "conf.json", example2)
    try GraphConstruction.run(options(dir, parts: 2, method: .random, seed: 7)).warnings.forEach { XCTFail($0) }
    let g = try ReadBack(root: dir + "/out")
    XCTAssertEqual(g.config.ntypes, ["paper", "author"])
    let n = ExampleConfigTests.nPapers
    let p = g.nodeFields["paper"]!
    // Files of a directory are read sorted: part-a (rows 0..<20) before part-b.
    let sum1 = (0..<n).reduce(0.0) { $0 + Double($1) }, sum2 = (0..<n).reduce(0.0) { $0 + Double(Float(Double($1 * $1) / 10)) }
    for k in 0..<n {
      XCTAssertEqual(p["feat"]![2 * k], Double(Float(Double(k) / sum1)), accuracy: 1e-7)
      XCTAssertEqual(p["feat"]![2 * k + 1], Double(Float(Double(Float(Double(k * k) / 10)) / sum2)), accuracy: 1e-7)
    }
    checkMasks(p, ["train_mask_class", "val_mask_class", "test_mask_class"], valid: (0..<n).map { $0 % 7 != 3 }, pct: [0.8, 0.1, 0.1])
    let lp = g.edgeFields["paper:citing:paper"]!
    checkMasks(lp, ["train_mask_lp", "val_mask_lp", "test_mask_lp"], valid: [Bool](repeating: true, count: 2 * n), pct: [0.7, 0.2, 0.1])
    XCTAssertNil(lp["label"])
    // Featureless author type: ids from the edge file, in order of first appearance.
    XCTAssertEqual(g.config.numNodes(ofType: 1), authorIds.count)
    let w = g.edgeFields["author:writes:paper"]!
    for k in 0..<n {
      XCTAssert(g.edges["author:writes:paper"]![k] == (Int64(k % authorIds.count), Int64(k)))
      XCTAssertEqual(w["weight"]![k], Double(k) / 4)
      XCTAssertEqual(w["w_feat"]![k], Double(k) / 4)
      XCTAssertEqual(w["kind"]![k], Double(k % 2))
    }
    checkMasks(w, ["train_mask_ec", "val_mask_ec", "test_mask_ec"], valid: [Bool](repeating: true, count: n), pct: [0.5, 0.25, 0.25])
    checkMasks(w, ["train_mask_er", "val_mask_er", "test_mask_er"], valid: [Bool](repeating: true, count: n), pct: [0.5, 0.5, 0])
    let info = g.config.edgeFields[g.config.etypeId(EdgeType("author", "writes", "paper"))!]
    XCTAssertEqual(info.first { $0.name == "kind" }?.dtype, .i64)
    XCTAssertEqual(info.first { $0.name == "weight" }?.kind, .label)
    XCTAssertEqual(info.first { $0.name == "weight" }?.dtype, .f32)
    XCTAssertEqual(info.first { $0.name == "w_feat" }?.kind, .feature)
    XCTAssertEqual(info.first { $0.name == "train_mask_er" }?.dtype, .u8)
    _ = ids
  }

  /// 1 and 3 partitions (METIS and random) hold the same graph per raw id.
  func testOneAndThreePartitionsHoldTheSameGraph() throws {
    let dir = tempDir()
    _ = writeInputs(dir)
    write(dir, "conf.json", example1)
    try GraphConstruction.run(options(dir, out: "one", parts: 1))
    try GraphConstruction.run(options(dir, out: "three", parts: 3, method: .metis))
    try GraphConstruction.run(options(dir, out: "three-r", parts: 3, method: .random))
    let one = try ReadBack(root: dir + "/one")
    for other in ["three", "three-r"] {
      let g = try ReadBack(root: dir + "/" + other)
      XCTAssertEqual(g.config.numParts, 3)
      for (nt, fields) in one.nodeFields {
        for (name, v) in fields { XCTAssert(v.elementsEqual(g.nodeFields[nt]![name]!) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(nt).\(name)") }
      }
      for (et, e) in one.edges { XCTAssert(e.elementsEqual(g.edges[et]!) { $0 == $1 }, et) }
      XCTAssert((0..<3).allSatisfy { p in g.config.nodeMap[0][p].count > 0 }, "every partition holds papers")
    }
  }

  /// Same inputs and seed → byte-identical output; another seed → other masks.
  func testDeterministicOutput() throws {
    let dir = tempDir()
    _ = writeInputs(dir)
    write(dir, "conf.json", example1)
    try GraphConstruction.run(options(dir, out: "a", parts: 2, method: .metis, seed: 3))
    try GraphConstruction.run(options(dir, out: "b", parts: 2, method: .metis, seed: 3))
    try GraphConstruction.run(options(dir, out: "c", parts: 1, seed: 4))
    try GraphConstruction.run(options(dir, out: "d", parts: 1, seed: 3))
    let a = folderContents(dir + "/a"), b = folderContents(dir + "/b")
    XCTAssertGreaterThan(a.count, 20)
    XCTAssertEqual(a, b)
    let c = try ReadBack(root: dir + "/c"), d = try ReadBack(root: dir + "/d")
    XCTAssertNotEqual(c.nodeFields["paper"]!["train_mask_class"]!, d.nodeFields["paper"]!["train_mask_class"]!)
    XCTAssertEqual(c.nodeFields["paper"]!["feat"]!, d.nodeFields["paper"]!["feat"]!)
  }

  /// Rebuilding over an earlier output replaces it; the learned config applies the recorded
  /// parameters to new data instead of learning new ones.
  func testLearnedConfigTransformsNewDataIdentically() throws {
    let dir = tempDir()
    _ = writeInputs(dir)
    write(dir, "conf.json", example1)
    try GraphConstruction.run(options(dir))
    try GraphConstruction.run(options(dir))   // over an existing Gust graph folder
    try FileManager.default.copyItem(atPath: dir + "/out/data_transform_new.json", toPath: dir + "/learned.json")
    // New data: a quarter of the papers. max_min_norm must use the first run's max (n − 1).
    let text = try String(contentsOfFile: dir + "/paper.csv", encoding: .utf8).split(separator: "\n")
    write(dir, "paper.csv", text[0...10].joined(separator: "\n") + "\n")
    write(dir, "cites.csv", "src,dst\n")
    write(dir, "writes.csv", "author;paper;weight;kind\n")
    try GraphConstruction.run(options(dir, conf: "learned.json", out: "again"))
    let g = try ReadBack(root: dir + "/again")
    let n = ExampleConfigTests.nPapers
    for k in 0..<10 { XCTAssertEqual(g.nodeFields["paper"]!["f1_norm"]![k], Double(Float(Double(k) / Double(n - 1))), accuracy: 1e-6) }
  }
}
