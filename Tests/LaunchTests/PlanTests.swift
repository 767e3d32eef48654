import Collective
import Launch
import XCTest

/// The hostfile parser, the command line and the process plan as pure values.
final class PlanTests: XCTestCase {
  func testHostFileParsesIPAndIPPortLinesSkippingBlanksAndComments() throws {
    let h = try HostFile.parse("# hosts\n127.0.0.1\n\n  10.0.0.2   30050  \n::1\n", path: "/h")
    XCTAssertEqual(h.hosts, [HostFile.Host(ip: "127.0.0.1", port: nil, line: 2), HostFile.Host(ip: "10.0.0.2", port: 30050, line: 4),
                             HostFile.Host(ip: "::1", port: nil, line: 5)])
    XCTAssertEqual(h.hosts.map(\.isLoopback), [true, false, true])
    XCTAssertNoThrow(try h.check(numParts: 3))
  }

  func testHostFileErrorsNameTheFileAndLine() {
    func message(_ text: String, parts: Int = 1) -> String {
      do { try HostFile.parse(text, path: "/tmp/ip.txt").check(numParts: parts); return "" } catch let e as LaunchError {
        XCTAssertEqual(e.exitCode, 2)
        return e.message
      } catch { return "\(error)" }
    }
    XCTAssertTrue(message("node-a\n").contains("/tmp/ip.txt:1: 'node-a' is not a numeric"), message("node-a\n"))
    XCTAssertTrue(message("127.0.0.1 99999\n").contains("/tmp/ip.txt:1: port '99999'"))
    XCTAssertTrue(message("127.0.0.1 1 2\n").contains("expected 'IP' or 'IP PORT'"))
    XCTAssertTrue(message("# nothing\n").contains("no hosts"))
    XCTAssertTrue(message("127.0.0.1\n127.0.0.2\n", parts: 3).contains("2 host(s) for a graph of 3 partition(s)"))
  }

  func testOptionsSeparateLauncherFlagsFromYAMLOverridesAndResolvePaths() throws {
    let o = try LaunchOptions.parse(
      ["--part-config", "g/acm.json", "--cf=train.yaml", "--workspace", "ws", "--num-trainers", "2", "--num-servers", "3",
       "--num-epochs", "3", "--fanout", "5,5", "--use-self-loop", "--save-model-path", "ckpt", "--lr=0.01",
       "--task", "node_classification-paper-label_class.batch_size=8", "--seed", "7", "--local-trainer"],
      mode: .train, cwd: "/home/u/x")
    XCTAssertEqual(o.partConfig, "/home/u/x/g/acm.json")
    XCTAssertEqual(o.configFile, "/home/u/x/train.yaml")
    XCTAssertEqual(o.workspace, "/home/u/x/ws")
    XCTAssertEqual(o.numTrainers, 2)
    XCTAssertEqual(o.numServers, 3)
    XCTAssertEqual(o.seed, 7)
    XCTAssertTrue(o.localTrainer)
    XCTAssertEqual(o.overrideArgs, ["--num-epochs", "3", "--fanout", "5,5", "--use-self-loop", "--save-model-path", "/home/u/x/ckpt",
                                    "--lr=0.01", "--task", "node_classification-paper-label_class.batch_size=8"])
    XCTAssertEqual(try LaunchOptions.parse(["--part-config", "a", "--cf", "b", "--inference"], mode: .train, cwd: "/").mode, .infer)
    XCTAssertEqual(absolutePath("../a/./b//c", cwd: "/x/y"), "/x/a/b/c")
  }

  func testOptionErrorsNameTheFlag() {
    func message(_ args: [String], _ mode: LaunchOptions.Mode = .train) -> String {
      do { _ = try LaunchOptions.parse(args, mode: mode, cwd: "/"); return "" } catch { return "\(error)" }
    }
    XCTAssertTrue(message(["--cf", "y"]).contains("--part-config is required"))
    XCTAssertTrue(message(["--part-config", "p"]).contains("--cf is required"))
    XCTAssertTrue(message(["--part-config", "p", "--cf", "y", "--num-trainers", "0"]).contains("--num-trainers takes an integer ≥ 1, got '0'"))
    XCTAssertTrue(message(["--part-config", "p", "--cf", "y", "--num-servers"]).contains("--num-servers needs a value"))
    XCTAssertTrue(message(["--part-config", "p", "--cf", "y", "stray"]).contains("unexpected argument 'stray'"))
    XCTAssertTrue(message(["--part-config", "p", "--cf", "y", "--resume"], .infer).contains("--resume"))
    XCTAssertTrue(LaunchOptions.isHelpRequest(["--cf", "y", "--help"]))
  }

  func plan(_ extra: [String] = [], hosts: [HostFile.Host]? = nil, parts: Int = 2) throws -> JobPlan {
    let o = try LaunchOptions.parse(["--part-config", "/g/acm.json", "--cf", "/c/train.yaml", "--workspace", "/ws"] + extra,
                                    mode: .train, cwd: "/")
    return JobPlan.make(options: o, numParts: parts, hosts: hosts, embedDim: 64, embedAllTypes: false, binDir: "/bin")
  }

