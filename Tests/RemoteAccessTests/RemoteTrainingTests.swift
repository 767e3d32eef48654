import Foundation
import Graph
import GraphClient
import Net
import RemoteAccess
import XCTest

/// The real `gust-trainer` through real `gust-server` processes: the same metrics as `--local`,
/// servers left running, checkpoints through the servers, and a dead or silent server ending
/// the run with exit 1 naming it within the timeout.
final class RemoteTrainingTests: XCTestCase {
  static let seed: UInt64 = 3
  nonisolated(unsafe) static var graph: Synthetic!
  var procs: Processes?

  override class func setUp() { graph = try! Synthetic(papers: 120, authors: 40, parts: 2) }
  override class func tearDown() { graph.remove() }

  override func tearDown() {
    if let run = testRun, run.failureCount > 0, let procs { print(procs.logs()) }
    procs?.stopAll()
  }

  func servers(_ tag: String) throws -> Processes {
    let p = try Processes(root: Self.graph.root + "/" + tag, configPath: Self.graph.configPath)
    procs = p
    try p.startAll(parts: 2, dim: 16, seed: Self.seed)  // hidden_size 16 in Synthetic.yaml
    return p
  }

  func yaml(epochs: Int, _ name: String) throws -> String {
    let path = Self.graph.root + "/\(name).yaml"
    try Synthetic.yaml(epochs: epochs, batch: 32, tasks: [Synthetic.nc, Synthetic.lp, Synthetic.ec, Synthetic.nfr].joined(separator: "\n"))
      .write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// metrics.jsonl as objects, the wall-clock fields dropped.
  func metrics(_ path: String) throws -> [[String: AnyHashable]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
      var o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      o["seconds"] = nil
      return o.mapValues { $0 as! AnyHashable }
    }
  }

  func testMetricsEqualLocalRun() throws {
    let p = try servers("same")
    let cf = try yaml(epochs: 2, "same")
    let common = ["--part-config", Self.graph.configPath, "--cf", cf, "--seed", "\(Self.seed)", "--log-interval", "2",
                  "--save-model-path", "model"]
    let remoteWS = p.root + "/ws-remote", localWS = p.root + "/ws-local"
    let remote = try p.runTrainer(common + ["--workspace", remoteWS, "--servers-file", try p.writeServersFile(),
                                            "--secret-file", p.secretPath, "--server-timeout", "20"], tag: "remote")
    XCTAssertEqual(remote.code, 0, remote.log)
    let local = try p.runTrainer(common + ["--workspace", localWS, "--local"], tag: "local")
    XCTAssertEqual(local.code, 0, local.log)
    let a = try metrics(remoteWS + "/metrics.jsonl"), b = try metrics(localWS + "/metrics.jsonl")
    XCTAssertGreaterThan(a.count, 10)
    XCTAssertTrue(a.contains { $0["kind"] == AnyHashable("eval") })
    // Same sampled blocks, features, embedding rows and sparse Adam steps in the same order:
    // the losses and metrics are bit for bit the local run's (no tolerance needed).
    XCTAssertEqual(a, b)
    XCTAssertFalse(remote.log.contains("warning: the servers' embedding rows"), remote.log)
    // The trainer leaves the servers running (the launcher stops them) and checkpoints through them.
    XCTAssertTrue(p.handles.allSatisfy { $0.process.isRunning })
    let client = try GraphClient(servers: p.endpoints, secret: try Secret.load(path: p.secretPath))
    try client.heartbeatAll()
    XCTAssertTrue(FileManager.default.fileExists(atPath: remoteWS + "/model/epoch-1/embeddings/author-part1.emb"))
    XCTAssertTrue(FileManager.default.fileExists(atPath: remoteWS + "/model/epoch-1/state.json"))
  }

