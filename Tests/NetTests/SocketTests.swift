import Proto
import XCTest

@testable import Net

/// Collects log lines from the server threads.
final class LogLines: @unchecked Sendable {
  private let lock = Lock()
  private var lines: [String] = []
  func append(_ s: String) { lock.withLock { lines.append(s) } }
  var all: [String] { lock.withLock { lines } }
  func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
  /// Waits up to a second for a line containing `text` (server threads log asynchronously).
  func waitFor(_ text: String) -> Bool {
    let deadline = Deadline.after(seconds: 1)
    while !deadline.hasPassed {
      if contains(text) { return true }
      usleep(5_000)
    }
    return false
  }
}

/// Real sockets on 127.0.0.1 with short timeouts: the refusal cases of issue 5, each followed by
/// a good client to show the server still serves.
final class SocketTests: XCTestCase {
  let secret = try! Secret(bytes: Array("the-job-secret".utf8))
  let loopback = try! Endpoint(parsing: "127.0.0.1:0")
  var server: Server!
  var log = LogLines()

  override func setUp() {
    log = LogLines()
    let options = ServerOptions(handshakeTimeout: 0.2, idleTimeout: 5, sendTimeout: 2,
                                maxPayload: 64 << 20)
    server = try! Server(listeningOn: loopback, secret: secret, options: options,
                         log: { [log] in log.append($0) }, handler: SocketTests.echo)
    server.start()
  }

  override func tearDown() {
    if !log.all.isEmpty { print("server log:\n  " + log.all.joined(separator: "\n  ")) }
    server.stop()
    XCTAssertEqual(server.openConnections, 0)
    server = nil
  }

  /// heartbeat → heartbeatReply; pullEmbeddings → one row per id (id, id + 0.5); the node type
  /// 99 → an unknownName error; anything else → unsupported.
  @Sendable static func echo(_ r: Request) throws -> Message {
    switch r.message {
    case .heartbeat(let h): return .heartbeatReply(h)
    case .pullEmbeddings(let p):
      if p.nodeType == 99 {
        throw ErrorReply(code: .unknownName, message: "no node type 99", requestID: 0)
      }
      return .embeddings(FloatRows(width: 2, values: p.ids.flatMap { [Float($0), Float($0) + 0.5] }))
    default:
      throw ErrorReply(code: .unsupported, message: "\(r.message.kind)", requestID: 0)
    }
  }

  private func client(secret: Secret? = nil, timeout: Double = 2) throws -> Connection {
    let c = try Connection.connect(to: server.endpoint, deadline: .after(seconds: timeout))
    try Authentication.client(c, secret: secret ?? self.secret, role: .trainer, rank: 0,
                              deadline: .after(seconds: timeout))
    return c
  }

  /// A good client can still authenticate and get an answer.
  private func assertStillServing(file: StaticString = #filePath, line: UInt = #line) {
    do {
      let c = try client()
      let reply = try c.request(.heartbeat(Heartbeat(token: 77)), deadline: .after(seconds: 2))
      XCTAssertEqual(reply, .heartbeatReply(Heartbeat(token: 77)), file: file, line: line)
    } catch {
      XCTFail("server stopped serving: \(error)", file: file, line: line)
    }
  }

  /// Waits for the server to close `c` and checks it sent nothing first.
  private func assertClosedWithoutData(_ c: Connection, within seconds: Double = 1,
                                       file: StaticString = #filePath, line: UInt = #line) {
    do {
      let f = try c.receive(deadline: .after(seconds: seconds))
      XCTFail("server sent \(f.kind) instead of closing", file: file, line: line)
    } catch let e as NetError {
      XCTAssertEqual(e.code, .peerClosed, "\(e)", file: file, line: line)
      XCTAssertFalse(c.isMidFrame, "bytes arrived before the close", file: file, line: line)
    } catch {
      XCTFail("\(error)", file: file, line: line)
    }
  }

