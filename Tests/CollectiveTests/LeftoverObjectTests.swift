import Collective
import Foundation
import Net
import XCTest

/// A rank process SIGKILLed inside the rendezvous, after creating its shared-memory object and
/// before its neighbours mapped it, leaves the object in /dev/shm (nobody else unlinks it). These
/// tests make that happen for real — a `gust-bench collective-rank` child whose ring peer (this
/// test, over real authenticated connections) completes the handshakes and never sends its link
/// offer — and check the two clean-ups: `SharedMemoryObjects.removeAbandoned(job:)` (what the
/// launcher runs when a job ends) and the next rendezvous of the same job tag. Objects of a live
/// rank of the job, of another job tag and with another name survive both.
final class LeftoverObjectTests: XCTestCase {
  /// A job tag of this test run (1…16 of 0-9a-z).
  let job = "t" + String(UInt32(getpid()), radix: 36) + String(UInt32.random(in: 0..<(1 << 20)), radix: 36)
  var made: [String] = []
  var children: [Process] = []
  var listeners: [Listener] = []
  var connections: [Connection] = []

  override func tearDown() {
    for c in children where c.isRunning { kill(c.processIdentifier, SIGKILL) }
    for c in children { c.waitUntilExit() }
    for c in connections { c.close() }
    for l in listeners { l.close() }
    for n in made { shm_unlink("/" + n) }
    for n in SharedMemoryObjects.objects(job: job) { shm_unlink("/" + n) }
  }

  /// Starts rank 1 of a 2-rank ring as a child with the job tag; this test is rank 0: it
  /// accepts and authenticates the child's connection, connects and authenticates to it, and
  /// stays silent. The child then creates its ring segment, offers it and waits for rank 0's
  /// offer. Returns the child and the name of its object once it is in /dev/shm.
  func rankStuckInsideTheRendezvous(_ exe: String, _ dir: String, tag: String) throws -> (Process, String) {
    let tagDir = dir + "/\(children.count)"
    try FileManager.default.createDirectory(atPath: tagDir, withIntermediateDirectories: true)
    let secretBytes = Array("leftover-object-secret".utf8)
    try Data(secretBytes).write(to: URL(fileURLWithPath: tagDir + "/secret"))
    let child = Process()
    child.executableURL = URL(fileURLWithPath: exe)
    child.arguments = ["collective-rank", "--rank", "1", "--world-size", "2", "--port-file", tagDir + "/port",
                       "--endpoints-file", tagDir + "/endpoints", "--secret-file", tagDir + "/secret",
                       "--floats", "16", "--iterations", "1", "--timeout", "30", "--links", "ring", "--shm-tag", tag]
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"
    child.environment = environment
    child.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    child.standardError = FileHandle(forWritingAtPath: "/dev/null")
    let before = Set(SharedMemoryObjects.objects(job: tag))
    try child.run()
    children.append(child)

    var port: String? = nil
    let until = Date().addingTimeInterval(30)
    while port == nil && Date() < until && child.isRunning {
      port = try? String(contentsOfFile: tagDir + "/port", encoding: .utf8)
      if port == nil { usleep(5_000) }
    }
    let childEndpoint = try Endpoint(parsing: "127.0.0.1:" + XCTUnwrap(port, "no port file").trimmingCharacters(in: .whitespacesAndNewlines))
    let listener = try Listener(listeningOn: try Endpoint(parsing: "127.0.0.1:0"))
    listeners.append(listener)
    try Data("\(listener.endpoint),\(childEndpoint)".utf8).write(to: URL(fileURLWithPath: tagDir + "/endpoints"))
    let secret = try Secret(bytes: secretBytes)
    let deadline = Deadline.after(seconds: 20)
    // Rank 0 → rank 1 (the child accepts on its own thread), then the child's connection to rank 0.
    let right = try Connection.connect(to: childEndpoint, deadline: deadline)
    connections.append(right)
    try Authentication.client(right, secret: secret, role: .trainer, rank: 0, deadline: deadline)
    let left = try XCTUnwrap(try listener.accept(deadline: deadline), "the child did not connect")
    connections.append(left)
    let who = try Authentication.server(left, secret: secret, deadline: deadline)
    XCTAssertEqual(who.rank, 1)

    var created: String? = nil
    while created == nil && Date() < until && child.isRunning {
      created = SharedMemoryObjects.objects(job: tag).first { !before.contains($0) }
      if created == nil { usleep(2_000) }
    }
    return (child, try XCTUnwrap(created, "the child created no shared-memory object"))
  }

  /// Creates an object outside any ring (0600), to see that clean-ups leave it alone.
  func makeObject(_ name: String) throws {
    let fd = shm_open("/" + name, O_RDWR | O_CREAT | O_EXCL, 0o600)
    XCTAssertGreaterThanOrEqual(fd, 0, "shm_open \(name)")
    if fd >= 0 { close(fd); made.append(name) }
  }

