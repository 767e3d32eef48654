import Foundation
import XCTest
import Graph
import Parquet
import TestSupport
import Training

/// The toy graph with raw id mappings (authors: int64 ids, papers: strings), trained once for
/// 2 epochs with five tasks (two link-prediction tasks with a normaliser, one DistMult; node
/// regression without a test mask), and helpers to run inference and read outputs with pyarrow.
final class Fixture: @unchecked Sendable {
  let syn: Synthetic
  let ws: String
  let yaml: String
  let checkpoint: String
  let trainLog: [String]

  static let ncID = "node_classification-paper-label_class"
  static let nrID = "node_regression-paper-label_reg"
  static let ecID = "edge_classification-paper_related_paper-label_ec"
  static let lpCites = "link_prediction-paper_cites_paper"
  static let lpRelated = "link_prediction-paper_related_paper"

  static func authorRaw(_ g: Int) -> Int64 { 5000 + 3 * Int64(g) }
  static func paperRaw(_ g: Int) -> String { "p-\(g * 13 + 5)" }

  static let tasks = """
        - node_classification:
            target_ntype: paper
            label_field: label_class
            num_classes: 4
            mask_fields: [m_train, m_val, m_test]
        - node_regression:
            target_ntype: paper
            label_field: label_reg
            mask_fields: [m_train, m_val, null]
        - edge_classification:
            target_etype: ["paper,related,paper"]
            label_field: label_ec
            num_classes: 2
            num_decoder_basis: 4
            mask_fields: [e_train, e_val, e_test]
        - link_prediction:
            train_etype: ["paper,cites,paper"]
            reverse_edge_types_map: ["paper,cites,cited,paper"]
            num_negative_edges: 4
            num_negative_edges_eval: 10
            lp_decoder_type: distmult
            lp_embed_normalizer: l2_norm
            mask_fields: [lp_train, lp_val, lp_test]
        - link_prediction:
            train_etype: ["paper,related,paper"]
            exclude_training_targets: false
            num_negative_edges: 4
            num_negative_edges_eval: 10
            lp_decoder_type: dot_product
            lp_embed_normalizer: l2_norm
            mask_fields: [e_train, e_val, e_test]
    """

  init() throws {
    syn = try Synthetic(papers: 120, authors: 50, parts: 2)
    ws = syn.root + "/ws"
    try FileManager.default.createDirectory(atPath: ws, withIntermediateDirectories: true)
    try Fixture.writeRawIds(syn)
    yaml = syn.root + "/mt.yaml"
    try Synthetic.yaml(epochs: 2, batch: 32, tasks: Fixture.tasks).write(toFile: yaml, atomically: true, encoding: .utf8)
    var lines: [String] = []
    let code = TrainerCommand.main(["--part-config", syn.configPath, "--cf", yaml, "--workspace", ws + "/train", "--local",
                                    "--save-model-path", ws + "/model", "--save-embed-path", ws + "/train-emb"],
                                   print: { lines.append($0) }, printError: { lines.append($0) })
    trainLog = lines
    guard code == 0 else { throw NSError(domain: "training failed: " + lines.joined(separator: "\n"), code: Int(code)) }
    checkpoint = ws + "/model/epoch-1"
  }

  /// `raw_id_mappings/<ntype>/part-00000.parquet` as construction writes them, rows in reverse.
  static func writeRawIds(_ syn: Synthetic) throws {
    let root = (syn.configPath as NSString).deletingLastPathComponent
    for (t, name) in syn.data.ntypes.enumerated() {
      let n = syn.data.numNodes[t]
      let dir = "\(root)/raw_id_mappings/\(name)"
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      let order = Array((0..<n).reversed())
      let orig: ColumnData
      if name == "author" {
        orig = ColumnData(name: "orig", values: .int64(order.map { authorRaw($0) }))
      } else {
        var offsets: [Int32] = [0], bytes: [UInt8] = []
        for g in order { bytes += Array(paperRaw(g).utf8); offsets.append(Int32(bytes.count)) }
        orig = ColumnData(name: "orig", values: .string(offsets: offsets, bytes: bytes))
      }
      let w = try ParquetWriter(path: dir + "/part-00000.parquet",
                                fields: [ParquetWriterField("orig", name == "author" ? .int64 : .string), ParquetWriterField("new", .int64)])
      try w.write([orig, ColumnData(name: "new", values: .int64(order.map { Int64($0) }))])
      try w.close()
    }
  }

  /// Runs `gust-trainer --local --inference` in-process; (exit code, every printed line).
  func infer(_ name: String, _ extra: [String], checkpoint: String? = nil, yaml: String? = nil) -> (Int32, [String]) {
    var lines: [String] = []
    var args = ["--part-config", syn.configPath, "--cf", yaml ?? self.yaml, "--workspace", ws + "/" + name, "--local", "--inference"]
    let c = checkpoint ?? self.checkpoint
    if !c.isEmpty { args += ["--restore-model-path", c] }
    let code = TrainerCommand.main(args + extra, print: { lines.append($0) }, printError: { lines.append($0) })
    return (code, lines)
  }

  // MARK: Python

  func python() throws -> String {
    guard let p = Interop.pythonWithPyarrow() else {
      XCTFail("no python with pyarrow (make venv creates .venv-interop)")
      throw XCTSkip("no pyarrow")
    }
    return p
  }

  @discardableResult
  func run(_ exe: String, _ args: [String]) throws -> String { try Interop.run(exe, args) }

  /// Every output file under `dir` read by pyarrow (`.parquet`) or Python's csv module (`.csv`):
  /// relative path → column → values (vectors as lists, ids as int or str).
  static let reader = """
    import sys, os, json, csv
    import pyarrow.parquet as pq
    root = sys.argv[1]
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)
            if f.endswith(".parquet"):
                out[rel] = pq.read_table(p).to_pydict()
            elif f.endswith(".csv"):
                with open(p, newline="") as fh:
                    rows = list(csv.reader(fh))
                cols = {name: [] for name in rows[0]}
                for r in rows[1:]:
                    for name, cell in zip(rows[0], r):
                        if name in ("emb", "pred"):
                            v = [float(x) for x in cell.split(";")] if ";" in cell else float(cell)
                        else:
                            try:
                                v = int(cell)
                            except ValueError:
                                v = cell
                        cols[name].append(v)
                out[rel] = cols
    json.dump(out, sys.stdout)
    """

  func readOutputs(_ dir: String) throws -> [String: [String: [Any]]] {
    let script = syn.root + "/read_outputs.py"
    try Self.reader.write(toFile: script, atomically: true, encoding: .utf8)
    let text = try run(try python(), [script, dir])
    let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: [String: Any]]
    return o.mapValues { $0.mapValues { $0 as! [Any] } }
  }
}

/// A node or edge id as the outputs spell it (int64 or string), for sets and maps.
func key(_ v: Any) -> String {
  if let s = v as? String { return "s:" + s }
  if let n = v as? NSNumber { return "i:" + n.stringValue }
  return "?\(v)"
}

func floats(_ v: Any) -> [Float] {
  if let a = v as? [NSNumber] { return a.map { $0.floatValue } }
  if let n = v as? NSNumber { return [n.floatValue] }
  return []
}
