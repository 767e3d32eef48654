import Proto

/// The socket glue around `ServerHandshake` / `ClientHandshake`: receive, ask the state machine,
/// do what it says. During the handshake a peer may send at most `Proto.handshakeMaxPayload`
/// bytes per frame, so an unauthenticated peer cannot make us allocate.
public enum Authentication {
  /// Server side: the first exchange on an accepted connection. On any failure (wrong or
  /// malformed first message, wrong proof, garbage, silence past `deadline`) the connection is
  /// closed before anything else is sent, and the error says why (for the log).
  public static func server(_ connection: Connection, secret: Secret, deadline: Deadline) throws
    -> PeerIdentity
  {
    let saved = connection.maxPayload
    connection.maxPayload = min(saved, Proto.handshakeMaxPayload)
    defer { connection.maxPayload = saved }
    var machine = ServerHandshake(secret: secret.bytes,
                                  serverNonce: try Crypto.randomBytes(Handshake.nonceSize))
    do {
      while true {
        let (id, message) = try connection.receiveMessage(deadline: deadline)
        switch machine.receive(message) {
        case .send(let reply):
          try connection.send(reply, requestID: id, deadline: deadline)
        case .accept(let reply, let identity):
          try connection.send(reply, requestID: id, deadline: deadline)
          return identity
        case .reject(let reason):
          connection.close()
          throw NetError(.authenticationFailed, reason, peer: connection.peer.description)
        }
      }
    } catch let e as NetError {
      connection.close()
      if e.code == .authenticationFailed { throw e }
      throw NetError(.authenticationFailed,
                     "refused before authentication (\(e.code.rawValue)): \(e.message)",
                     peer: e.peer ?? connection.peer.description, requestID: e.requestID,
                     proto: e.proto)
    }
  }

  /// Client side: hello, proof, and a check of the server's proof. A server that closes the
  /// connection during the handshake has refused us, almost always over a different secret.
  public static func client(_ connection: Connection, secret: Secret, role: ClientRole,
                            rank: UInt32, deadline: Deadline) throws {
    var machine = ClientHandshake(secret: secret.bytes, role: role, rank: rank,
                                  clientNonce: try Crypto.randomBytes(Handshake.nonceSize))
    let saved = connection.maxPayload
    connection.maxPayload = min(saved, Proto.handshakeMaxPayload)
    defer { connection.maxPayload = saved }
    var requestID: UInt64 = 0
    do {
      try connection.send(machine.start(), requestID: requestID, deadline: deadline)
      while true {
        let (_, message) = try connection.receiveMessage(deadline: deadline)
        switch machine.receive(message) {
        case .send(let next):
          requestID += 1
          try connection.send(next, requestID: requestID, deadline: deadline)
        case .done:
          return
        case .fail(let reason):
          connection.close()
          throw NetError(.authenticationFailed, reason, peer: connection.peer.description)
        }
      }
    } catch let e as NetError where e.code == .peerClosed {
      connection.close()
      throw NetError(.authenticationFailed, "the server closed the connection during "
        + "authentication: it refused our proof (is the secret file the same job's?) or our "
        + "hello", peer: connection.peer.description)
    }
  }
}