  func testEchoRequestsAndReplies() throws {
    let c = try client()
    XCTAssertEqual(try c.request(.heartbeat(Heartbeat(token: 1)), deadline: .after(seconds: 2)),
                   .heartbeatReply(Heartbeat(token: 1)))
    let ids: [Int64] = Array(0..<300_000)  // a 2.4 MB request, a 2.4 MB reply
    let reply = try c.request(.pullEmbeddings(PullEmbeddings(nodeType: 0, ids: ids)),
                              deadline: .after(seconds: 5))
    guard case .embeddings(let rows) = reply else { return XCTFail("\(reply.kind)") }
    XCTAssertEqual(rows.rowCount, ids.count)
    XCTAssertEqual(rows.values[2 * 123_456 + 1], 123_456.5)
    // Several connections at once, each on its own server thread.
    let others = try (0..<4).map { _ in try client() }
    for (i, o) in others.enumerated() {
      XCTAssertEqual(try o.request(.heartbeat(Heartbeat(token: UInt64(i))), deadline: .after(seconds: 2)),
                     .heartbeatReply(Heartbeat(token: UInt64(i))))
    }
  }

  func testHandlerErrorsReachTheClientAndTheConnectionCarriesOn() throws {
    let c = try client()
    XCTAssertThrowsError(try c.request(.pullEmbeddings(PullEmbeddings(nodeType: 99, ids: [1])),
                                       deadline: .after(seconds: 2))) {
      let e = $0 as? NetError
      XCTAssertEqual(e?.code, .remoteError)
      XCTAssertEqual(e?.remote?.code, .unknownName)
      XCTAssertEqual(e?.remote?.requestID, e?.requestID)
      XCTAssertTrue(e?.description.contains(server.endpoint.description) ?? false)
    }
    XCTAssertThrowsError(try c.request(.shutdown, deadline: .after(seconds: 2))) {
      XCTAssertEqual(($0 as? NetError)?.remote?.code, .unsupported)
    }
    XCTAssertEqual(try c.request(.heartbeat(Heartbeat(token: 3)), deadline: .after(seconds: 2)),
                   .heartbeatReply(Heartbeat(token: 3)))
  }

  func testWrongSecretIsRefused() throws {
    XCTAssertThrowsError(try client(secret: try Secret(bytes: Array("wrong".utf8)))) {
      let e = $0 as? NetError
      XCTAssertEqual(e?.code, .authenticationFailed, "\($0)")
      XCTAssertEqual(e?.peer, server.endpoint.description)
    }
    XCTAssertTrue(log.waitFor("wrong proof"), "\(log.all)")
    assertStillServing()
  }

