import Foundation
import Graph
import GraphClient
import Net
import Proto
import TestSupport
import XCTest

/// Refusals, dying servers and the process's exit codes — each with its own server processes.
final class ServerFailureTests: XCTestCase {
  var root = ""
  var servers: ServerProcesses!
  var graph: TestGraph!
  let secret = try! Secret(bytes: Array("job-secret-for-tests".utf8))

  override func setUpWithError() throws {
    root = NSTemporaryDirectory() + "gust-failing-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: root + "/graph", withIntermediateDirectories: true)
    graph = TestGraph.random(seed: 5, parts: 2)
    _ = try graph.writePartitions(root: root + "/graph")
    servers = try ServerProcesses(root: root, configPath: root + "/graph/tg.json", serverArguments: ["--handshake-timeout", "0.3"])
  }

  override func tearDown() {
    if let run = testRun, run.failureCount > 0 { print("server logs:\n" + servers.logs()) }
    servers.stopAll()
    try? FileManager.default.removeItem(atPath: root)
    super.tearDown()
  }

  func authenticated(_ e: Endpoint, secret: Secret? = nil) throws -> Connection {
    let c = try Connection.connect(to: e, deadline: .after(seconds: 5))
    try Authentication.client(c, secret: secret ?? self.secret, role: .trainer, rank: 0, deadline: .after(seconds: 5))
    return c
  }

  func assertServes(_ e: Endpoint, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(try authenticated(e).request(.heartbeat(Heartbeat(token: 1)), deadline: .after(seconds: 5)),
                   .heartbeatReply(Heartbeat(token: 1)), file: file, line: line)
  }

  /// Wrong secret, garbage first, a silent client, a 4 GB length: each refused (closed without
  /// a byte of graph data) or timed out, and the server still answers a good client.
  func testRefusedPeersAndTheServerStillServes() throws {
    let h = try servers.start(part: 0)
    // Wrong secret.
    XCTAssertThrowsError(try authenticated(h.endpoint, secret: try Secret(bytes: Array("wrong".utf8)))) {
      XCTAssertEqual(($0 as? NetError)?.code, .authenticationFailed, "\($0)")
    }
    assertServes(h.endpoint)
    // Garbage first, and a 4 GB length claim before authenticating.
    var header = Message.heartbeat(Heartbeat(token: 1)).encodeFrame(requestID: 1)
    header.replaceSubrange(20..<24, with: [0xFF, 0xFF, 0xFF, 0xFF])
    for bytes in [Array("GET / HTTP/1.1\r\n\r\n".utf8), Array(header.prefix(Proto.headerSize))] {
      let c = try Connection.connect(to: h.endpoint, deadline: .after(seconds: 5))
      try c.send(bytes: bytes, deadline: .after(seconds: 5))
      XCTAssertThrowsError(try c.receive(deadline: .after(seconds: 5))) {
        XCTAssertEqual(($0 as? NetError)?.code, .peerClosed, "closed without a reply: \($0)")
      }
      assertServes(h.endpoint)
    }
    // Silent: closed after the handshake timeout (0.3 s in these tests).
    let silent = try Connection.connect(to: h.endpoint, deadline: .after(seconds: 5))
    let t0 = Date()
    XCTAssertThrowsError(try silent.receive(deadline: .after(seconds: 5))) {
      XCTAssertEqual(($0 as? NetError)?.code, .peerClosed, "\($0)")
    }
    XCTAssertLessThan(Date().timeIntervalSince(t0), 3)
    assertServes(h.endpoint)
    let log = try String(contentsOfFile: h.log, encoding: .utf8)
    XCTAssertTrue(log.contains("refused"), log)
  }

