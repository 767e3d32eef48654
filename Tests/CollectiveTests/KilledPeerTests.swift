import Collective
import Foundation
import Net
import XCTest

/// A real rank process killed mid-operation: the last rank of the ring is a `gust-bench
/// collective-rank` child (the binary the collective benchmark runs), the others are threads
/// here; after a checked all-reduce they loop (barrier, all-reduce) with it until it is
/// SIGKILLed, and every one of them must fail within the timeout naming its rank — over
/// shared-memory links (a dead process rings no doorbell: its TCP connections closing tell) and
/// over TCP links.
final class KilledPeerTests: XCTestCase {
  /// gust-bench beside the test bundle (whatever scratch path built it), else `.build/debug`.
  static var benchBinary: String? {
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent().path
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
    for dir in [bundleDir, Bundle.main.bundleURL.path, package + "/.build-coll/debug", package + "/.build/debug"] {
      let p = "\(dir)/gust-bench"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
  }

  func testKilledRankProcessIsNamedByEveryOtherRankWithinTheTimeoutOverSharedMemory() throws {
    try killedRankProcess(.sharedMemory)
  }

  func testKilledRankProcessIsNamedByEveryOtherRankWithinTheTimeoutOnTheGroupPath() throws {
    try killedRankProcess(.group)
  }

  func testKilledRankProcessIsNamedByEveryOtherRankWithinTheTimeoutOverTCP() throws {
    try killedRankProcess(.tcp)
  }

  func killedRankProcess(_ links: LinkKind) throws {
    guard let exe = KilledPeerTests.benchBinary else {
      throw XCTSkip("gust-bench is not built (swift build --build-tests builds it)")
    }
    let w = 4, victim = 3, n = 1 << 20, timeout = 2.0
    let root = NSTemporaryDirectory() + "gust-collective-kill-\(getpid())"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let secretBytes = Array("killed-peer-secret".utf8)
    try Data(secretBytes).write(to: URL(fileURLWithPath: root + "/secret"))
    let log = root + "/child.log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let child = Process()
    child.executableURL = URL(fileURLWithPath: exe)
    child.arguments = ["collective-rank", "--rank", "\(victim)", "--world-size", "\(w)",
                       "--port-file", root + "/port", "--endpoints-file", root + "/endpoints",
                       "--secret-file", root + "/secret", "--floats", "\(n)", "--iterations", "1000000",
                       "--timeout", "\(timeout)", "--links", links == .tcp ? "tcp" : links == .group ? "shm" : "ring"]
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"  // gust-bench links OpenBLAS; its pool would spin
    child.environment = environment
    child.standardOutput = FileHandle(forWritingAtPath: log)
    child.standardError = FileHandle(forWritingAtPath: log)
    try child.run()
    defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) }; child.waitUntilExit() }

    var port: String? = nil
    let until = Date().addingTimeInterval(30)
    while port == nil && Date() < until {
      port = try? String(contentsOfFile: root + "/port", encoding: .utf8)
      if port == nil { usleep(10_000) }
    }
    let childPort = try XCTUnwrap(port, "the child wrote no port file")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let listeners = try (0..<(w - 1)).map { _ in try TCPRing.listen(on: try Endpoint(parsing: "127.0.0.1:0")) }
    let endpoints = listeners.map(\.endpoint) + [try Endpoint(parsing: "127.0.0.1:\(childPort)")]
    try Data(endpoints.map(\.description).joined(separator: ",").utf8)
      .write(to: URL(fileURLWithPath: root + "/endpoints"))

    let shared = Shared(listeners)
    let secret = try Secret(bytes: secretBytes)
    let rounds = Counter()
    let pid = child.processIdentifier
    typealias Outcome = (error: CollectiveError?, seconds: Double, round: Int)
    let results: [Result<Outcome, Error>] = onThreads(w - 1) { (r: Int) throws -> Outcome in
      var options = CollectiveOptions(timeout: timeout, sharedMemory: links != .tcp, sharedMemoryGroup: links == .group)
      options.groupMinWorldSize = 2
      let c = try TCPRing.connect(rank: r, endpoints: endpoints, secret: secret, options: options,
                                  listener: shared.value[r])
      defer { c.close() }
      var buf = testValues(n, rank: r)
      try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .sum) }
      XCTAssertNil(firstMismatch(buf, worldSize: w), "the first all-reduce with the child is right")
      var killedAt: Date? = nil
      var round = 0
      while true {
        round += 1
        if r == 0 && round == 3 {
          kill(pid, SIGKILL)  // in the middle of this round's all-reduce, for every rank
        }
        do {
          try c.barrier()
          if r == 0 && round == 3 { killedAt = Date() }
          try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .mean) }
        } catch let e as CollectiveError {
          rounds.add()
          return (e, killedAt.map { Date().timeIntervalSince($0) } ?? 0, round)
        }
        if round > 50 { return (nil, 0, round) }
      }
    }
    child.waitUntilExit()
    XCTAssertEqual(child.terminationReason, .uncaughtSignal)
    // Its ring segment was unlinked at the rendezvous: nothing of it is left in /dev/shm.
    XCTAssertEqual(ringObjects(of: pid), [], "the killed rank's shared memory")
    XCTAssertEqual(ringObjects(), [], "this process's shared memory")
    let childLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    guard let all = values(results) else { return print(childLog) }
    for (r, outcome) in all.enumerated() {
      let seconds = outcome.seconds, round = outcome.round
      guard let error = outcome.error else { XCTFail("rank \(r) never failed (round \(round))"); continue }
      print("\(links): rank \(r) failed after \(seconds) s in round \(round): \(error)")
      XCTAssertEqual(error.peerRank, victim, "rank \(r): \(error)")
      XCTAssertEqual(error.peer, endpoints[victim].description, "rank \(r): \(error)")
      XCTAssertTrue("\(error)".contains("rank \(victim) (127.0.0.1:\(childPort))"), "\(error)")
      XCTAssertLessThan(seconds, timeout + 1, "rank \(r) took \(seconds) s")
      XCTAssertLessThanOrEqual(round, 4, "rank \(r)")
    }
  }
}