  func testGarbageFirstIsClosedWithoutAReply() throws {
    let c = try Connection.connect(to: server.endpoint, deadline: .after(seconds: 2))
    try c.send(bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), deadline: .after(seconds: 1))
    assertClosedWithoutData(c)
    XCTAssertTrue(log.waitFor("badMagic"), "\(log.all)")
    assertStillServing()
  }

  func testAnotherRequestBeforeHelloIsClosedWithoutAReply() throws {
    let c = try Connection.connect(to: server.endpoint, deadline: .after(seconds: 2))
    try c.send(.pullEmbeddings(PullEmbeddings(nodeType: 0, ids: [1])), requestID: 1,
               deadline: .after(seconds: 1))
    assertClosedWithoutData(c)
    XCTAssertTrue(log.waitFor("expected hello"), "\(log.all)")
    assertStillServing()
  }

  func testSilentClientIsTimedOut() throws {
    let start = Deadline.now
    let c = try Connection.connect(to: server.endpoint, deadline: .after(seconds: 2))
    assertClosedWithoutData(c, within: 2)
    let elapsed = Double(Deadline.now.nanoseconds - start.nanoseconds) / 1e9
    XCTAssertGreaterThanOrEqual(elapsed, 0.19)
    XCTAssertLessThan(elapsed, 1.0, "the 200 ms handshake timeout took \(elapsed) s")
    XCTAssertTrue(log.waitFor("timedOut"), "\(log.all)")
    assertStillServing()
  }

  /// Before authentication the limit is 4 KiB: the 28-byte header alone gets the connection
  /// closed, no reply, nothing allocated.
  func testFourGigabyteClaimBeforeAuthenticationIsRefused() throws {
    let c = try Connection.connect(to: server.endpoint, deadline: .after(seconds: 2))
    var w = WireWriter()
    w.write(Proto.magicValue); w.write(Proto.version); w.write(MessageKind.hello.rawValue)
    w.write(UInt32(0)); w.write(UInt64(1)); w.write(UInt32.max); w.write(UInt32(0))
    try c.send(bytes: w.bytes, deadline: .after(seconds: 1))
    assertClosedWithoutData(c)
    XCTAssertTrue(log.waitFor("frameTooLarge"), "\(log.all)")
    assertStillServing()
  }

  /// After authentication the limit is the server's maxPayload: a 4 GB claim gets a badRequest
  /// error reply naming the request, then the connection is closed.
  func testFourGigabyteClaimAfterAuthenticationIsRefused() throws {
    let c = try client()
    var w = WireWriter()
    w.write(Proto.magicValue); w.write(Proto.version); w.write(MessageKind.pullNodeFeatures.rawValue)
    w.write(UInt32(0)); w.write(UInt64(9)); w.write(UInt32.max); w.write(UInt32(0))
    try c.send(bytes: w.bytes, deadline: .after(seconds: 1))
    let (id, reply) = try c.receiveMessage(deadline: .after(seconds: 1))
    XCTAssertEqual(id, 9)
    guard case .error(let e) = reply else { return XCTFail("\(reply.kind)") }
    XCTAssertEqual(e.code, .badRequest)
    XCTAssertTrue(e.message.contains("frameTooLarge"), e.message)
    assertClosedWithoutData(c)
    assertStillServing()
  }

  /// stop() wakes connection threads blocked waiting for requests and returns promptly.
  func testStopClosesIdleConnectionsPromptly() throws {
    let idle = try (0..<3).map { _ in try client() }
    let silent = try Connection.connect(to: server.endpoint, deadline: .after(seconds: 2))
    let start = Deadline.now
    server.stop()
    XCTAssertLessThan(Double(Deadline.now.nanoseconds - start.nanoseconds) / 1e9, 0.5)
    XCTAssertEqual(server.openConnections, 0)
    for c in idle + [silent] {
      XCTAssertThrowsError(try c.receive(deadline: .after(seconds: 1))) {
        XCTAssertEqual(($0 as? NetError)?.code, .peerClosed, "\($0)")
      }
    }
    XCTAssertThrowsError(try Connection.connect(to: server.endpoint, deadline: .after(seconds: 0.1)))
  }

  func testConnectRetriesUntilTheServerListensAndFailsNamingThePeer() throws {
    // Nothing listens on a port we just released.
    let probe = try Listener(listeningOn: loopback)
    let free = probe.endpoint
    probe.close()
    let start = Deadline.now
    XCTAssertThrowsError(try Connection.connect(to: free, deadline: .after(seconds: 0.2))) {
      let e = $0 as? NetError
      XCTAssertEqual(e?.code, .connectFailed)
      XCTAssertEqual(e?.peer, free.description)
    }
    XCTAssertLessThan(Double(Deadline.now.nanoseconds - start.nanoseconds) / 1e9, 1.0)
    // A listener that appears 150 ms later is found.
    let late = LateListener(free)
    let c = try Connection.connect(to: free, deadline: .after(seconds: 3))
    XCTAssertTrue(c.isOpen)
    late.stop()
  }
  /// A reply of the expected kind and size is read straight into the plan's pieces (rows in
  /// any order, small fields to scratch), checked or unchecked; an error reply or a reply of
  /// another size arrives as an ordinary frame; the connection stays in step throughout.
  func testScatteredReceivePlacesRowsAndLetsOtherFramesThrough() throws {
    let c = try client()
    func receive(_ plan: Connection.Scatter?) throws -> Connection.Incoming {
      while true {
        if let r = try c.receiveIfReady(scatter: plan) { return r }
        var p = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, 2000)
      }
    }
    for (ids, unchecked) in [([Int64](0..<5), false), (Array(0..<20_000), true)] {
      let n = ids.count
      // Rows land in reverse order: row i of the reply at row n - 1 - i.
      var out = [Float](repeating: -1, count: 2 * n)
      try out.withUnsafeMutableBytes { raw in
        let segments = IOSegments()
        let head = segments.appendScratch(byteCount: 8)
        for i in 0..<n { segments.append(raw.baseAddress! + (n - 1 - i) * 8, byteCount: 8) }
        c.acceptsUncheckedPayload = unchecked
        let flags = unchecked ? Proto.Flags.uncheckedReplyWelcome : 0
        let id = c.makeRequestID()
        try c.send(.pullEmbeddings(PullEmbeddings(nodeType: 1, ids: ids)), requestID: id, flags: flags, deadline: .after(seconds: 2))
        let incoming = try receive(Connection.Scatter(kind: .embeddings, segments: segments))
        if case .frame(let f) = incoming, n < 100 {
          // A small reply may be whole in the first read: it then comes as a frame.
          XCTAssertEqual(try f.message(), .embeddings(FloatRows(width: 2, values: ids.flatMap { [Float($0), Float($0) + 0.5] })))
          for i in 0..<n {
            raw.storeBytes(of: Float(ids[i]), toByteOffset: (n - 1 - i) * 8, as: Float.self)
            raw.storeBytes(of: Float(ids[i]) + 0.5, toByteOffset: (n - 1 - i) * 8 + 4, as: Float.self)
          }
          return
        }
        guard case .scattered(let h) = incoming else { return XCTFail("expected a scattered reply") }
        XCTAssertEqual(h.requestID, id)
        XCTAssertEqual(h.flags & Proto.Flags.uncheckedPayload != 0, unchecked)
        XCTAssertEqual(head.loadUnaligned(as: UInt32.self), 2)
        XCTAssertEqual(head.loadUnaligned(fromByteOffset: 4, as: UInt32.self), UInt32(2 * n))
      }
      for i in 0..<n {
        XCTAssertEqual(out[2 * (n - 1 - i)], Float(ids[i]))
        XCTAssertEqual(out[2 * (n - 1 - i) + 1], Float(ids[i]) + 0.5)
      }
    }
    // An error reply, and a reply of another size, come as frames.
    let segments = IOSegments()
    _ = segments.appendScratch(byteCount: 8 + 2 * 4 * 3)
    try c.send(.pullEmbeddings(PullEmbeddings(nodeType: 99, ids: [1, 2, 3])), requestID: c.makeRequestID(), deadline: .after(seconds: 2))
    guard case .frame(let e) = try receive(Connection.Scatter(kind: .embeddings, segments: segments)) else {
      return XCTFail("an error reply must arrive as a frame")
    }
    XCTAssertEqual(e.kind, .error)
    try c.send(.pullEmbeddings(PullEmbeddings(nodeType: 1, ids: [1, 2])), requestID: c.makeRequestID(), deadline: .after(seconds: 2))
    guard case .frame(let f) = try receive(Connection.Scatter(kind: .embeddings, segments: segments)) else {
      return XCTFail("a reply of another size must arrive as a frame")
    }
    XCTAssertEqual(try f.message(), .embeddings(FloatRows(width: 2, values: [1, 1.5, 2, 2.5])))
    XCTAssertEqual(try c.request(.heartbeat(Heartbeat(token: 5)), deadline: .after(seconds: 2)), .heartbeatReply(Heartbeat(token: 5)))
  }
}

/// Opens a listener on `endpoint` after 150 ms and accepts one connection.
final class LateListener: @unchecked Sendable {
  private var thread = pthread_t()
  init(_ endpoint: Endpoint) {
    thread = startThread(detached: false) {
      usleep(150_000)
      let l = try? Listener(listeningOn: endpoint)
      _ = try? l?.accept(deadline: .after(seconds: 3))
      usleep(100_000)
    }
  }
  func stop() { pthread_join(thread, nil) }

}
