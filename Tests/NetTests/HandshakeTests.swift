import Proto
import XCTest

@testable import Net

/// The authentication state machines, driven without sockets.
final class HandshakeTests: XCTestCase {
  let secret = Array("job-secret-42".utf8)
  let clientNonce = [UInt8](repeating: 0x11, count: 32)
  let serverNonce = [UInt8](repeating: 0x22, count: 32)

  /// Runs both machines against each other; returns the server's last action.
  private func run(clientSecret: [UInt8], serverSecret: [UInt8])
    -> (server: ServerHandshake.Action?, client: ClientHandshake.Action?)
  {
    var client = ClientHandshake(secret: clientSecret, role: .trainer, rank: 5,
                                 clientNonce: clientNonce)
    var server = ServerHandshake(secret: serverSecret, serverNonce: serverNonce)
    var toServer = client.start()
    while true {
      let s = server.receive(toServer)
      switch s {
      case .send(let m):
        let c = client.receive(m)
        guard case .send(let next) = c else { return (s, c) }
        toServer = next
      case .accept(let m, _):
        return (s, client.receive(m))
      case .reject:
        return (s, nil)
      }
    }
  }

  func testHMACSHA256KnownVector() {
    // RFC 4231, test case 2.
    let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8),
                                data: Array("what do ya want for nothing?".utf8))
    let hex = mac.map { String(format2($0)) }.joined()
    XCTAssertEqual(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
  }

  private func format2(_ b: UInt8) -> String {
    let s = String(b, radix: 16)
    return s.count == 1 ? "0" + s : s
  }

  func testConstantTimeEqualAndRandomBytes() throws {
    XCTAssertTrue(Crypto.constantTimeEqual([1, 2, 3], [1, 2, 3]))
    XCTAssertFalse(Crypto.constantTimeEqual([1, 2, 3], [1, 2, 4]))
    XCTAssertFalse(Crypto.constantTimeEqual([1, 2, 3], [1, 2]))
    let a = try Crypto.randomBytes(32), b = try Crypto.randomBytes(32)
    XCTAssertEqual(a.count, 32)
    XCTAssertNotEqual(a, b)
  }

  func testSameSecretAuthenticatesBothWays() {
    let (server, client) = run(clientSecret: secret, serverSecret: secret)
    guard case .accept(.authOK, let identity)? = server else {
      return XCTFail("server did not accept: \(String(describing: server))")
    }
    XCTAssertEqual(identity, PeerIdentity(role: .trainer, rank: 5))
    XCTAssertEqual(client, .done)
  }

  func testWrongSecretIsRejectedAtTheProof() {
    let (server, _) = run(clientSecret: Array("other".utf8), serverSecret: secret)
    guard case .reject(let reason)? = server else { return XCTFail("\(String(describing: server))") }
    XCTAssertTrue(reason.contains("wrong proof"), reason)
  }

  func testAnythingButHelloFirstIsRejected() {
    for first: Message in [.heartbeat(Heartbeat(token: 1)), .proof(Proof(hmac: [1])),
                           .partitionInfoRequest, .shutdown, .challenge(Challenge(nonce: serverNonce))] {
      var server = ServerHandshake(secret: secret, serverNonce: serverNonce)
      guard case .reject(let reason) = server.receive(first) else {
        return XCTFail("\(first.kind) accepted first")
      }
      XCTAssertTrue(reason.contains("expected hello"), reason)
      // Rejected is final.
      guard case .reject = server.receive(.hello(Hello(role: .trainer, rank: 0, nonce: clientNonce)))
      else { return XCTFail("a rejected handshake accepted a hello") }
    }
  }

  func testShortNonceAndWrongSecondMessageAreRejected() {
    var server = ServerHandshake(secret: secret, serverNonce: serverNonce)
    guard case .reject = server.receive(.hello(Hello(role: .tool, rank: 0, nonce: [1, 2]))) else {
      return XCTFail("short nonce accepted")
    }
    server = ServerHandshake(secret: secret, serverNonce: serverNonce)
    _ = server.receive(.hello(Hello(role: .tool, rank: 0, nonce: clientNonce)))
    guard case .reject(let reason) = server.receive(.heartbeat(Heartbeat(token: 0))) else {
      return XCTFail("heartbeat accepted instead of a proof")
    }
    XCTAssertTrue(reason.contains("expected proof"), reason)
  }

  /// A proof recorded from one session is worthless against a new server nonce.
  func testReplayedProofIsRejected() {
    var client = ClientHandshake(secret: secret, role: .trainer, rank: 1, clientNonce: clientNonce)
    var first = ServerHandshake(secret: secret, serverNonce: serverNonce)
    guard case .send(let challenge) = first.receive(client.start()),
          case .send(let proof) = client.receive(challenge)
    else { return XCTFail("handshake did not progress") }
    var second = ServerHandshake(secret: secret, serverNonce: [UInt8](repeating: 0x33, count: 32))
    _ = second.receive(.hello(Hello(role: .trainer, rank: 1, nonce: clientNonce)))
    guard case .reject = second.receive(proof) else { return XCTFail("replayed proof accepted") }
  }

  /// The client checks the server's proof: an impostor without the secret is caught.
  func testClientRejectsAServerWithoutTheSecret() {
    var client = ClientHandshake(secret: secret, role: .trainer, rank: 1, clientNonce: clientNonce)
    _ = client.start()
    guard case .send = client.receive(.challenge(Challenge(nonce: serverNonce))) else {
      return XCTFail("no proof sent")
    }
    guard case .fail(let reason) = client.receive(.authOK(AuthOK(serverProof: [UInt8](repeating: 0, count: 32))))
    else { return XCTFail("forged server proof accepted") }
    XCTAssertTrue(reason.contains("server's proof"), reason)
  }

  func testClientFailsOnErrorOrUnexpectedReplies() {
    var client = ClientHandshake(secret: secret, role: .trainer, rank: 1, clientNonce: clientNonce)
    _ = client.start()
    guard case .fail(let r1) = client.receive(.error(ErrorReply(code: .shuttingDown, message: "bye", requestID: 0)))
    else { return XCTFail() }
    XCTAssertTrue(r1.contains("bye"))
    client = ClientHandshake(secret: secret, role: .trainer, rank: 1, clientNonce: clientNonce)
    _ = client.start()
    guard case .fail = client.receive(.authOK(AuthOK(serverProof: []))) else {
      return XCTFail("authOK before the challenge accepted")
    }
  }
}