  /// A server stopped mid-request and then killed: the client's call fails within its timeout
  /// with an error naming the partition, server, host and port. A stopped (silent) server times
  /// out the same way.
  func testKilledOrSilentServerFailsTheCallWithinTheTimeoutNamingIt() throws {
    let a = try servers.start(part: 0)
    let b = try servers.start(part: 1)
    let client = try GraphClient(servers: servers.endpoints, secret: secret, config: try PartitionConfig.load(path: root + "/graph/tg.json"),
                                 options: ClientOptions(timeout: 1.5))
    let papers = (0..<300).map { graph.globalOf[0][$0] }
    XCTAssertEqual(try client.pullNodeFeatures(ntype: 0, field: "feat", ids: papers).rows, 300)

    // Silent: SIGSTOP, the call times out.
    stop(b.process.processIdentifier)
    var t0 = Date()
    XCTAssertThrowsError(try client.pullNodeFeatures(ntype: 0, field: "feat", ids: papers)) {
      let e = $0 as? GraphClientError
      XCTAssertEqual(e?.code, .timedOut, "\($0)")
      XCTAssertTrue(e?.server?.contains("partition 1 server 0 at \(b.endpoint)") ?? false, "\($0)")
    }
    XCTAssertLessThan(Date().timeIntervalSince(t0), 3)
    kill(b.process.processIdentifier, SIGCONT)

    // Killed mid-request: stop it, send the request from another thread, kill it.
    stop(a.process.processIdentifier)
    nonisolated(unsafe) var failure: Error?
    let done = DispatchSemaphore(value: 0)
    t0 = Date()
    nonisolated(unsafe) let unsafeClient = client
    Thread.detachNewThread {
      do { _ = try unsafeClient.sampleNeighbors(seeds: papers, etype: 0, fanout: 3, seed: 1) } catch { failure = error }
      done.signal()
    }
    usleep(200_000)
    kill(a.process.processIdentifier, SIGKILL)
    XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
    XCTAssertLessThan(Date().timeIntervalSince(t0), 3)
    let e = failure as? GraphClientError
    XCTAssertEqual(e?.code, .serverClosed, "\(String(describing: failure))")
    XCTAssertTrue(e?.server?.contains("partition 0 server 0 at \(a.endpoint)") ?? false, "\(String(describing: failure))")
    // Later calls fail fast too (the server is gone), naming it.
    XCTAssertThrowsError(try client.pullNodeFeatures(ntype: 0, field: "feat", ids: papers)) {
      XCTAssertTrue("\($0)".contains("\(a.endpoint)"), "\($0)")
    }
  }

  /// SIGSTOP, then waits until the kernel reports every thread stopped (/proc state T): the
  /// stop is asynchronous, and a thread still running could answer one more request.
  func stop(_ pid: Int32, file: StaticString = #filePath, line: UInt = #line) {
    kill(pid, SIGSTOP)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
      let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
      let states = tasks.map { t -> Character? in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(close, offsetBy: 2)]
      }
      if !states.isEmpty && states.allSatisfy({ $0 == "T" }) { return }
      usleep(2_000)
    }
    XCTFail("process \(pid) did not stop", file: file, line: line)
  }

  func run(_ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: ServerProcesses.binary("gust-server"))
    p.arguments = args
    let pipe = Pipe()
    p.standardError = pipe
    p.standardOutput = pipe
    try p.run()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self))
  }

  func testExitCodes() throws {
    let config = root + "/graph/tg.json", secretFile = root + "/secret"
    var (code, text) = try run(["--part-id", "0"])
    XCTAssertEqual(code, 2)
    XCTAssertTrue(text.contains("--part-config is required") && text.contains("usage:"), text)
    (code, text) = try run(["--part-config", config, "--part-id", "0", "--listen", "localhost:1", "--secret-file", secretFile])
    XCTAssertEqual(code, 2)
    XCTAssertTrue(text.contains("--listen"), text)
    (code, text) = try run(["--part-config", config, "--part-id", "7", "--listen", "127.0.0.1:0", "--secret-file", secretFile])
    XCTAssertEqual(code, 2)
    XCTAssertTrue(text.contains("partition 7 does not exist"), text)
    // A corrupt partition file: exit 2 naming it.
    let c = try PartitionConfig.load(path: config)
    let file = root + "/graph/" + c.partFiles[1][PartitionConfig.nodeFieldName(ntype: "paper", field: "feat")]!.path
    var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
    bytes[3] ^= 0xFF
    try bytes.write(to: URL(fileURLWithPath: file))
    (code, text) = try run(["--part-config", config, "--part-id", "1", "--listen", "127.0.0.1:0", "--secret-file", secretFile])
    XCTAssertEqual(code, 2)
    XCTAssertTrue(text.contains("feat") && text.contains("crc32"), text)

    // SIGTERM and a shutdown request: clean exits.
    let h = try servers.start(part: 0)
    h.process.terminate()
    h.process.waitUntilExit()
    XCTAssertEqual(h.process.terminationStatus, 0)
    XCTAssertTrue(try String(contentsOfFile: h.log, encoding: .utf8).contains("stopped (SIGTERM)"))
    let h2 = try servers.start(part: 0, extra: ["--embed-dim", "2"])
    let client = try GraphClient(servers: [[h2.endpoint], [h2.endpoint]], secret: secret, config: c,
                                 options: ClientOptions(timeout: 5))
    try client.shutdownAll()
    h2.process.waitUntilExit()
    XCTAssertEqual(h2.process.terminationStatus, 0)
    XCTAssertTrue(try String(contentsOfFile: h2.log, encoding: .utf8).contains("stopped (shutdown request)"))
  }
}