  /// One job of two `gust-trainer` ranks (a TCP ring through `--ring-dir`) in workspace
  /// `ws-<tag>`: its metrics.jsonl and each rank's printed parameter digest.
  func twoRanks(_ p: Processes, _ cf: String, _ tag: String, _ extra: [String]) throws -> (metrics: [[String: AnyHashable]], digests: [String]) {
    let ws = p.root + "/ws-\(tag)", ring = p.root + "/ring-\(tag)"
    try FileManager.default.createDirectory(atPath: ring, withIntermediateDirectories: true)
    let runs = try p.runTrainers((0..<2).map { r in
      ["--part-config", Self.graph.configPath, "--cf", cf, "--seed", "\(Self.seed)", "--log-interval", "2", "--workspace", ws,
       "--rank", "\(r)", "--world-size", "2", "--ring-peers", "127.0.0.1:0,127.0.0.1:0", "--ring-dir", ring,
       "--secret-file", p.secretPath, "--ring-timeout", "30"] + extra
    }, tag: tag)
    for (r, run) in runs.enumerated() { XCTAssertEqual(run.code, 0, "rank \(r): \(run.log)") }
    let digests = runs.enumerated().map { r, run in
      run.log.split(separator: "\n").first { $0.hasPrefix("rank \(r) of 2: parameters digest ") }.map { String($0.split(separator: " ").last!) } ?? "none"
    }
    return (try metrics(ws + "/metrics.jsonl"), digests)
  }

  /// Two ranks through the servers share one copy of the learnable embeddings (rank 0 pushes
  /// every rank's gradients once per step, then a barrier) and give exactly the metrics and
  /// parameters of two ranks each holding its own copy (`--local`): no update is lost, doubled
  /// or read early.
  func testTwoRanksThroughServersEqualTwoLocalRanks() throws {
    let p = try servers("two-ranks")
    let cf = try yaml(epochs: 2, "two-ranks")
    let remote = try twoRanks(p, cf, "remote", ["--servers-file", try p.writeServersFile(), "--server-timeout", "20"])
    let local = try twoRanks(p, cf, "local", ["--local"])
    XCTAssertEqual(remote.digests[0], remote.digests[1])
    XCTAssertNotEqual(remote.digests[0], "none")
    XCTAssertEqual(remote.digests, local.digests)
    XCTAssertTrue(remote.metrics.contains { $0["kind"] == AnyHashable("eval") })
    XCTAssertEqual(remote.metrics, local.metrics)
  }

  /// The background sampler through servers (each rank's sampling thread on its own client
  /// and connections) changes nothing: two ranks through fresh servers give the same parameter
  /// digests and metrics pipelined as with `--no-sampling-pipeline`, and as two `--local` ranks
  /// sampling inline.
  func testPipelinedRanksThroughServersEqualInline() throws {
    let cf = try yaml(epochs: 2, "pipeline")
    let p1 = try servers("pipe-on")
    let on = try twoRanks(p1, cf, "on", ["--servers-file", try p1.writeServersFile(), "--server-timeout", "20"])
    func leaderLog(_ p: Processes) -> String { (try? String(contentsOfFile: p.trainerLogs[0], encoding: .utf8)) ?? "" }
    XCTAssertTrue(leaderLog(p1).contains("sampling ahead on a background thread"), leaderLog(p1))
    p1.stopAll()
    let p2 = try servers("pipe-off")
    let off = try twoRanks(p2, cf, "off", ["--servers-file", try p2.writeServersFile(), "--server-timeout", "20", "--no-sampling-pipeline"])
    XCTAssertTrue(leaderLog(p2).contains("training 4 tasks"), leaderLog(p2))
    XCTAssertFalse(leaderLog(p2).contains("sampling ahead"), leaderLog(p2))
    let local = try twoRanks(p2, cf, "local-off", ["--local", "--no-sampling-pipeline"])
    XCTAssertNotEqual(on.digests[0], "none")
    XCTAssertEqual(on.digests[0], on.digests[1])
    XCTAssertEqual(on.digests, off.digests)
    XCTAssertEqual(on.digests, local.digests)
    XCTAssertTrue(on.metrics.contains { $0["kind"] == AnyHashable("eval") })
    XCTAssertEqual(on.metrics, off.metrics)
    XCTAssertEqual(on.metrics, local.metrics)
  }

