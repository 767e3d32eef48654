import Foundation
import XCTest
import Config
import Graph
import TestSupport
@testable import Outputs
import Collective
@testable import Training

/// `gust infer`'s outputs read back by pyarrow and Python's csv module (SPEC §5): ids, values,
/// the accuracy recomputed from the files, CSV and remapped copies equal to the Parquet run, and
/// the bad inputs.
final class InferenceOutputTests: XCTestCase {
  nonisolated(unsafe) static var fixture: Fixture!
  nonisolated(unsafe) static var setupError: String?
  override class func setUp() {
    do { fixture = try Fixture() } catch { setupError = "\(error)" }
  }
  override class func tearDown() { fixture?.syn.remove() }

  var f: Fixture {
    get throws {
      if let e = Self.setupError { XCTFail("fixture failed: \(e)"); throw XCTSkip("fixture failed") }
      return Self.fixture
    }
  }

  /// Node type `t`'s raw ids by global id.
  func rawIds(_ f: Fixture, _ t: Int) throws -> [Int64: String] {
    let g = try PartitionConfig.load(path: f.syn.configPath)
    let ids = NodeIds(partConfigPath: f.syn.configPath, config: g, keepIntegerIds: true)
    var out: [Int64: String] = [:]
    for r in g.nodeMap[t] {
      var col = ColumnBuffer("nid", .int64)
      let globals = Array(r.start..<r.end)
      try ids.append(ntype: t, globalIds: globals, to: &col)
      for (k, gid) in col.ints.enumerated() {
        out[globals[k]] = g.ntypes[t] == "author" ? "i:\(Fixture.authorRaw(Int(gid)))" : "s:" + Fixture.paperRaw(Int(gid))
      }
    }
    return out
  }

  /// Rows of every file under `dir/<sub>`: nid key → values of `column`.
  func rows(_ out: [String: [String: [Any]]], under sub: String, id: String = "nid", column: String) -> [String: [Float]] {
    var m: [String: [Float]] = [:]
    for (path, cols) in out where path.hasPrefix(sub + "/") && !path.hasSuffix(".json") && (path as NSString).deletingLastPathComponent == sub {
      guard let ids = cols[id], let vals = cols[column] else { continue }
      for (i, v) in zip(ids, vals) {
        XCTAssertNil(m[key(i)], "\(key(i)) twice under \(sub)")
        m[key(i)] = floats(v)
      }
    }
    return m
  }

