import Foundation
import XCTest
import Graph
import TestSupport

/// The real `gust` binary: exit codes, messages on stderr, nothing left behind on failure.
final class CommandTests: ConstructTestCase {
  /// The most recently built `gust` under the package root (`.build-construct` or `.build`).
  func gustBinary() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let fm = FileManager.default
    var best: (String, Date)?
    // Next to the running test bundle first (any --scratch-path).
    let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path + "/gust"
    if let d = (try? fm.attributesOfItem(atPath: own))?[.modificationDate] as? Date { best = (own, d) }
    for scratch in [".build-construct", ".build"] {
      for config in ["debug", "release"] {
        let p = "\(root)/\(scratch)/\(config)/gust"
        if let d = (try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date, best == nil || d > best!.1 { best = (p, d) }
      }
    }
    guard let best else { throw XCTSkip("no built gust binary under \(root)/.build-construct or .build (run swift build first)") }
    return best.0
  }

  func run(_ args: [String], cwd: String) throws -> (code: Int32, stdout: String, stderr: String) {
    try Interop.capture(try gustBinary(), args, cwd: cwd)
  }

  func inputs() -> String {
    let dir = tempDir()
    write(dir, "n.csv", "id,x\na,1\nb,2\nc,3\n")
    write(dir, "e.csv", "s,d\na,b\nb,c\n")
    write(dir, "conf.json", """
      {"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": "n.csv", "node_id_col": "id",
                  "features": [{"feature_col": "x"}]}],
       "edges": [{"relation": ["n", "r", "n"], "format": {"name": "csv"}, "files": "e.csv", "source_id_col": "s", "dest_id_col": "d"}]}
      """)
    return dir
  }

  func assertNothingLeft(_ dir: String, file: StaticString = #filePath, line: UInt = #line) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    XCTAssertFalse(names.contains { $0.hasPrefix("out") }, "left behind: \(names)", file: file, line: line)
  }

  func testSuccessExitsZero() throws {
    let dir = inputs()
    let r = try run(["construct", "--conf-file", "conf.json", "--output-dir", "out", "--graph-name", "g", "--num-parts", "2"], cwd: dir)
    XCTAssertEqual(r.code, 0, r.stderr)
    XCTAssert(r.stdout.contains("wrote g: 3 nodes, 2 edges, 2 partition(s)"), r.stdout)
    XCTAssert(FileManager.default.fileExists(atPath: dir + "/out/g.json"))
    XCTAssert(FileManager.default.fileExists(atPath: dir + "/out/data_transform_new.json"))
  }

  func testBadInputExitsTwoAndLeavesNoFolder() throws {
    let cases: [(setup: (String) -> Void, args: [String], message: String)] = [
      ({ _ in }, ["--num-parts", "4"], "--num-parts: 4 partitions for a graph of 3 nodes"),
      ({ self.write($0, "n.csv", "id,x\na,1\nb,2\na,3\n") }, [], "n.csv, row 3: duplicate node id 'a' of node type 'n': also in n.csv, row 1"),
      ({ self.write($0, "e.csv", "s,d\na,b\nb,zz\n") }, [], "e.csv, row 2: edge endpoint 'zz'"),
      ({ try? FileManager.default.removeItem(atPath: $0 + "/e.csv") }, [], "e.csv, key 'edges[0].files': the input file does not exist"),
      ({ self.write($0, "n.csv", "id,x\na,1\nb,nan\nc,3\n") }, [], "n.csv, row 2, key 'nodes[0]': feature column 'x' holds NaN"),
      ({ _ in }, ["--part-method", "spectral"], "--part-method: 'spectral' is not metis or random"),
    ]
    for c in cases {
      let dir = inputs()
      c.setup(dir)
      let r = try run(["construct", "--conf-file", "conf.json", "--output-dir", "out", "--graph-name", "g"] + c.args, cwd: dir)
      XCTAssertEqual(r.code, 2, "\(c.message): \(r.stderr)")
      XCTAssert(r.stderr.contains(c.message), "stderr: \(r.stderr) lacks \(c.message)")
      assertNothingLeft(dir)
    }
  }

  func testUnknownCommandsAndMissingArgumentsExitTwo() throws {
    var r = try run(["reshard"], cwd: NSTemporaryDirectory())
    XCTAssertEqual(r.code, 2)
    XCTAssert(r.stderr.contains("'reshard' is not available"), r.stderr)
    r = try run(["remap", "--part-config"], cwd: NSTemporaryDirectory())
    XCTAssertEqual(r.code, 2)
    XCTAssert(r.stderr.contains("--part-config needs a value"), r.stderr)
  }

  /// `gust generate` through the real binary, then `gust construct` of what it wrote.
  func testGenerateThenConstruct() throws {
    let dir = NSTemporaryDirectory() + "gust-gen-cmd-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var r = try run(["generate", "--scale", "tiny", "--output-dir", "data", "--seed", "1"], cwd: dir)
    XCTAssertEqual(r.code, 0, r.stderr)
    r = try run(["construct", "--conf-file", "data/gconstruct.json", "--output-dir", "graph", "--graph-name", "acm",
                 "--num-parts", "2"], cwd: dir)
    XCTAssertEqual(r.code, 0, r.stderr)
    let c = try PartitionConfig.load(path: dir + "/graph/acm.json")
    XCTAssertEqual(c.ntypes.sorted(), ["author", "paper", "subject"])
    XCTAssertEqual(c.etypes.count, 6)
    XCTAssertEqual(c.numNodes(ofType: c.ntypeId("paper")!), 300)
    r = try run(["generate", "--scale", "huge", "--output-dir", "x"], cwd: dir)
    XCTAssertEqual(r.code, 2)
    XCTAssert(r.stderr.contains("--scale 'huge'"), r.stderr)
  }
}
