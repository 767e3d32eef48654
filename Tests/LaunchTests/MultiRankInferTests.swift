import Foundation
import TestSupport
import XCTest

/// `gust infer --num-trainers 1` and `--num-trainers 2` (real servers, real trainer processes on
/// a TCP ring) write the same rows with the same values — read back by pyarrow — and log the
/// same test metrics; `gust train --num-trainers 2 --save-embed-path` writes every node once.
extension LaunchProcessTests {
  /// A python with pyarrow: `GUST_PYTHON`, the package's `.venv-interop`, or the system's.
  func pyarrowPython() throws -> String {
    guard let p = Interop.pythonWithPyarrow() else { throw XCTSkip("no python with pyarrow (make venv creates .venv-interop)") }
    return p
  }

  /// Compares every Parquet output under two folders: per sub-folder, the rows keyed by their id
  /// columns (each key once), the value columns within 1e-5; prints `ok <rows> <files>`.
  static let compareScript = #"""
import sys, os, glob, pyarrow.parquet as pq
def load(root):
    out = {}
    for path in glob.glob(os.path.join(root, "**", "*.parquet"), recursive=True):
        sub = os.path.relpath(os.path.dirname(path), root)
        t = pq.read_table(path).to_pydict()
        keys = [c for c in ("nid", "src_nid", "dst_nid", "rel_id") if c in t]
        vals = [c for c in t if c not in keys and c != "etype"]
        rows = out.setdefault(sub, {})
        for i in range(len(t[keys[0]])):
            k = tuple(t[c][i] for c in keys)
            if k in rows: sys.exit("%s: %s twice in %s" % (root, k, sub))
            rows[k] = [t[c][i] for c in vals]
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
if set(a) != set(b): sys.exit("folders differ: %s vs %s" % (sorted(a), sorted(b)))
n = 0
def flat(v): return [float(x) for x in (v if isinstance(v, list) else [v])]
for sub in a:
    if set(a[sub]) != set(b[sub]): sys.exit("%s: row sets differ (%d vs %d rows)" % (sub, len(a[sub]), len(b[sub])))
    for k, va in a[sub].items():
        for x, y in zip(va, b[sub][k]):
            fx, fy = flat(x), flat(y)
            if len(fx) != len(fy) or any(abs(p - q) > 1e-5 * max(1.0, abs(p)) for p, q in zip(fx, fy)):
                sys.exit("%s %s: %s vs %s" % (sub, k, x, y))
        n += 1
print("ok", n, len(a))
"""#

  /// `kind: eval` lines of a metrics file: "task metric split" → value.
  func evalLines(_ path: String) throws -> [String: Double] {
    var out: [String: Double] = [:]
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
      let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      guard o["kind"] as? String == "eval", let v = o["value"] as? Double else { continue }
      out["\(o["task_id"]!) \(o["metric"]!) \(o["split"]!)"] = v
    }
    return out
  }

  func testInferWithOneAndTwoTrainersWritesTheSameRowsAndMetrics() throws {
    let python = try pyarrowPython()
    // Two trainers train and write the best model's embeddings, each rank its share.
    let trainEmb = workspace + "/train-emb"
    let t = try Gust.run(train(["--num-trainers", "2", "--num-epochs", "1", "--save-model-path", workspace + "/model",
                                "--save-embed-path", trainEmb]), in: Self.root)
    XCTAssertEqual(t.code, 0, t.all)
    XCTAssertTrue(t.out.contains("embeddings of the best model"), t.all)
    XCTAssertTrue(FileManager.default.fileExists(atPath: trainEmb + "/paper/embed-00001_00000.parquet"))
    var runs: [String: [String: Double]] = [:]
    for n in [1, 2] {
      let ws = workspace + "/infer-\(n)"
      let i = try Gust.run(["infer", "--part-config", graph, "--cf", yaml, "--workspace", ws, "--num-trainers", "\(n)",
                            "--restore-model-path", workspace + "/model/epoch-0", "--save-embed-path", ws + "/emb",
                            "--save-prediction-path", ws + "/pred", "--eval-batch-size", "16"], in: Self.root)
      XCTAssertEqual(i.code, 0, i.all)
      runs["\(n)"] = try evalLines(ws + "/metrics.jsonl")
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: workspace + "/infer-2/emb/paper/embed-00001_00000.parquet"))
    let m1 = runs["1"]!, m2 = runs["2"]!
    XCTAssertEqual(Set(m1.keys), Set(m2.keys))
    XCTAssertTrue(m1.keys.contains { $0.hasPrefix("link_prediction") && $0.contains("mrr") }, "\(m1)")
    for (k, v) in m1 { XCTAssertEqual(m2[k] ?? -1, v, accuracy: 1e-5 * max(1, abs(v)), k) }
    let script = workspace + "/compare.py"
    try Self.compareScript.write(toFile: script, atomically: true, encoding: .utf8)
    // The same rows and values from 1 and 2 inference ranks, and from the 2 training ranks'
    // embeddings of their best (here: the only) checkpoint.
    for (kind, a, b) in [("emb", "/infer-1/emb", "/infer-2/emb"), ("pred", "/infer-1/pred", "/infer-2/pred"),
                         ("train emb", "/infer-1/emb", "/train-emb")] {
      let p = Process(), pipe = Pipe()
      p.executableURL = URL(fileURLWithPath: python)
      p.arguments = [script, workspace + a, workspace + b]
      p.standardOutput = pipe
      p.standardError = pipe
      try p.run()
      let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      XCTAssertEqual(p.terminationStatus, 0, "\(kind): \(out)")
      XCTAssertTrue(out.hasPrefix("ok "), out)
      let rows = Int(out.split(separator: " ")[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
      XCTAssertGreaterThan(rows, 10, "\(kind): \(out)")
    }
  }
}