final class EndpointAndSecretTests: XCTestCase {
  func testParsing() throws {
    XCTAssertEqual(try Endpoint(parsing: "127.0.0.1:7000").description, "127.0.0.1:7000")
    XCTAssertEqual(try Endpoint(parsing: "[::1]:80").description, "[::1]:80")
    XCTAssertEqual(try Endpoint(parsing: "0.0.0.0:0").port, 0)
    for bad in ["localhost:80", "1.2.3.4", "1.2.3.4:70000", "::1:80", "[::1]80", "1.2.3.4:x"] {
      XCTAssertThrowsError(try Endpoint(parsing: bad), bad) {
        XCTAssertEqual(($0 as? NetError)?.code, .invalidAddress)
      }
    }
  }

  func testSecretFiles() throws {
    let dir = "/tmp/gust-net-tests-\(getpid())"
    mkdir(dir, 0o700)
    defer { _ = system("rm -rf \(dir)") }
    let good = "\(dir)/secret", empty = "\(dir)/empty"
    XCTAssertTrue(write(file: good, "s3cret\n"))
    XCTAssertTrue(write(file: empty, ""))
    XCTAssertEqual(try Secret.load(path: good).bytes, Array("s3cret\n".utf8))
    XCTAssertThrowsError(try Secret.load(path: empty)) {
      let e = $0 as? NetError
      XCTAssertEqual(e?.code, .secret)
      XCTAssertTrue(e?.message.contains(empty) ?? false, "\($0)")
    }
    XCTAssertThrowsError(try Secret.load(path: "\(dir)/missing")) {
      XCTAssertTrue(($0 as? NetError)?.message.contains("\(dir)/missing") ?? false, "\($0)")
    }
    XCTAssertEqual(try Secret.random().bytes.count, 32)
  }
}

func write(file: String, _ text: String) -> Bool {
  let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  guard fd >= 0 else { return false }
  defer { close(fd) }
  var t = text
  return t.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) } == text.utf8.count
}