  func testPlanStartsServersPerPartitionOnLoopbackWithFreePortsAndTrainersWithRanks() throws {
    let p = try plan(["--num-servers", "2", "--num-trainers", "2", "--seed", "5", "--num-epochs", "3"])
    XCTAssertEqual(p.servers.map(\.name), ["server 0.0", "server 0.1", "server 1.0", "server 1.1"])
    XCTAssertEqual(p.trainers.map(\.name), ["trainer 0", "trainer 1"])
    XCTAssertEqual(p.servers[3].arguments, ["--part-config", "/g/acm.json", "--part-id", "1", "--server-id", "1",
                                            "--listen", "127.0.0.1:0", "--secret-file", "/ws/run/secret",
                                            "--port-file", "/ws/run/server-1-1.port", "--seed", "5", "--embed-dim", "64"])
    XCTAssertEqual(p.servers[3].executable, "/bin/gust-server")
    XCTAssertEqual(p.servers[3].logPath, "/ws/logs/server-1-1.log")
    XCTAssertEqual(p.trainers[1].arguments, ["--part-config", "/g/acm.json", "--cf", "/c/train.yaml", "--workspace", "/ws",
                                             "--rank", "1", "--world-size", "2", "--seed", "5",
                                             "--servers-file", "/ws/run/servers.json", "--secret-file", "/ws/run/secret",
                                             "--ring-peers", "127.0.0.1:0,127.0.0.1:0", "--ring-dir", "/ws/run",
                                             "--shm-tag", p.shmTag, "--num-epochs", "3"])
    // The shared-memory tag: 16 hex digits of the run directory, another workspace another tag.
    XCTAssertEqual(p.shmTag, SharedMemoryObjects.jobTag(runDirectory: "/ws/run"))
    XCTAssertEqual(p.shmTag.count, 16)
    XCTAssertTrue(SharedMemoryObjects.isValidTag(p.shmTag))
    XCTAssertNotEqual(SharedMemoryObjects.jobTag(runDirectory: "/ws2/run"), p.shmTag)
    XCTAssertEqual(p.ringPortFile(rank: 1), "/ws/run/ring-1.port")
    // One trainer: no ring.
    XCTAssertFalse(try plan(["--num-trainers", "1"]).trainers[0].arguments.contains("--ring-peers"))
    // In-process graph reads still authenticate the ring; --ring-timeout is passed on.
    let local = try plan(["--num-trainers", "3", "--local-trainer", "--ring-timeout", "5"]).trainers[2].arguments
    XCTAssertTrue(local.contains("--secret-file") && local.contains("--local"))
    XCTAssertEqual(local[local.firstIndex(of: "--ring-timeout")! + 1], "5.0")
    XCTAssertEqual(local[local.firstIndex(of: "--ring-peers")! + 1], "127.0.0.1:0,127.0.0.1:0,127.0.0.1:0")
    XCTAssertEqual(p.trainers[1].logPath, "/ws/logs/trainer-1.log")
    XCTAssertEqual(p.worldSize, 2)
    // The secret never travels on a command line: only its path does.
    XCTAssertFalse(p.all.contains { $0.arguments.contains { $0.contains("secret") && !$0.hasPrefix("/ws/run/secret") && $0 != "--secret-file" } })
  }

  func testPlanForInferenceLocalTrainerAndHostfilePorts() throws {
    let o = try LaunchOptions.parse(["--part-config", "/g", "--cf", "/c", "--workspace", "/ws", "--local-trainer",
                                     "--restore-model-path", "/m"], mode: .infer, cwd: "/")
    let hosts = [HostFile.Host(ip: "127.0.0.1", port: 7000, line: 1), HostFile.Host(ip: "127.0.0.2", port: nil, line: 2)]
    let p = JobPlan.make(options: o, numParts: 2, hosts: hosts, embedDim: 16, embedAllTypes: true, binDir: "/b")
    XCTAssertTrue(p.servers[0].arguments.contains("127.0.0.1:7000"))
    XCTAssertTrue(p.servers[1].arguments.contains("127.0.0.2:0"))
    XCTAssertTrue(p.servers[0].arguments.contains("--embed-all-types"))
    XCTAssertEqual(p.servers[1].host, "127.0.0.2")
    let t = p.trainers[0].arguments
    XCTAssertTrue(t.contains("--local") && t.contains("--inference"))
    XCTAssertFalse(t.contains("--servers-file"))
    XCTAssertEqual(Array(t.suffix(2)), ["--restore-model-path", "/m"])
  }

  func testServersFileJSON() {
    XCTAssertEqual(JobPlan.serversJSON([["127.0.0.1:41234", "127.0.0.1:41235"], ["[::1]:7"]]),
                   "{\"partitions\": [[\"127.0.0.1:41234\", \"127.0.0.1:41235\"], [\"[::1]:7\"]]}\n")
  }

  func testMetricsSummaryKeepsTheLastBestLinePerTaskAndMetric() {
    let text = """
      {"kind": "train", "epoch": 0, "step": 1, "task_id": "total", "loss": 3.5}
      {"kind": "best", "task_id": "nc", "metric": "accuracy", "val": 0.5, "test": 0.4, "step": 3}
      {"kind": "best", "task_id": "nc", "metric": "accuracy", "val": 0.75, "test": 0.625, "step": 8}
      {"kind": "best", "task_id": "lp", "metric": "mrr", "val": null, "test": 0.25, "step": 8}
      not json
      """
    let best = MetricsSummary.best(jsonl: text)
    XCTAssertEqual(best, [BestMetric(taskID: "nc", metric: "accuracy", val: 0.75, test: 0.625, step: 8),
                          BestMetric(taskID: "lp", metric: "mrr", val: nil, test: 0.25, step: 8)])
    let table = MetricsSummary.table(best)
    XCTAssertEqual(table.count, 4)
    XCTAssertTrue(table[2].hasPrefix("nc    accuracy"), table.joined(separator: "\n"))
    XCTAssertTrue(table[2].contains("0.7500") && table[2].contains("0.6250"))
    XCTAssertTrue(table[3].contains("—"))
  }
}
