import Collective
import Foundation
import XCTest

/// `gust train` / `gust infer` through the built binaries: real `gust-server` and `gust-trainer`
/// processes on 127.0.0.1 over a tiny generated graph (2 partitions). Every test checks that no
/// process is left behind; logs are printed when a test fails.
///
/// Trainers go through the servers (`--servers-file`) except where a test passes
/// `local: true` (`--local-trainer`: the trainer reads the partitions in-process; the servers are
/// started and supervised all the same).
final class LaunchProcessTests: XCTestCase {
  nonisolated(unsafe) static var root = ""
  var workspace = ""

  var graph: String { Self.root + "/graph/acm.json" }
  var yaml: String { Self.root + "/data/train.yaml" }

  override class func setUp() {
    super.setUp()
    root = NSTemporaryDirectory() + "gust-launch-tests-\(getpid())"
    try? FileManager.default.removeItem(atPath: root)
    try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let g = try! Gust.run(["generate", "--scale", "tiny", "--output-dir", root + "/data"], in: root)
    precondition(g.code == 0, "gust generate failed: \(g.all)")
    let c = try! Gust.run(["construct", "--conf-file", root + "/data/gconstruct.json", "--output-dir", root + "/graph",
                           "--graph-name", "acm", "--num-parts", "2"], in: root)
    precondition(c.code == 0, "gust construct failed: \(c.all)")
  }

  override class func tearDown() {
    try? FileManager.default.removeItem(atPath: root)
    super.tearDown()
  }

  override func setUp() {
    workspace = Self.root + "/ws-\(name.split(separator: " ").last!.filter { $0.isLetter })"
  }

  override func tearDown() {
    if (testRun?.totalFailureCount ?? 0) > 0 { print("logs of \(workspace):\n" + Gust.logs(workspace)) }
    XCTAssertEqual(Gust.leftover(Self.root), [], "processes left behind")
    let tag = SharedMemoryObjects.jobTag(runDirectory: workspace + "/run")
    XCTAssertEqual(SharedMemoryObjects.objects(job: tag), [], "shared-memory objects left behind")
  }

  func train(_ extra: [String], graph: String? = nil, local: Bool = false) -> [String] {
    ["train", "--part-config", graph ?? self.graph, "--cf", yaml, "--workspace", workspace] + (local ? ["--local-trainer"] : []) + extra
  }