  func testEmbeddingsAndPredictionsReadByPyarrow() throws {
    let f = try f
    let (code, log) = f.infer("infer", ["--save-embed-path", f.ws + "/emb", "--save-prediction-path", f.ws + "/pred"])
    XCTAssertEqual(code, 0, log.joined(separator: "\n"))
    XCTAssertTrue(log.contains { $0.contains("warning") && $0.contains(Fixture.nrID) && $0.contains("test") }, "null test mask warning")
    let emb = try f.readOutputs(f.ws + "/emb"), pred = try f.readOutputs(f.ws + "/pred")
    let g = try PartitionConfig.load(path: f.syn.configPath)
    let access = try LocalGraphAccess(configPath: f.syn.configPath)

    // Every node of every type exactly once, with raw ids; rows equal the trainer's embedding.
    let config = try GustConfig.load(path: f.yaml, overrides: ConfigOverrides.parse(["--restore-model-path", f.checkpoint]), mode: .infer)
    let plan = try TrainingPlan.make(config: config, graph: g, mode: .infer)
    access.addEmbeddings(ntypes: plan.embeddingTypes, width: plan.encoder.embeddingSize, seed: 0, lr: 0)
    var o = RunOptions()
    o.print = { _ in }
    let trainer = try Trainer(plan: plan, graph: access, options: o, inference: true)
    try trainer.restore(from: f.checkpoint)
    for (t, name) in g.ntypes.enumerated() {
      let raw = try rawIds(f, t)
      let shared = rows(emb, under: name, column: "emb")
      XCTAssertEqual(Set(shared.keys), Set(raw.values), name)
      XCTAssertEqual(shared.count, g.numNodes(ofType: t))
      for gid in raw.keys.sorted().prefix(5) {
        let mine = try trainer.nodeEmbeddings(ntype: t, ids: [gid])
        let row = shared[raw[gid]!]!
        XCTAssertEqual(row.count, 16)
        for j in 0..<16 { XCTAssertEqual(row[j], mine[j], accuracy: 1e-5 * max(1, abs(mine[j])), "\(name) \(gid)[\(j)]") }
      }
      // The normalised copy of each LP task, side by side (not nested), unit rows.
      for task in [Fixture.lpCites, Fixture.lpRelated] {
        let n = rows(emb, under: task + "/" + name, column: "emb")
        XCTAssertEqual(Set(n.keys), Set(shared.keys), task)
        for (k, v) in n.prefix(10) {
          let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
          XCTAssertEqual(norm, 1, accuracy: 1e-4)
          let s = shared[k]!, sn = s.reduce(0) { $0 + $1 * $1 }.squareRoot()
          for j in 0..<16 { XCTAssertEqual(v[j], s[j] / sn, accuracy: 1e-5) }
        }
      }
    }
    let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.ws + "/emb/emb_info.json"))) as! [String: Any]
    XCTAssertEqual(info["emb_name"] as? [String], g.ntypes)
    XCTAssertEqual(info["world_size"] as? Int, 1)
    XCTAssertTrue(FileManager.default.fileExists(atPath: f.ws + "/emb/\(Fixture.lpCites)/emb_info.json"))
    XCTAssertTrue(FileManager.default.fileExists(atPath: f.ws + "/emb/\(Fixture.lpCites)/relation2id_map.json"))
    let rel = emb.first { $0.key.hasPrefix(Fixture.lpCites + "/rel_emb") }
    XCTAssertEqual(rel?.value["emb"]?.count, g.etypes.count, "DistMult relation rows")
    XCTAssertNil(emb.first { $0.key.hasPrefix(Fixture.lpRelated + "/rel_emb") }, "dot product has no relation table")

    // Node classification: the test-mask papers; accuracy from the files = the logged one.
    let paperT = g.ntypeId("paper")!
    let paperRaw = try rawIds(f, paperT)
    let testMask = f.syn.data.nodeFields[paperT].first { $0.info.name == "m_test" }!.data
    guard case .u8(let tm) = testMask else { return XCTFail() }
    let nc = rows(pred, under: Fixture.ncID + "/paper", column: "pred")
    XCTAssertEqual(Set(nc.keys), Set((0..<tm.count).filter { tm[$0] != 0 }.map { "s:" + Fixture.paperRaw($0) }))
    var correct = 0
    for (k, p) in nc {
      XCTAssertEqual(p.count, 4)
      XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5)
      let graphId = (0..<tm.count).first { "s:" + Fixture.paperRaw($0) == k }!
      let argmax = p.indices.max { p[$0] < p[$1] }!
      if argmax == f.syn.paperCommunity[graphId] { correct += 1 }
    }
    let logged = try metric(f.ws + "/infer/metrics.jsonl", task: Fixture.ncID, metric: "accuracy")
    XCTAssertEqual(Double(correct) / Double(nc.count), logged, accuracy: 1e-12)
    // Node regression has no test mask: every paper predicted, not scored.
    let nr = rows(pred, under: Fixture.nrID + "/paper", column: "pred")
    XCTAssertEqual(Set(nr.keys), Set(paperRaw.values))
    XCTAssertThrowsError(try metric(f.ws + "/infer/metrics.jsonl", task: Fixture.nrID, metric: "rmse"))
    // Edge classification: test-mask edges with both endpoints' raw ids.
    let ecFile = pred.first { $0.key.hasPrefix(Fixture.ecID + "/paper_related_paper/pred.predict-00000_") }!.value
    let ecTest = f.syn.data.edgeFields[f.syn.data.etypes.firstIndex { $0.rel == "related" }!].first { $0.info.name == "e_test" }!.data
    guard case .u8(let em) = ecTest else { return XCTFail() }
    XCTAssertEqual(ecFile["src_nid"]?.count, em.filter { $0 != 0 }.count)
    XCTAssertEqual(Set(ecFile["src_nid"]!.map(key)).isSubset(of: Set(paperRaw.values)), true)
    XCTAssertEqual(floats(ecFile["pred"]![0]).count, 2)
    for id in [Fixture.ncID, Fixture.nrID, Fixture.ecID] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: "\(f.ws)/pred/\(id)/result_info.json"), id)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(f.ws)/pred/\(Fixture.lpCites)"), "no LP predictions")
  }

  /// Edge prediction rows under `sub` as sorted "src|dst|pred" lines (pairs may repeat).
  func edgeRows(_ out: [String: [String: [Any]]], under sub: String) -> [String] {
    var lines: [String] = []
    for (path, cols) in out where (path as NSString).deletingLastPathComponent == sub {
      guard let s = cols["src_nid"], let d = cols["dst_nid"], let p = cols["pred"] else { continue }
      for i in s.indices { lines.append("\(key(s[i]))|\(key(d[i]))|\(floats(p[i]))") }
    }
    return lines.sorted()
  }

  func metric(_ path: String, task: String, metric: String) throws -> Double {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    for line in text.split(separator: "\n") {
      let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      if o["kind"] as? String == "eval", o["task_id"] as? String == task, o["metric"] as? String == metric {
        return (o["value"] as! NSNumber).doubleValue
      }
    }
    throw NSError(domain: "no eval line for \(task) \(metric)", code: 1)
  }

  func testCSVChunksAndIntegerIdsRemapMatchParquet() throws {
    let f = try f
    XCTAssertEqual(f.infer("p", ["--save-embed-path", f.ws + "/p-emb", "--save-prediction-path", f.ws + "/p-pred", "--no-validation"]).0, 0)
    let (code, log) = f.infer("c", ["--save-embed-path", f.ws + "/c-emb", "--save-prediction-path", f.ws + "/c-pred",
                                    "--output-format", "csv", "--output-chunk-size", "25", "--no-validation"])
    XCTAssertEqual(code, 0, log.joined(separator: "\n"))
    let (kcode, klog) = f.infer("k", ["--save-embed-path", f.ws + "/k-emb", "--save-prediction-path", f.ws + "/k-pred",
                                      "--keep-integer-ids", "--no-validation"])
    XCTAssertEqual(kcode, 0, klog.joined(separator: "\n"))
    let pe = try f.readOutputs(f.ws + "/p-emb"), ce = try f.readOutputs(f.ws + "/c-emb")
    let pp = try f.readOutputs(f.ws + "/p-pred"), cp = try f.readOutputs(f.ws + "/c-pred")
    XCTAssertTrue(ce.keys.allSatisfy { !$0.hasSuffix(".parquet") })
    XCTAssertGreaterThan(ce.keys.filter { $0.hasPrefix("paper/embed-00000_") }.count, 1, "chunks of 25 rows")
    for (path, cols) in ce where path.hasSuffix(".csv") { XCTAssertLessThanOrEqual(cols["nid"]?.count ?? cols["src_nid"]?.count ?? 0, 25, path) }
    for sub in ["paper", "author", Fixture.lpCites + "/paper"] {
      XCTAssertEqual(rows(ce, under: sub, column: "emb"), rows(pe, under: sub, column: "emb"), sub)
    }
    XCTAssertEqual(rows(cp, under: Fixture.ncID + "/paper", column: "pred"), rows(pp, under: Fixture.ncID + "/paper", column: "pred"))
    XCTAssertEqual(rows(cp, under: Fixture.nrID + "/paper", column: "pred"), rows(pp, under: Fixture.nrID + "/paper", column: "pred"))
    // The no-validation run still predicts the test mask's papers.
    XCTAssertFalse(rows(pp, under: Fixture.ncID + "/paper", column: "pred").isEmpty)

    // Integer ids: graph ids; `gust remap` turns them into the Parquet run's raw ids.
    let ke = try f.readOutputs(f.ws + "/k-emb")
    XCTAssertTrue(rows(ke, under: "paper", column: "emb").keys.allSatisfy { $0.hasPrefix("i:") })
    let remap = try Remap(partConfigPath: f.syn.configPath, log: { _ in })
    XCTAssertGreaterThan(try remap.run(embedPath: f.ws + "/k-emb", predictionPath: f.ws + "/k-pred"), 0)
    let re = try f.readOutputs(f.ws + "/k-emb"), rp = try f.readOutputs(f.ws + "/k-pred")
    for sub in ["paper", "author", Fixture.lpRelated + "/author"] {
      XCTAssertEqual(rows(re, under: sub, column: "emb"), rows(pe, under: sub, column: "emb"), sub)
    }
    let ec = Fixture.ecID + "/paper_related_paper"
    XCTAssertEqual(edgeRows(rp, under: ec), edgeRows(pp, under: ec))
    XCTAssertEqual(edgeRows(cp, under: ec), edgeRows(pp, under: ec))
    XCTAssertFalse(edgeRows(pp, under: ec).isEmpty)
    XCTAssertEqual(try remap.run(embedPath: f.ws + "/k-emb", predictionPath: nil), 0, "already raw: left alone")
  }

  /// `inferAndSave` on `W` ranks at once (threads, an in-memory communicator group), each
  /// with its own graph copy; every rank's returned test metrics.
  func inferOnRanks(_ f: Fixture, _ name: String, worldSize W: Int) throws -> [[String: [EvalMetric: (val: Double?, test: Double?)]]] {
    let g = try PartitionConfig.load(path: f.syn.configPath)
    let comms = InMemoryGroup.make(worldSize: W)
    typealias Metrics = [String: [EvalMetric: (val: Double?, test: Double?)]]
    final class Box: @unchecked Sendable {
      var out: [Result<Metrics, Error>?]
      let body: (Int) throws -> Metrics
      let done = DispatchSemaphore(value: 0)
      init(_ w: Int, _ body: @escaping (Int) throws -> Metrics) { out = Array(repeating: nil, count: w); self.body = body }
      func run(_ r: Int) { out[r] = Result { try body(r) }; done.signal() }
    }
    let box = Box(W) { rank in
      let overrides = try ConfigOverrides.parse(["--restore-model-path", f.checkpoint, "--save-embed-path", f.ws + "/\(name)-emb",
                                                 "--save-prediction-path", f.ws + "/\(name)-pred", "--eval-batch-size", "7"])
      let config = try GustConfig.load(path: f.yaml, overrides: overrides, mode: .infer)
      let plan = try TrainingPlan.make(config: config, graph: g, mode: .infer)
      let access = try LocalGraphAccess(configPath: f.syn.configPath)
      access.addEmbeddings(ntypes: plan.embeddingTypes, width: plan.encoder.embeddingSize, seed: 0, lr: 0)
      var o = RunOptions()
      o.rank = rank
      o.worldSize = W
      o.partConfigPath = f.syn.configPath
      o.print = { _ in }
      let reducer: GradientReducer = W == 1 ? IdentityReducer() : CollectiveReducer(comms[rank])
      return try Trainer(plan: plan, graph: access, options: o, reducer: reducer, inference: true).inferAndSave()
    }
    let threads = (0..<W).map { r in Thread { box.run(r) } }
    for t in threads { t.stackSize = 8 << 20; t.start() }
    for _ in 0..<W { box.done.wait() }
    return try box.out.map { try $0!.get() }
  }

  /// Ranks 0 and 1 of 2 running together (threads over an in-memory communicator group) write
  /// the rows of a one-rank run with the same values, each rank its own files, and both return
  /// the one-rank test metrics — node and edge tasks from their predictions, link prediction
  /// (random negatives) from its global batches — up to float order.
  func testTwoRanksWriteTheSameRowsAsOne() throws {
    let f = try f
    let one = try inferOnRanks(f, "one", worldSize: 1)[0]
    let twoRanks = try inferOnRanks(f, "two", worldSize: 2)
    XCTAssertNotNil(one[Fixture.lpCites]?[.mrr]?.test ?? nil, "link prediction is scored")
    XCTAssertNotNil(one[Fixture.ncID]?[.accuracy]?.test ?? nil, "node classification is scored")
    for r in 0..<2 {
      XCTAssertEqual(Set(twoRanks[r].keys), Set(one.keys), "rank \(r)")
      for (id, m) in one {
        for (metric, v) in m {
          XCTAssertEqual(twoRanks[r][id]?[metric]?.test ?? -1, v.test ?? -2, accuracy: 1e-6, "\(id) \(metric), rank \(r)")
          XCTAssertEqual(twoRanks[r][id]?[metric]?.test ?? -1, twoRanks[0][id]?[metric]?.test ?? -2, "\(id) \(metric): ranks agree exactly")
        }
      }
    }
    let e1 = try f.readOutputs(f.ws + "/one-emb"), e2 = try f.readOutputs(f.ws + "/two-emb")
    XCTAssertTrue(e2.keys.contains { $0.hasPrefix("paper/embed-00001_") } && e2.keys.contains { $0.hasPrefix("paper/embed-00000_") })
    for sub in ["paper", "author", Fixture.lpCites + "/paper"] {
      let a = rows(e1, under: sub, column: "emb"), b = rows(e2, under: sub, column: "emb")
      XCTAssertEqual(Set(a.keys), Set(b.keys), sub)
      XCTAssertFalse(a.isEmpty, sub)
      for (k, v) in a { for j in v.indices { XCTAssertEqual(v[j], b[k]![j], accuracy: 1e-5, "\(sub) \(k)") } }
    }
    let p1 = try f.readOutputs(f.ws + "/one-pred"), p2 = try f.readOutputs(f.ws + "/two-pred")
    XCTAssertTrue(p2.keys.contains { $0.hasPrefix(Fixture.ncID + "/paper/pred.predict-00001_") })
    for sub in [Fixture.ncID + "/paper", Fixture.nrID + "/paper"] {
      let a = rows(p1, under: sub, column: "pred"), b = rows(p2, under: sub, column: "pred")
      XCTAssertEqual(Set(a.keys), Set(b.keys), sub)
      XCTAssertFalse(a.isEmpty, sub)
      for (k, v) in a { for j in v.indices { XCTAssertEqual(v[j], b[k]![j], accuracy: 1e-5, "\(sub) \(k)") } }
    }
    XCTAssertEqual(edgeRows(p1, under: Fixture.ecID + "/paper_related_paper").count, edgeRows(p2, under: Fixture.ecID + "/paper_related_paper").count)
    let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.ws + "/two-emb/emb_info.json"))) as! [String: Any]
    XCTAssertEqual(info["world_size"] as? Int, 2)
  }

  func testTrainWithSaveEmbedPathWritesEveryNode() throws {
    let f = try f
    let out = try f.readOutputs(f.ws + "/train-emb")
    let g = try PartitionConfig.load(path: f.syn.configPath)
    for (t, name) in g.ntypes.enumerated() {
      XCTAssertEqual(Set(rows(out, under: name, column: "emb").keys), Set(try rawIds(f, t).values), name)
    }
    XCTAssertTrue(f.trainLog.contains { $0.contains("embeddings of the best model") }, f.trainLog.joined(separator: "\n"))
  }

  func testBadInputs() throws {
    let f = try f
    // No checkpoint: an error, not random weights.
    var (code, log) = f.infer("bad1", ["--save-embed-path", f.ws + "/bad-emb"], checkpoint: "")
    XCTAssertEqual(code, 2)
    XCTAssertTrue(log.joined().contains("restore_model_path"), log.joined(separator: "\n"))
    // Tasks that differ from the checkpoint's: both sides named.
    let other = f.syn.root + "/other.yaml"
    try Synthetic.yaml(epochs: 1, batch: 32, tasks: Synthetic.nc + "\n" + Synthetic.er).write(toFile: other, atomically: true, encoding: .utf8)
    (code, log) = f.infer("bad2", [], yaml: other)
    XCTAssertEqual(code, 2)
    let text = log.joined(separator: "\n")
    XCTAssertTrue(text.contains("edge_regression-paper_related_paper-label_er"), text)
    XCTAssertTrue(text.contains(Fixture.lpCites) && text.contains(Fixture.ecID), text)
    XCTAssertTrue(text.contains("missing") && text.contains("not in the YAML"), text)
    // A corrupt checkpoint: one flipped byte in model.bin.
    let bad = f.ws + "/model-corrupt"
    try? FileManager.default.removeItem(atPath: bad)
    try FileManager.default.copyItem(atPath: f.checkpoint, toPath: bad)
    var bytes = try Data(contentsOf: URL(fileURLWithPath: bad + "/model.bin"))
    bytes[bytes.count / 2] ^= 0x40
    try bytes.write(to: URL(fileURLWithPath: bad + "/model.bin"))
    (code, log) = f.infer("bad3", [], checkpoint: bad)
    XCTAssertEqual(code, 2)
    XCTAssertTrue(log.joined().contains("checksum"), log.joined(separator: "\n"))
    // An output path that is a file.
    let file = f.ws + "/a-file"
    try Data("x".utf8).write(to: URL(fileURLWithPath: file))
    (code, log) = f.infer("bad4", ["--save-embed-path", file])
    XCTAssertEqual(code, 2)
    XCTAssertTrue(log.joined().contains("is a file"), log.joined(separator: "\n"))
    (code, log) = f.infer("bad5", ["--save-prediction-path", file + "/sub"])
    XCTAssertEqual(code, 2)
    XCTAssertTrue(log.joined().contains("is a file"), log.joined(separator: "\n"))
  }
}
