import Config
import Foundation
import Parquet
import XCTest
@testable import Synth

final class GenerateTests: XCTestCase {
  var dirs: [String] = []
  override func tearDown() { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
  func tempDir() -> String {
    let d = NSTemporaryDirectory() + "gust-gen-\(UUID().uuidString)"
    dirs.append(d)
    return d
  }

  func testTinyGraphTablesConfigsAndValues() throws {
    let out = tempDir()
    let s = try SyntheticWriter.generate(scale: .tiny, seed: 3, outputDir: out)
    XCTAssertEqual(s.papers, 300)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".tmp-\(getpid())"))

    let paper = try ParquetFile.open(out + "/nodes/paper.parquet")
    XCTAssertEqual(paper.rowCount, 300)
    let cols = try paper.readAll(columns: ["node_id", "feat", "label_class", "label_reg"])
    XCTAssertEqual(cols[0].values.strings?.prefix(3), ["p0", "p1", "p2"])
    let feat = try cols[1].floatMatrix()
    XCTAssertEqual(feat.width, 64)
    XCTAssertEqual(feat.rows, 300)
    guard case .int64(let classes) = cols[2].values else { return XCTFail("label_class type") }
    XCTAssertEqual(Set(classes), Set(0..<8))

    // Planted communities: most citations stay inside a community.
    let cites = try ParquetFile.open(out + "/edges/paper_citing_paper.parquet").readAll(columns: ["source_id", "dest_id"])
    let src = cites[0].values.strings!.map { Int($0.dropFirst())! }, dst = cites[1].values.strings!.map { Int($0.dropFirst())! }
    let same = zip(src, dst).filter { classes[$0] == classes[$1] }.count
    XCTAssertGreaterThan(Double(same) / Double(src.count), 0.7)
    XCTAssertFalse(zip(src, dst).contains { $0 == $1 }, "no self-citations")
    XCTAssertEqual(Set(zip(src, dst).map { "\($0)-\($1)" }).count, src.count, "no duplicates")
    let cited = try ParquetFile.open(out + "/edges/paper_cited_paper.parquet").readAll(columns: ["source_id", "dest_id"])
    XCTAssertEqual(cited[0].values.strings!, cites[1].values.strings!)

    let writes = try ParquetFile.open(out + "/edges/author_writing_paper.parquet").readAll(columns: ["label_ec", "efeat"])
    XCTAssertEqual(try writes[1].floatMatrix().width, 4)

    // The YAML parses with every task kind; the JSON names the final paths.
    let cfg = try GustConfig.load(path: out + "/train.yaml")
    XCTAssertEqual(cfg.tasks.count, 7)
    XCTAssertEqual(cfg.tasks.map(\.id), [
      "node_classification-paper-label_class", "node_regression-paper-label_reg",
      "link_prediction-paper_citing_paper", "edge_classification-author_writing_paper-label_ec",
      "edge_regression-author_writing_paper-label_er", "reconstruct_node_feat-paper-feat",
      "reconstruct_edge_feat-author_writing_paper-efeat",
    ])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/gconstruct.json"))) as! [String: Any]
    let nodes = json["nodes"] as! [[String: Any]]
    XCTAssertEqual((nodes[0]["files"] as! [String])[0], out + "/nodes/paper.parquet")
  }

  func testSameSeedSameTablesAndExistingOutputRefused() throws {
    let a = tempDir(), b = tempDir()
    try SyntheticWriter.generate(scale: .tiny, seed: 5, outputDir: a)
    try SyntheticWriter.generate(scale: .tiny, seed: 5, outputDir: b)
    for f in ["nodes/paper.parquet", "edges/author_writing_paper.parquet", "train.yaml"] {
      XCTAssertEqual(FileManager.default.contents(atPath: "\(a)/\(f)"), FileManager.default.contents(atPath: "\(b)/\(f)"), f)
    }
    XCTAssertThrowsError(try SyntheticWriter.generate(scale: .tiny, seed: 5, outputDir: a)) {
      XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
    }
  }
}