  func testTrainRunsServersAndTrainerToTheEndAndLeavesNothing() throws {
    // An object an earlier job in this workspace left (its creator is dead): the job removes it.
    let gone = Process()
    gone.executableURL = URL(fileURLWithPath: "/bin/true")
    try gone.run()
    gone.waitUntilExit()
    let tag = SharedMemoryObjects.jobTag(runDirectory: workspace + "/run")
    let stale = "gust-ring-\(tag)-\(gone.processIdentifier)-" + String(repeating: "0", count: 32)
    let fd = shm_open("/" + stale, O_RDWR | O_CREAT | O_EXCL, 0o600)
    XCTAssertGreaterThanOrEqual(fd, 0)
    close(fd)
    let r = try Gust.run(train(["--num-epochs", "1", "--save-model-path", workspace + "/model"]), in: Self.root)
    XCTAssertEqual(r.code, 0, r.all)
    XCTAssertTrue(r.err.contains("removed 1 shared-memory object(s) an earlier job in this workspace left in /dev/shm: \(stale)"), r.all)
    XCTAssertTrue(r.out.contains("servers up: partition 0 at 127.0.0.1:"), r.all)
    XCTAssertTrue(r.out.contains("[trainer 0] training 7 tasks"), r.all)
    XCTAssertTrue(r.out.contains("metrics:     \(workspace)/metrics.jsonl"), r.all)
    XCTAssertTrue(r.out.contains("checkpoints: \(workspace)/model"), r.all)
    let metrics = try String(contentsOfFile: workspace + "/metrics.jsonl", encoding: .utf8)
    XCTAssertEqual(metrics.split(separator: "\n").filter { $0.contains("\"kind\": \"best\"") || $0.contains("\"kind\":\"best\"") }.count, 7, metrics)
    let logs = try FileManager.default.contentsOfDirectory(atPath: workspace + "/logs").sorted()
    XCTAssertEqual(logs, ["server-0-0.log", "server-1-0.log", "trainer-0.log"])
    let server = try String(contentsOfFile: workspace + "/logs/server-1-0.log", encoding: .utf8)
    XCTAssertTrue(server.contains("serving acm partition 1") && server.contains("stopped (SIGTERM)"), server)
    // The job's secret, port files and servers file are gone with the job.
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: workspace + "/run"), ["lock"])
    XCTAssertTrue(FileManager.default.fileExists(atPath: workspace + "/model/epoch-0/model.bin"))
  }

  func testCorruptPartitionFailsTheJobNamingTheServerWithItsLogTail() throws {
    let bad = Self.root + "/bad-graph"
    try? FileManager.default.removeItem(atPath: bad)
    try FileManager.default.copyItem(atPath: Self.root + "/graph", toPath: bad)
    let f = try FileHandle(forWritingAtPath: bad + "/part1/node/paper/feat.f32").unwrap()
    f.write(Data([0xde, 0xad, 0xbe, 0xef]))
    f.closeFile()
    let r = try Gust.run(train(["--num-epochs", "1"], graph: bad + "/acm.json"), in: Self.root)
    XCTAssertEqual(r.code, 1, r.all)
    XCTAssertTrue(r.err.contains("gust train: error: server 1.0 (pid "), r.all)
    XCTAssertTrue(r.err.contains("exited with code 2; stopping every process"), r.all)
    XCTAssertTrue(r.err.contains("last 1 line(s) of \(workspace)/logs/server-1-0.log"), r.all)
    XCTAssertTrue(r.err.contains("[server 1.0] gust-server[part 1 server 0]: \(bad)/part1/node/paper/feat.f32: crc32"), r.all)
    XCTAssertFalse(r.out.contains("started 1 trainer"), "no trainer starts before every server is up\n\(r.all)")
  }

  func testBadYAMLKeyExitsTwoBeforeAnyProcessStarts() throws {
    let r = try Gust.run(train(["--num-epoch", "1"]), in: Self.root)
    XCTAssertEqual(r.code, 2, r.all)
    XCTAssertTrue(r.err.contains("gust train: error: --num-epoch: unknown configuration flag (did you mean '--num-epochs'?)"), r.all)
    XCTAssertFalse(FileManager.default.fileExists(atPath: workspace), "nothing written, nothing started")
    let t = try Gust.run(train(["--task", "node_classification-paper-label_class.label_field=nope"]), in: Self.root)
    XCTAssertEqual(t.code, 2, t.all)
    XCTAssertTrue(t.err.contains("nope"), t.all)
    XCTAssertFalse(FileManager.default.fileExists(atPath: workspace))
  }

  /// Two trainers through the servers: they meet in a TCP ring, train to the end and hold
  /// identical parameters (each logs a digest of them); rank 0 alone writes metrics and
  /// checkpoints; the ring's port files go with the job.
  func testTwoTrainersTrainEndToEndWithIdenticalParameters() throws {
    let r = try Gust.run(train(["--num-trainers", "2", "--num-epochs", "1", "--save-model-path", workspace + "/model"]), in: Self.root)
    XCTAssertEqual(r.code, 0, r.all)
    XCTAssertTrue(r.out.contains("[trainer 0] training 7 tasks for 1 epochs of"), r.all)
    XCTAssertTrue(r.out.contains("on rank 0 of 2"), r.all)
    func digest(_ rank: Int) throws -> String {
      let log = try String(contentsOfFile: "\(workspace)/logs/trainer-\(rank).log", encoding: .utf8)
      let line = try log.split(separator: "\n").first { $0.contains("rank \(rank) of 2: parameters digest ") }.unwrap()
      return String(line.split(separator: " ").last!)
    }
    XCTAssertEqual(try digest(0), try digest(1))
    XCTAssertEqual(try digest(0).count, 16)
    let metrics = try String(contentsOfFile: workspace + "/metrics.jsonl", encoding: .utf8)
    XCTAssertEqual(metrics.split(separator: "\n").filter { $0.contains("\"kind\": \"best\"") }.count, 7, metrics)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: workspace + "/run"), ["lock"])
    XCTAssertTrue(FileManager.default.fileExists(atPath: workspace + "/model/epoch-0/model.bin"))
  }

  /// A trainer killed mid-run: the job fails naming its rank, every other process is stopped.
  func testAKilledTrainerFailsTheJobNamingItsRank() throws {
    let g = try Gust.Running(train(["--num-trainers", "2", "--num-epochs", "500", "--log-interval", "1", "--grace-period", "3",
                                    "--ring-timeout", "20"]), in: Self.root)
    XCTAssertTrue(g.waitForOutput("[trainer 0] epoch 0 step"), g.out + g.err)
    let trainer = Gust.processes(mentioning: Self.root).first { $0.contains("gust-trainer") && $0.contains("--rank 1 ") }
    let pid = try Int32(trainer?.split(separator: ":").first.map(String.init) ?? "").unwrap()
    kill(pid, SIGKILL)
    let r = g.wait(timeout: 60)
    XCTAssertEqual(r.code, 1, r.all)
    XCTAssertTrue(r.err.contains("gust train: error: trainer 1 (pid \(pid) on 127.0.0.1) was killed by SIGKILL; stopping every process"), r.all)
  }

  /// Below the launcher: two `gust-trainer` processes meet through port files; rank 1 is
  /// SIGKILLed mid-run and rank 0 fails on its own well within `--ring-timeout`, naming rank 1.
  func testARankKilledMidRunFailsTheOtherNamingItWithinTheTimeout() throws {
    try FileManager.default.createDirectory(atPath: workspace + "/run", withIntermediateDirectories: true)
    let secret = workspace + "/run/secret"
    FileManager.default.createFile(atPath: secret, contents: Data((0..<32).map { UInt8($0 * 7 + 1) }), attributes: [.posixPermissions: 0o600])
    func start(_ rank: Int) throws -> (Process, String) {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: Gust.binDir + "/gust-trainer")
      p.arguments = ["--part-config", graph, "--cf", yaml, "--workspace", workspace, "--local", "--rank", "\(rank)", "--world-size", "2",
                     "--ring-peers", "127.0.0.1:0,127.0.0.1:0", "--ring-dir", workspace + "/run", "--secret-file", secret,
                     "--ring-timeout", "30", "--num-epochs", "500", "--log-interval", "1", "--threads", "1"]
      let out = workspace + "/rank\(rank).out"
      FileManager.default.createFile(atPath: out, contents: nil)
      p.standardOutput = FileHandle(forWritingAtPath: out)!
      p.standardError = p.standardOutput
      try p.run()
      return (p, out)
    }
    let (p0, out0) = try start(0), (p1, _) = try start(1)
    defer { for p in [p0, p1] where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
    let deadline = Date().addingTimeInterval(90)
    func text() -> String { (try? String(contentsOfFile: out0, encoding: .utf8)) ?? "" }
    while !text().contains("epoch 0 step 2/") && p0.isRunning && Date() < deadline { usleep(20_000) }
    XCTAssertTrue(p0.isRunning, text())
    kill(p1.processIdentifier, SIGKILL)
    let killed = Date()
    while p0.isRunning && Date().timeIntervalSince(killed) < 40 { usleep(20_000) }
    XCTAssertFalse(p0.isRunning, "rank 0 still running 40 s after rank 1 died")
    p0.waitUntilExit()
    XCTAssertEqual(p0.terminationStatus, 1, text())
    XCTAssertLessThan(Date().timeIntervalSince(killed), 30, "within --ring-timeout")
    let err = text().split(separator: "\n").filter { $0.hasPrefix("error:") }.joined(separator: "\n")
    XCTAssertTrue(err.contains("rank 1"), text())
  }

  func testSIGTERMToTheLauncherTearsEverythingDown() throws {
    let g = try Gust.Running(train(["--num-epochs", "500", "--log-interval", "1"]), in: Self.root)
    XCTAssertTrue(g.waitForOutput("[trainer 0] epoch 0 step"), g.out + g.err)
    // While it runs: the secret is 0600, the servers file lists both partitions, and a second
    // job in the same workspace is refused.
    let attrs = try FileManager.default.attributesOfItem(atPath: workspace + "/run/secret")
    XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    XCTAssertEqual((attrs[.size] as? NSNumber)?.intValue, 32)
    let servers = try String(contentsOfFile: workspace + "/run/servers.json", encoding: .utf8)
    XCTAssertTrue(servers.hasPrefix("{\"partitions\": [[\"127.0.0.1:"), servers)
    let second = try Gust.run(train(["--num-epochs", "1"]), in: Self.root)
    XCTAssertEqual(second.code, 2, second.all)
    XCTAssertTrue(second.err.contains("another gust job is running in the workspace"), second.all)
    XCTAssertEqual(Gust.processes(mentioning: Self.root).filter { $0.contains("gust-server") || $0.contains("gust-trainer") }.count, 3)

    g.process.terminate()
    let r = g.wait(timeout: 30)
    XCTAssertEqual(r.reason, .exit)
    XCTAssertEqual(r.code, 128 + SIGTERM, r.all)
    XCTAssertTrue(r.err.contains("SIGTERM received: stopping 3 process(es)"), r.all)
  }

  func testSIGKILLedLauncherTakesItsChildrenAlong() throws {
    let g = try Gust.Running(train(["--num-epochs", "500", "--log-interval", "1"]), in: Self.root)
    XCTAssertTrue(g.waitForOutput("[trainer 0] epoch 0 step"), g.out + g.err)
    XCTAssertEqual(Gust.processes(mentioning: Self.root).filter { $0.contains("gust-server") || $0.contains("gust-trainer") }.count, 3)
    kill(g.process.processIdentifier, SIGKILL)
    _ = g.wait(timeout: 10)
    // PR_SET_PDEATHSIG (set by `gust __child` before exec): the children get SIGTERM.
    XCTAssertEqual(Gust.leftover(Self.root, timeout: 10), [])
  }

  func testTrainerReadingPartitionsInProcessGivesTheSameMetrics() throws {
    let r = try Gust.run(train(["--num-epochs", "1", "--metrics-file", workspace + "/local.jsonl"], local: true), in: Self.root)
    XCTAssertEqual(r.code, 0, r.all)
    let s = try Gust.run(train(["--num-epochs", "1", "--metrics-file", workspace + "/served.jsonl"]), in: Self.root)
    XCTAssertEqual(s.code, 0, s.all)
    func best(_ f: String) throws -> [String] {
      try String(contentsOfFile: workspace + "/" + f, encoding: .utf8).split(separator: "\n").filter { $0.contains("best") }.map(String.init)
    }
    XCTAssertEqual(try best("local.jsonl"), try best("served.jsonl"))
    XCTAssertEqual(try best("local.jsonl").count, 7)
  }

  func testAServerDyingMidRunFailsTheJobNamingIt() throws {
    let g = try Gust.Running(train(["--num-epochs", "500", "--log-interval", "1", "--grace-period", "3"]), in: Self.root)
    XCTAssertTrue(g.waitForOutput("[trainer 0] epoch 0 step"), g.out + g.err)
    let server = Gust.processes(mentioning: Self.root).first { $0.contains("gust-server") && $0.contains("--part-id 1 ") }
    let pid = try Int32(server?.split(separator: ":").first.map(String.init) ?? "").unwrap()
    kill(pid, SIGKILL)
    let r = g.wait(timeout: 60)
    XCTAssertEqual(r.code, 1, r.all)
    XCTAssertTrue(r.err.contains("gust train: error: server 1.0 (pid \(pid) on 127.0.0.1) was killed by SIGKILL; stopping every process"), r.all)
    XCTAssertTrue(r.err.contains("last 1 line(s) of \(workspace)/logs/server-1-0.log"), r.all)
  }

  func testServersThatDoNotReportTheirPortInTimeFailTheJob() throws {
    let r = try Gust.run(train(["--server-start-timeout", "0.001", "--grace-period", "2"]), in: Self.root)
    XCTAssertEqual(r.code, 1, r.all)
    XCTAssertTrue(r.err.contains("gust train: error: server 0.0 (pid"), r.all)
    XCTAssertTrue(r.err.contains("did not report its port within"), r.all)
  }

  func testDryRunPrintsThePlanAndStartsNothing() throws {
    let r = try Gust.run(["train", "--dry-run", "--part-config", graph, "--cf", yaml, "--workspace", workspace,
                          "--num-servers", "2", "--num-epochs", "2"], in: Self.root)
    XCTAssertEqual(r.code, 0, r.all)
    for text in ["fits acm (2 partition(s)", "node_classification-paper-label_class", "reconstruct_edge_feat-author_writing_paper-efeat",
                 "4 server(s) (2 per partition × 2 partition(s)), 1 trainer(s)", "server 1.1: gust-server on 127.0.0.1 (free port), partition 1",
                 "trainer 0: gust-trainer on 127.0.0.1, rank 0/1", "nothing started"] {
      XCTAssertTrue(r.out.contains(text), "missing '\(text)'\n\(r.all)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: workspace + "/run"))
    let bad = try Gust.run(["infer", "--dry-run", "--part-config", graph, "--cf", yaml, "--workspace", workspace], in: Self.root)
    XCTAssertEqual(bad.code, 2, bad.all)
  }

  func testInferNeedsARestorePathAndRunsWithOne() throws {
    let r = try Gust.run(["infer", "--part-config", graph, "--cf", yaml, "--workspace", workspace], in: Self.root)
    XCTAssertEqual(r.code, 2, r.all)
    XCTAssertTrue(r.err.contains("gust infer: error: --restore-model-path is required"), r.all)
    let t = try Gust.run(train(["--num-epochs", "1", "--save-model-path", workspace + "/model"]), in: Self.root)
    XCTAssertEqual(t.code, 0, t.all)
    let i = try Gust.run(["infer", "--part-config", graph, "--cf", yaml, "--workspace", workspace,
                          "--restore-model-path", workspace + "/model/epoch-0"], in: Self.root)
    XCTAssertEqual(i.code, 0, i.all)
    XCTAssertTrue(i.out.contains("[trainer 0] test metrics of \(workspace)/model/epoch-0"), i.all)
  }

  /// Outputs through the servers: CSV with integer graph ids, then `gust remap` writes raw ids;
  /// an output path that is a file exits 2 before anything starts.
  func testInferWritesOutputsThroughTheServersAndRemapGivesRawIds() throws {
    let t = try Gust.run(train(["--num-epochs", "1", "--save-model-path", workspace + "/model"]), in: Self.root)
    XCTAssertEqual(t.code, 0, t.all)
    let file = workspace + "/not-a-folder"
    FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
    let bad = try Gust.run(["infer", "--part-config", graph, "--cf", yaml, "--workspace", workspace, "--restore-model-path",
                            workspace + "/model/epoch-0", "--save-embed-path", file + "/emb"], in: Self.root)
    XCTAssertEqual(bad.code, 2, bad.all)
    XCTAssertTrue(bad.err.contains("is a file"), bad.all)
    XCTAssertFalse(bad.out.contains("started"), bad.all)
    let emb = workspace + "/emb", pred = workspace + "/pred"
    let i = try Gust.run(["infer", "--part-config", graph, "--cf", yaml, "--workspace", workspace, "--restore-model-path",
                          workspace + "/model/epoch-0", "--save-embed-path", emb, "--save-prediction-path", pred,
                          "--output-format", "csv", "--keep-integer-ids"], in: Self.root)
    XCTAssertEqual(i.code, 0, i.all)
    let paperFile = emb + "/paper/embed-00000_00000.csv"
    let before = try String(contentsOfFile: paperFile, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(before.first, "nid,emb")
    XCTAssertNotNil(Int(before[1].split(separator: ",")[0]), "graph ids are integers: \(before[1])")
    let nc = pred + "/node_classification-paper-label_class/paper/pred.predict-00000_00000.csv"
    XCTAssertTrue(FileManager.default.fileExists(atPath: nc))
    let r = try Gust.run(["remap", "--part-config", graph, "--save-embed-path", emb, "--save-prediction-path", pred], in: Self.root)
    XCTAssertEqual(r.code, 0, r.all)
    let after = try String(contentsOfFile: paperFile, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(after.count, before.count)
    XCTAssertTrue(after[1].hasPrefix("p"), "raw paper ids after remap: \(after[1])")
    XCTAssertEqual(after[1].split(separator: ",")[1], before[1].split(separator: ",")[1], "the vector is kept")
    XCTAssertTrue(try String(contentsOfFile: nc, encoding: .utf8).split(separator: "\n")[1].hasPrefix("p"))
    let again = try Gust.run(["remap", "--part-config", graph, "--save-embed-path", workspace], in: Self.root)
    XCTAssertEqual(again.code, 2, again.all)
  }

  func testDemoGeneratesConstructsTrainsInfersAndPrintsTheTable() throws {
    let r = try Gust.run(["demo", "--scale", "tiny", "--num-epochs", "1", "--workspace", workspace], in: Self.root, timeout: 300)
    XCTAssertEqual(r.code, 0, r.all)
    for text in ["1/4 gust generate --scale tiny", "2/4 gust construct", "3/4 gust train", "4/4 gust infer",
                 "[trainer 0] test metrics of \(workspace)/job/model/epoch-0", "val (best)",
                 "reconstruct_edge_feat-author_writing_paper-efeat   mse", "done in"] {
      XCTAssertTrue(r.out.contains(text), "missing '\(text)'\n\(r.all)")
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: workspace + "/infer/metrics.jsonl"))
  }

  func testRemoteHostsInTheHostfileAreRefusedWithExitTwo() throws {
    let hosts = Self.root + "/ip_config.txt"
    try "127.0.0.1\n10.1.2.3 30050\n".write(toFile: hosts, atomically: true, encoding: .utf8)
    let r = try Gust.run(train(["--ip-config", hosts]), in: Self.root)
    XCTAssertEqual(r.code, 2, r.all)
    XCTAssertTrue(r.err.contains("\(hosts):2: host 10.1.2.3 is not this machine"), r.all)
    XCTAssertTrue(r.err.contains("arrives with the multi-host issue"), r.all)
    try "127.0.0.1\n".write(toFile: hosts, atomically: true, encoding: .utf8)
    let n = try Gust.run(train(["--ip-config", hosts]), in: Self.root)
    XCTAssertEqual(n.code, 2, n.all)
    XCTAssertTrue(n.err.contains("1 host(s) for a graph of 2 partition(s)"), n.all)
    XCTAssertFalse(FileManager.default.fileExists(atPath: workspace))
  }
}

extension Optional {
  func unwrap(file: StaticString = #filePath, line: UInt = #line) throws -> Wrapped {
    guard let v = self else { throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "nil at \(file):\(line)"]) }
    return v
  }
}