  /// Resuming through the servers: a 3-epoch job of two ranks, then a fresh two-rank job on
  /// the same servers — whose rows and sparse Adam state have trained past the checkpoint —
  /// that resumes from the epoch-1 checkpoint (`--resume --restore-model-path`). Rank 0 has the
  /// servers load the rows and their sparse Adam state (`.adam` files); the parameters
  /// (digests), the rows and their optimiser state (the final checkpoint's files) and the last
  /// epoch's metrics equal the straight job's bit for bit.
  func testTwoRanksResumedThroughServersEqualTheStraightRun() throws {
    let p = try servers("resume")
    let cf = try yaml(epochs: 3, "resume")
    let served = ["--servers-file", try p.writeServersFile(), "--server-timeout", "20", "--save-model-path", "model"]
    let straight = try twoRanks(p, cf, "straight", served)
    let cut = p.root + "/ws-straight/model/epoch-1"
    XCTAssertTrue(FileManager.default.fileExists(atPath: cut + "/embeddings/author-part1.adam"))
    let resumed = try twoRanks(p, cf, "resumed", served + ["--resume", "--restore-model-path", cut])
    XCTAssertNotEqual(straight.digests[0], "none")
    XCTAssertEqual(resumed.digests, straight.digests)
    let last = straight.metrics.filter { $0["epoch"] == AnyHashable(2) || $0["kind"] == AnyHashable("best") }
    XCTAssertTrue(last.contains { $0["kind"] == AnyHashable("eval") })
    XCTAssertEqual(resumed.metrics, last)
    let a = p.root + "/ws-straight/model/epoch-2/", b = p.root + "/ws-resumed/model/epoch-2/"
    for f in ["model.bin", "optimizer.bin", "embeddings/author-part0.emb", "embeddings/author-part1.emb",
              "embeddings/author-part0.adam", "embeddings/author-part1.adam"] {
      let x = FileManager.default.contents(atPath: a + f)
      XCTAssertNotNil(x, f)
      XCTAssertEqual(x, FileManager.default.contents(atPath: b + f), f)
    }
    func state(_ dir: String) throws -> NSDictionary {
      let o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "state.json"))) as! NSDictionary
      let m = o.mutableCopy() as! NSMutableDictionary
      m["overrides"] = nil  // the command lines differ
      return m
    }
    XCTAssertEqual(try state(a), try state(b))
  }

  /// Starts a long remote run, waits for its first progress lines, does `act` to partition 1's
  /// server, and returns the run's exit code, log and the seconds from `act` to the exit.
  func interruptedRun(_ tag: String, timeout: Double, act: (Processes.Handle) -> Void) throws -> (code: Int32, log: String, after: Double, server: String) {
    let p = try servers(tag)
    let cf = try yaml(epochs: 500, tag)
    let victim = p.handles.first { $0.part == 1 }!
    var acted = Date()
    let r = try p.runTrainer(["--part-config", Self.graph.configPath, "--cf", cf, "--seed", "\(Self.seed)", "--log-interval", "1",
                              "--workspace", p.root + "/ws", "--servers-file", try p.writeServersFile(),
                              "--secret-file", p.secretPath, "--server-timeout", "\(timeout)"], tag: tag) { process, log in
      let deadline = Date().addingTimeInterval(60)
      while Date() < deadline && process.isRunning {
        if let text = try? String(contentsOfFile: log, encoding: .utf8), text.components(separatedBy: " step ").count > 3 { break }
        usleep(20_000)
      }
      acted = Date()
      act(victim)
    }
    if ProcessInfo.processInfo.environment["GUST_SHOW_OUTPUT"] != nil { print(r.log) }
    return (r.code, r.log, Date().timeIntervalSince(acted), "partition 1 server 0 at \(victim.endpoint)")
  }

  func testKilledServerEndsRunNamingIt() throws {
    let r = try interruptedRun("killed", timeout: 5) { kill($0.process.processIdentifier, SIGKILL) }
    XCTAssertEqual(r.code, 1, r.log)
    XCTAssertTrue(r.log.contains(r.server), r.log)
    XCTAssertLessThan(r.after, 5 + 3)
  }

  func testSilentServerEndsRunWithinTimeout() throws {
    let r = try interruptedRun("stopped", timeout: 2) { kill($0.process.processIdentifier, SIGSTOP) }
    for h in procs!.handles { kill(h.process.processIdentifier, SIGCONT) }
    XCTAssertEqual(r.code, 1, r.log)
    XCTAssertTrue(r.log.contains(r.server), r.log)
    XCTAssertTrue(r.log.contains("timedOut"), r.log)
    XCTAssertLessThan(r.after, 2 + 3)
  }
}