  func listing() -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []) }

  /// Two children of the job stuck inside the rendezvous; the first is SIGKILLed, the second
  /// stays alive. Returns the killed child's object, the live child's object and its process,
  /// and the unrelated objects made with the dead pid.
  func killedAndLiveRanks() throws -> (dead: String, live: String, liveChild: Process, others: [String]) {
    guard let exe = KilledPeerTests.benchBinary else {
      throw XCTSkip("gust-bench is not built (swift build --build-tests builds it)")
    }
    XCTAssertEqual(SharedMemoryObjects.objects(job: job), [])
    let dir = NSTemporaryDirectory() + "gust-leftover-\(getpid())-\(job)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    let (victim, dead) = try rankStuckInsideTheRendezvous(exe, dir, tag: job)
    let (survivor, live) = try rankStuckInsideTheRendezvous(exe, dir, tag: job)
    let pid = victim.processIdentifier

    // The name: gust-ring-<job>-<creator pid>-<32 hex digits>, far within NAME_MAX.
    XCTAssertTrue(dead.hasPrefix("gust-ring-\(job)-\(pid)-"), dead)
    XCTAssertEqual(dead.split(separator: "-").last?.count, 32, dead)
    XCTAssertEqual(SharedMemoryObjects.creator(of: dead), pid)
    XCTAssertLessThanOrEqual(dead.utf8.count + 1, 77)

    kill(pid, SIGKILL)
    victim.waitUntilExit()
    XCTAssertEqual(victim.terminationReason, .uncaughtSignal)
    // The same dead creator under another job's tag, and an object that is not Gust's at all.
    let other = "gust-ring-\(job)x-\(pid)-" + String(repeating: "0", count: 32)
    let foreign = "gust-test-foreign-\(getpid())-\(job)"
    try makeObject(other)
    try makeObject(foreign)
    // Nothing removed it: a rank killed inside the rendezvous leaves its object behind.
    XCTAssertTrue(listing().isSuperset(of: [dead, live, other, foreign]), "\(listing())")
    return (dead, live, survivor, [other, foreign])
  }

  /// What the launcher runs at the end of a job: the killed rank's object goes; the live rank's,
  /// another tag's (same dead creator) and a foreign one stay; once the live rank is gone too,
  /// its object goes with the next clean-up.
  func testRemoveAbandonedTakesOnlyTheDeadRanksObjectOfTheJob() throws {
    let (dead, live, liveChild, others) = try killedAndLiveRanks()
    XCTAssertEqual(SharedMemoryObjects.removeAbandoned(job: job), [dead])
    XCTAssertEqual(SharedMemoryObjects.objects(job: job), [live])
    XCTAssertTrue(listing().isSuperset(of: others), "\(listing())")
    XCTAssertFalse(listing().contains(dead))

    kill(liveChild.processIdentifier, SIGKILL)
    liveChild.waitUntilExit()
    XCTAssertEqual(SharedMemoryObjects.removeAbandoned(job: job), [live])
    XCTAssertEqual(SharedMemoryObjects.objects(job: job), [])
    XCTAssertTrue(listing().isSuperset(of: others), "\(listing())")
    // A malformed tag touches nothing.
    XCTAssertEqual(SharedMemoryObjects.removeAbandoned(job: job + "-x"), [])
  }

  /// Without a launcher: the next rendezvous of the same job tag removes the dead rank's object
  /// before creating its own (and leaves the live rank's, the other tag's and the foreign one);
  /// a rendezvous without a tag removes nothing.
  func testTheNextRendezvousOfTheJobRemovesTheDeadRanksObject() throws {
    let (dead, live, _, others) = try killedAndLiveRanks()
    var options = CollectiveOptions(timeout: 10, sharedMemoryGroup: false)
    let anonymous = withTCPRing(2, options: options) { c -> Int in
      try c.barrier()
      return c.rank
    }
    XCTAssertEqual(values(anonymous), [0, 1])
    XCTAssertTrue(listing().contains(dead), "a ring without a tag removed the job's object")

    options.sharedMemoryJob = job
    let tagged = withTCPRing(2, options: options) { c -> Int in
      var buf = testValues(1000, rank: c.rank)
      try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: 1000, op: .sum) }
      XCTAssertNil(firstMismatch(buf, worldSize: 2))
      return c.rank
    }
    XCTAssertEqual(values(tagged), [0, 1])
    // The ring's own objects were unlinked at its rendezvous as always.
    XCTAssertEqual(SharedMemoryObjects.objects(job: job), [live])
    XCTAssertTrue(listing().isSuperset(of: others), "\(listing())")
  }

  func testJobTagsAndNames() {
    XCTAssertEqual(SharedMemoryObjects.jobTag(runDirectory: "/ws/run"), SharedMemoryObjects.jobTag(runDirectory: "/ws/run"))
    XCTAssertNotEqual(SharedMemoryObjects.jobTag(runDirectory: "/ws/run"), SharedMemoryObjects.jobTag(runDirectory: "/ws/run2"))
    XCTAssertTrue(SharedMemoryObjects.isValidTag(SharedMemoryObjects.jobTag(runDirectory: "/")))
    for bad in ["", "a-b", "ABC", "a/b", String(repeating: "a", count: 17)] {
      XCTAssertFalse(SharedMemoryObjects.isValidTag(bad), bad)
    }
    XCTAssertEqual(SharedMemoryObjects.prefix(job: "abc"), "gust-ring-abc-")
    XCTAssertEqual(SharedMemoryObjects.creator(of: "/gust-ring-abc-4242-group-00ff"), 4242)
    XCTAssertEqual(SharedMemoryObjects.creator(of: "gust-ring-abc-4242-00ff"), 4242)
    XCTAssertNil(SharedMemoryObjects.creator(of: "gust-ring-abc-x-00ff"))
    XCTAssertNil(SharedMemoryObjects.creator(of: "other-ring-abc-1-00ff"))
    XCTAssertThrowsError(try TCPRing.connect(rank: 0, endpoints: [try Endpoint(parsing: "127.0.0.1:0")],
                                             secret: try Secret(bytes: [1, 2, 3]),
                                             options: CollectiveOptions(sharedMemoryJob: "Bad-Tag"))) { e in
      XCTAssertEqual((e as? CollectiveError)?.code, .badArgument, "\(e)")
      XCTAssertTrue("\(e)".contains("sharedMemoryJob"), "\(e)")
    }
  }
}
