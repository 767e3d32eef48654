import Proto

/// The challenge–response over the per-job secret, as two pure state machines (DESIGN
/// principle 6): they are fed the messages that arrive and return what to do; the caller
/// (`Authentication`) does the I/O. Tests drive them without sockets.
///
///   client: hello(role, rank, clientNonce)          → server: challenge(serverNonce)
///   client: proof = HMAC(secret, "gust-auth-v1 client" ‖ transcript)
///   server: authOK(HMAC(secret, "gust-auth-v1 server" ‖ transcript))
///
/// transcript = `u16 role ‖ u32 rank ‖ bytes clientNonce ‖ bytes serverNonce` (Proto's wire
/// encoding). Both nonces are 32 random bytes, so a recorded proof never matches a new
/// challenge. The server's proof shows the client it talks to a holder of the secret too.
public enum Handshake {
  public static let nonceSize = 32
  public static let proofSize = 32

  static func transcript(_ label: String, _ hello: Hello, serverNonce: [UInt8]) -> [UInt8] {
    var w = WireWriter(reservingCapacity: 128)
    w.write(label)
    w.write(hello.role.rawValue)
    w.write(hello.rank)
    w.writeBytes(hello.nonce)
    w.writeBytes(serverNonce)
    return w.bytes
  }

  static func clientProof(secret: [UInt8], hello: Hello, serverNonce: [UInt8]) -> [UInt8] {
    Crypto.hmacSHA256(key: secret,
                      data: transcript("gust-auth-v1 client", hello, serverNonce: serverNonce))
  }

  static func serverProof(secret: [UInt8], hello: Hello, serverNonce: [UInt8]) -> [UInt8] {
    Crypto.hmacSHA256(key: secret,
                      data: transcript("gust-auth-v1 server", hello, serverNonce: serverNonce))
  }
}

/// Who authenticated: the role and rank the client announced (and proved with the secret).
public struct PeerIdentity: Equatable, Sendable {
  public var role: ClientRole
  public var rank: UInt32
}

/// The server's side. Anything but a well-formed hello first, or anything but a correct proof
/// second, rejects: the connection is closed without another byte sent.
public struct ServerHandshake: Sendable {
  public enum Action: Equatable, Sendable {
    /// Send this message and wait for the next one.
    case send(Message)
    /// Send this message (authOK); the peer is authenticated.
    case accept(Message, PeerIdentity)
    /// Close the connection without sending anything; `reason` is for the log.
    case reject(reason: String)
  }

  enum State: Sendable {
    case awaitingHello
    case awaitingProof(Hello)
    case accepted
    case rejected
  }

  private let secret: [UInt8]
  private let serverNonce: [UInt8]
  private(set) var state = State.awaitingHello

  /// `serverNonce`: 32 fresh random bytes (`Crypto.randomBytes`); tests pass fixed ones.
  public init(secret: [UInt8], serverNonce: [UInt8]) {
    precondition(!secret.isEmpty, "empty secret")
    precondition(serverNonce.count == Handshake.nonceSize, "server nonce must be 32 bytes")
    self.secret = secret
    self.serverNonce = serverNonce
  }

  public var isAccepted: Bool { if case .accepted = state { true } else { false } }

  public mutating func receive(_ message: Message) -> Action {
    switch (state, message) {
    case (.awaitingHello, .hello(let hello)):
      guard hello.nonce.count == Handshake.nonceSize else {
        return reject("hello carries a \(hello.nonce.count)-byte nonce, expected 32")
      }
      state = .awaitingProof(hello)
      return .send(.challenge(Challenge(nonce: serverNonce)))
    case (.awaitingHello, _):
      return reject("first message was \(message.kind), expected hello")
    case (.awaitingProof(let hello), .proof(let proof)):
      let expected = Handshake.clientProof(secret: secret, hello: hello, serverNonce: serverNonce)
      guard Crypto.constantTimeEqual(proof.hmac, expected) else {
        return reject("wrong proof from \(hello.role) rank \(hello.rank): the client's secret "
          + "differs from this server's")
      }
      state = .accepted
      let mine = Handshake.serverProof(secret: secret, hello: hello, serverNonce: serverNonce)
      return .accept(.authOK(AuthOK(serverProof: mine)),
                     PeerIdentity(role: hello.role, rank: hello.rank))
    case (.awaitingProof, _):
      return reject("second message was \(message.kind), expected proof")
    case (.accepted, _), (.rejected, _):
      return reject("handshake already finished; \(message.kind) is not part of it")
    }
  }

  private mutating func reject(_ reason: String) -> Action {
    state = .rejected
    return .reject(reason: reason)
  }
}

/// The client's side: `start()` gives the hello, then feed it the server's replies.
public struct ClientHandshake: Sendable {
  public enum Action: Equatable, Sendable {
    case send(Message)
    /// The server proved it holds the secret: go ahead with requests.
    case done
    /// Stop and close; `reason` says why.
    case fail(reason: String)
  }

  enum State: Sendable {
    case idle
    case awaitingChallenge
    case awaitingOK(serverNonce: [UInt8])
    case done
    case failed
  }

  private let secret: [UInt8]
  private let hello: Hello
  private(set) var state = State.idle

  /// `clientNonce`: 32 fresh random bytes (`Crypto.randomBytes`); tests pass fixed ones.
  public init(secret: [UInt8], role: ClientRole, rank: UInt32, clientNonce: [UInt8]) {
    precondition(!secret.isEmpty, "empty secret")
    precondition(clientNonce.count == Handshake.nonceSize, "client nonce must be 32 bytes")
    self.secret = secret
    self.hello = Hello(role: role, rank: rank, nonce: clientNonce)
  }

  public mutating func start() -> Message {
    precondition(isIdle, "start() called twice")
    state = .awaitingChallenge
    return .hello(hello)
  }

  private var isIdle: Bool { if case .idle = state { true } else { false } }

  public mutating func receive(_ message: Message) -> Action {
    switch (state, message) {
    case (_, .error(let e)):
      return fail("server refused: \(e.code): \(e.message)")
    case (.awaitingChallenge, .challenge(let c)):
      guard c.nonce.count == Handshake.nonceSize else {
        return fail("challenge carries a \(c.nonce.count)-byte nonce, expected 32")
      }
      state = .awaitingOK(serverNonce: c.nonce)
      let proof = Handshake.clientProof(secret: secret, hello: hello, serverNonce: c.nonce)
      return .send(.proof(Proof(hmac: proof)))
    case (.awaitingOK(let serverNonce), .authOK(let ok)):
      let expected = Handshake.serverProof(secret: secret, hello: hello, serverNonce: serverNonce)
      guard Crypto.constantTimeEqual(ok.serverProof, expected) else {
        return fail("the server's proof is wrong: it does not hold this job's secret")
      }
      state = .done
      return .done
    default:
      return fail("unexpected \(message.kind) during authentication")
    }
  }

  private mutating func fail(_ reason: String) -> Action {
    state = .failed
    return .fail(reason: reason)
  }
}
