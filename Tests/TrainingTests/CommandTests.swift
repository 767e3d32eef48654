import Foundation
import XCTest
import Config
@testable import Training

final class CommandTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic(papers: 80, authors: 20) }
  override class func tearDown() { graph.remove() }

  func run(_ args: [String]) -> (code: Int32, out: [String], err: [String]) {
    var out: [String] = [], err: [String] = []
    let cwd = FileManager.default.currentDirectoryPath
    defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
    let code = TrainerCommand.main(args, print: { out.append($0) }, printError: { err.append($0) })
    return (code, out, err)
  }

  func testFlagsAndExitCodes() throws {
    let s = Self.graph!
    let yaml = s.root + "/t.yaml"
    try Synthetic.yaml(epochs: 1, tasks: [Synthetic.nc, Synthetic.nr].joined(separator: "\n")).write(toFile: yaml, atomically: true, encoding: .utf8)
    let base = ["--part-config", s.configPath, "--cf", yaml]
    // Parsing.
    let c = try TrainerCommand.parse(base + ["--local", "--rank", "0", "--world-size", "2", "--seed=7", "--num-epochs", "3",
                                             "--ring-peers", "127.0.0.1:0,127.0.0.1:0", "--ring-dir", "/tmp/r", "--secret-file", "/s",
                                             "--task", "node_regression-paper-label_reg.task_weight=2"])
    XCTAssertEqual(c.worldSize, 2)
    XCTAssertEqual(c.ringPeers, ["127.0.0.1:0", "127.0.0.1:0"])
    XCTAssertEqual(c.seed, 7)
    XCTAssertNil(c.shmTag)  // derived from --ring-dir when the rank connects
    XCTAssertEqual(try TrainerCommand.parse(base + ["--local", "--shm-tag", "0a1b"]).shmTag, "0a1b")
    XCTAssertEqual(c.samplingPipeline, RunOptions.samplingPipelineDefault)
    XCTAssertFalse(try TrainerCommand.parse(base + ["--local", "--no-sampling-pipeline"]).samplingPipeline)
    XCTAssertEqual(try TrainerCommand.parse(base + ["--local", "--no-sampling-pipeline"]).overrideArgs, [])
    XCTAssertEqual(c.overrideArgs, ["--num-epochs", "3", "--task", "node_regression-paper-label_reg.task_weight=2"])
    // Bad input: exit 2 with a message naming the flag, key or file.
    for (args, needle) in [
      (["--cf", yaml, "--local"], "--part-config"),
      (base + ["--local", "--rank", "2", "--world-size", "2"], "--rank"),
      (base + ["--local", "--shm-tag", "Job-1"], "--shm-tag"),
      (base + ["--local", "--rank", "1", "--world-size", "2"], "--ring-peers"),
      (base + ["--local", "--world-size", "2", "--ring-peers", "127.0.0.1:0,127.0.0.1:0", "--secret-file", "/s"], "--ring-dir"),
      (base + ["--local", "--world-size", "2", "--ring-peers", "127.0.0.1:7,127.0.0.1:8"], "--secret-file"),
      (base, "--local"),
      (base + ["--servers-file", "/x", "--secret-file", "/y"], "not available in this build"),
      (base + ["--local", "--num-epoch", "3"], "--num-epochs"),
      (base + ["--local", "--task", "nope.task_weight=2"], "nope"),
      (["--part-config", s.root + "/missing.json", "--cf", yaml, "--local"], "missing.json"),
      (["--part-config", s.configPath, "--cf", s.root + "/none.yaml", "--local"], "none.yaml"),
      (base + ["--local", "--task", "node_classification-paper-label_class.label_field=nothing"], "nothing"),
    ] {
      let r = run(args)
      XCTAssertEqual(r.code, 2, "\(args)")
      XCTAssertTrue(r.err.joined().contains(needle), "\(args): \(r.err)")
    }
  }

  /// `--dry-run`: the plan from the config and the graph, nothing written or started.
  func testDryRun() throws {
    let s = Self.graph!
    let yaml = s.root + "/dry.yaml"
    try Synthetic.yaml(epochs: 3, batch: 16, tasks: [Synthetic.nc, Synthetic.lp].joined(separator: "\n")).write(toFile: yaml, atomically: true, encoding: .utf8)
    let ws = s.root + "/dry-ws"
    let r = run(["--part-config", s.configPath, "--cf", yaml, "--workspace", ws, "--dry-run", "--world-size", "2"])
    XCTAssertEqual(r.code, 0, r.err.joined(separator: "\n"))
    let text = r.out.joined(separator: "\n")
    XCTAssertTrue(text.contains("config valid for graph 'toy' (2 partitions), 2 trainer ranks; nothing started"), text)
    XCTAssertTrue(text.contains("node_classification-paper-label_class  kind node_classification  target paper  train 48  val 16  test 16  batch 16"), text)
    XCTAssertTrue(text.contains("kind link_prediction  target paper:cites:paper"), text)
    XCTAssertTrue(text.contains("embeddings: author (width 16; gust-server --embed-dim 16)"), text)
    XCTAssertTrue(text.contains("× 3 epochs"), text)
    XCTAssertFalse(FileManager.default.fileExists(atPath: ws))
    // The plan's numbers are the trainer's.
    let cfg = try GustConfig.load(path: yaml, overrides: ConfigOverrides(), mode: .train)
    let access = try LocalGraphAccess(configPath: s.configPath)
    let plan = try TrainingPlan.make(config: cfg, graph: access.partitionConfig)
    let report = try DryRunReport.make(plan: plan, graph: access, worldSize: 1)
    var o = RunOptions()
    o.print = { _ in }
    let trainer = try Trainer(plan: plan, graph: access, options: o)
    XCTAssertEqual(report.tasks.map(\.batchesPerEpoch), trainer.schedule.batchesPerPass)
    XCTAssertEqual(report.epochSteps, trainer.schedule.stepsPerEpoch)
    XCTAssertEqual(report.tasks.map(\.train), trainer.trainItems.map(\.count))
    // Inference: test sizes only.
    let inf = run(["--part-config", s.configPath, "--cf", yaml, "--dry-run", "--inference"])
    XCTAssertEqual(inf.code, 0, inf.err.joined(separator: "\n"))
    XCTAssertTrue(inf.out.joined(separator: "\n").contains("target paper  train 0  val -  test 16"), inf.out.joined(separator: "\n"))
    // Config errors still exit 2 in a dry run.
    let bad = run(["--part-config", s.configPath, "--cf", yaml, "--dry-run", "--task", "nope.task_weight=2"])
    XCTAssertEqual(bad.code, 2)
  }

  /// A whole run through the command: train with checkpoints, then `--inference` from one.
  func testTrainThenInfer() throws {
    let s = Self.graph!
    let yaml = s.root + "/run.yaml"
    try Synthetic.yaml(epochs: 2, tasks: [Synthetic.nc, Synthetic.lp].joined(separator: "\n")).write(toFile: yaml, atomically: true, encoding: .utf8)
    let ws = s.root + "/ws"
    let r = run(["--part-config", s.configPath, "--cf", yaml, "--workspace", ws, "--local", "--save-model-path", "model", "--seed", "3"])
    XCTAssertEqual(r.code, 0, r.err.joined(separator: "\n"))
    if ProcessInfo.processInfo.environment["GUST_SHOW_OUTPUT"] != nil { print(r.out.joined(separator: "\n")) }
    XCTAssertTrue(FileManager.default.fileExists(atPath: ws + "/model/epoch-1/state.json"))
    XCTAssertTrue(FileManager.default.fileExists(atPath: ws + "/metrics.jsonl"))
    XCTAssertTrue(r.out.contains { $0.hasPrefix("best scores:") })
    let inf = run(["--part-config", s.configPath, "--cf", yaml, "--workspace", ws, "--local", "--inference",
                   "--restore-model-path", "model/epoch-1", "--metrics-file", ws + "/infer.jsonl"])
    XCTAssertEqual(inf.code, 0, inf.err.joined(separator: "\n"))
    let lines = try String(contentsOfFile: ws + "/infer.jsonl", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 2)
    XCTAssertTrue(lines.allSatisfy { $0.contains("\"split\": \"test\"") })
  }
}
