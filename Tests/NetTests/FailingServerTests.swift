import Proto
import XCTest

@testable import Net

/// A server that authenticates, reads one request and then misbehaves, on its own thread.
final class MisbehavingServer: @unchecked Sendable {
  enum Behaviour { case closeMidRequest, stall, closeMidReply }
  let listener: Listener
  let secret: Secret
  private var thread = pthread_t()

  init(_ behaviour: Behaviour, secret: Secret) throws {
    self.secret = secret
    listener = try Listener(listeningOn: try Endpoint(parsing: "127.0.0.1:0"))
    thread = startThread(detached: false) { [self] in
      guard let c = try? listener.accept(deadline: .after(seconds: 3)) else { return }
      guard (try? Authentication.server(c, secret: secret, deadline: .after(seconds: 3))) != nil,
            let (id, _) = try? c.receiveMessage(deadline: .after(seconds: 3))
      else { return }
      switch behaviour {
      case .closeMidRequest:
        c.close()
      case .stall:
        usleep(600_000)
        c.close()
      case .closeMidReply:
        let frame = Message.heartbeatReply(Heartbeat(token: 1)).encodeFrame(requestID: id)
        try? c.send(bytes: Array(frame[..<20]), deadline: .after(seconds: 1))
        c.close()
      }
    }
  }

  func join() {
    pthread_join(thread, nil)
    listener.close()
  }
}

final class FailingServerTests: XCTestCase {
  let secret = try! Secret(bytes: Array("s".utf8))

  private func call(_ behaviour: MisbehavingServer.Behaviour) throws -> (NetError?, Double, String) {
    let server = try MisbehavingServer(behaviour, secret: secret)
    defer { server.join() }
    let c = try Connection.connect(to: server.listener.endpoint, deadline: .after(seconds: 2))
    try Authentication.client(c, secret: secret, role: .trainer, rank: 0,
                              deadline: .after(seconds: 2))
    let start = Deadline.now
    var error: NetError?
    do {
      _ = try c.request(.heartbeat(Heartbeat(token: 1)), deadline: .after(seconds: 0.2))
    } catch let e as NetError {
      error = e
    }
    return (error, Double(Deadline.now.nanoseconds - start.nanoseconds) / 1e9,
            server.listener.endpoint.description)
  }

  func testServerDyingMidRequestFailsTheCallNamingThePeer() throws {
    let (e, elapsed, peer) = try call(.closeMidRequest)
    XCTAssertEqual(e?.code, .peerClosed, "\(String(describing: e))")
    XCTAssertEqual(e?.peer, peer)
    XCTAssertTrue(e?.description.contains(peer) ?? false)
    XCTAssertLessThan(elapsed, 0.5)
  }

  func testStalledServerTimesOutNamingThePeer() throws {
    let (e, elapsed, peer) = try call(.stall)
    XCTAssertEqual(e?.code, .timedOut, "\(String(describing: e))")
    XCTAssertEqual(e?.peer, peer)
    XCTAssertGreaterThanOrEqual(elapsed, 0.19)
    XCTAssertLessThan(elapsed, 0.5, "a 200 ms deadline took \(elapsed) s")
  }

  func testServerDyingMidReplyIsReportedAsMidFrame() throws {
    let (e, _, peer) = try call(.closeMidReply)
    XCTAssertEqual(e?.code, .peerClosed)
    XCTAssertEqual(e?.peer, peer)
    XCTAssertTrue(e?.message.contains("middle of a frame") ?? false, "\(String(describing: e))")
  }
}
