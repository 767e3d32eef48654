import Proto
import XCTest

@testable import Net

/// Rows that stay where they are for the server's lifetime (like a mapped partition's).
final class RowStore: @unchecked Sendable {
  let rows: UnsafeMutablePointer<Float>
  let count: Int
  init(count: Int) {
    self.count = count
    rows = .allocate(capacity: 2 * count)
    for i in 0..<count { rows[2 * i] = Float(i); rows[2 * i + 1] = Float(i) + 0.25 }
  }
  deinit { rows.deallocate() }
}

/// `Reply.segments` through a real server on 127.0.0.1: the frame written from pieces (a
/// header, scratch counts, rows where they live) decodes to the same message as a gathered one;
/// its crc32 is present and verified unless the request welcomed an unchecked reply and the
/// payload is large; an unchecked one is refused by a receiver that did not opt in.
final class SegmentedReplyTests: XCTestCase {
  let secret = try! Secret(bytes: Array("the-job-secret".utf8))
  static let store = RowStore(count: 50_000)
  var server: Server!

  override func setUp() {
    let store = Self.store
    server = try! Server(listeningOn: try! Endpoint(parsing: "127.0.0.1:0"), secret: secret,
                         options: ServerOptions(handshakeTimeout: 1, idleTimeout: 5, sendTimeout: 5),
                         log: { _ in }, frameHandler: { r in
      guard case .pullEmbeddings(let p) = r.message else { throw ErrorReply(code: .unsupported, message: "", requestID: 0) }
      // FloatRows: u32 width · u32 count · rows, each row a piece pointing into the store.
      let s = IOSegments.frame(capacity: p.ids.count + 1)
      var head = (UInt32(2).littleEndian, UInt32(2 * p.ids.count).littleEndian)
      s.appendScratch(byteCount: 8).copyMemory(from: &head, byteCount: 8)
      let offsets = p.ids.map { Int($0) }
      offsets.withUnsafeBufferPointer { s.appendRows(base: UnsafeMutableRawPointer(store.rows), rowBytes: 8, positions: $0) }
      s.keepAlive = [store]
      return .segments(kind: .embeddings, s)
    })
    server.start()
  }

  override func tearDown() {
    server.stop()
    server = nil
  }

  func expected(_ ids: [Int64]) -> Message {
    .embeddings(FloatRows(width: 2, values: ids.flatMap { [Float($0), Float($0) + 0.25] }))
  }

  func connect() throws -> Connection {
    let c = try Connection.connect(to: server.endpoint, deadline: .after(seconds: 2))
    try Authentication.client(c, secret: secret, role: .trainer, rank: 0, deadline: .after(seconds: 2))
    return c
  }

  func testSegmentedRepliesEqualGatheredOnesWithTheCRCUnlessWelcomedAndLarge() throws {
    let c = try connect()
    c.acceptsUncheckedPayload = true
    let small: [Int64] = [7, 3, 3, 49_999]
    // Random ids, some adjacent (merged pieces): 40k rows × 8 bytes, over the 64 KiB threshold.
    var g = UInt64(12345)
    let large: [Int64] = (0..<40_000).map { i in
      g = g &* 6364136223846793005 &+ 1442695040888963407
      return i % 3 == 0 ? Int64(i) : Int64((g >> 33) % 50_000)
    }
    for (ids, welcome, unchecked) in [(small, true, false), (large, false, false), (large, true, true)] {
      let id = c.makeRequestID()
      try c.send(.pullEmbeddings(PullEmbeddings(nodeType: 0, ids: ids)), requestID: id,
                 flags: welcome ? Proto.Flags.uncheckedReplyWelcome : 0, deadline: .after(seconds: 2))
      let f = try c.receive(deadline: .after(seconds: 5))
      XCTAssertEqual(f.requestID, id)
      XCTAssertEqual(f.kind, .embeddings)
      XCTAssertEqual(f.flags & Proto.Flags.uncheckedPayload != 0, unchecked, "\(ids.count) ids, welcome \(welcome)")
      XCTAssertEqual(try f.message(), expected(ids))
      if !unchecked {
        // The whole frame as sent: header with the payload's crc32, byte for byte a gathered frame.
        XCTAssertEqual(Frame(kind: .embeddings, requestID: id, payload: f.payload).encoded(),
                       expected(ids).encodeFrame(requestID: id))
      }
    }
  }

  func testUncheckedSegmentedReplyIsRefusedByAReceiverThatDidNotOptIn() throws {
    let c = try connect()
    let ids = [Int64](0..<20_000)
    try c.send(.pullEmbeddings(PullEmbeddings(nodeType: 0, ids: ids)), requestID: c.makeRequestID(),
               flags: Proto.Flags.uncheckedReplyWelcome, deadline: .after(seconds: 2))
    XCTAssertThrowsError(try c.receive(deadline: .after(seconds: 5))) { e in
      XCTAssertEqual((e as? NetError)?.code, .protocolError, "\(e)")
    }
  }

  func testUncheckedRequestsAreAcceptedFromLoopbackPeersOnly() throws {
    XCTAssertTrue(try Endpoint(parsing: "127.0.0.1:5").isLoopback)
    XCTAssertTrue(try Endpoint(parsing: "127.3.0.9:5").isLoopback)
    XCTAssertTrue(try Endpoint(parsing: "[::1]:5").isLoopback)
    XCTAssertFalse(try Endpoint(parsing: "10.0.0.7:5").isLoopback)
    XCTAssertFalse(try Endpoint(parsing: "[fe80::1]:5").isLoopback)
    let ids = [Int64](0..<20_000)
    // From 127.0.0.1: answered.
    let c = try connect()
    c.acceptsUncheckedPayload = true
    try c.send(.pullEmbeddings(PullEmbeddings(nodeType: 0, ids: ids)), requestID: 9,
               flags: Proto.Flags.uncheckedPayload | Proto.Flags.uncheckedReplyWelcome, deadline: .after(seconds: 2))
    XCTAssertEqual(try c.receive(deadline: .after(seconds: 5)).message(), expected(ids))
    // A server that treats its peers as remote (what a non-loopback peer gets): a checksum
    // error reply, then the connection is closed.
    var options = ServerOptions(handshakeTimeout: 1, idleTimeout: 5, sendTimeout: 5)
    options.uncheckedRequestsFromLoopback = false
    let strict = try Server(listeningOn: try Endpoint(parsing: "127.0.0.1:0"), secret: secret, options: options,
                            log: { _ in }) { _ in .heartbeatReply(Heartbeat(token: 1)) }
    strict.start()
    defer { strict.stop() }
    let d = try Connection.connect(to: strict.endpoint, deadline: .after(seconds: 2))
    try Authentication.client(d, secret: secret, role: .trainer, rank: 0, deadline: .after(seconds: 2))
    try d.send(.pullEmbeddings(PullEmbeddings(nodeType: 0, ids: ids)), requestID: 3,
               flags: Proto.Flags.uncheckedPayload, deadline: .after(seconds: 2))
    guard case .error(let e) = try d.receive(deadline: .after(seconds: 5)).message() else { return XCTFail("expected an error reply") }
    XCTAssertEqual(e.code, .badRequest)
    XCTAssertTrue(e.message.contains("crc"), e.message)
    XCTAssertThrowsError(try d.receive(deadline: .after(seconds: 2)))
  }
}
