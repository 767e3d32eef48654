import Proto

/// Every failure the Net target reports: what happened, with whom (the peer's host:port) and on
/// which request, and what to do about it where there is something to do.
public struct NetError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable {
    case invalidAddress        // not an IP:PORT this layer accepts
    case listenFailed          // socket/bind/listen refused (address in use, not local, ...)
    case connectFailed         // no connection before the deadline
    case timedOut              // the peer said nothing (or not enough) before the deadline
    case peerClosed            // the peer closed or reset the connection
    case io                    // another socket error
    case protocolError         // the peer sent a frame the decoder refused (see `proto`)
    case authenticationFailed  // the handshake failed: wrong secret, wrong first message
    case remoteError           // the peer answered with an error reply (see `remote`)
    case unexpectedReply       // a reply of the wrong kind or for another request
    case secret                // the secret file is missing, unreadable or empty
  }

  public var code: Code
  public var message: String
  /// "host:port" of the other side, when there is one.
  public var peer: String?
  public var requestID: UInt64?
  /// The decoder's error, for `protocolError`.
  public var proto: ProtoError?
  /// The peer's error reply, for `remoteError`.
  public var remote: ErrorReply?

  public init(_ code: Code, _ message: String, peer: String? = nil, requestID: UInt64? = nil,
              proto: ProtoError? = nil, remote: ErrorReply? = nil) {
    self.code = code
    self.message = message
    self.peer = peer
    self.requestID = requestID
    self.proto = proto
    self.remote = remote
  }

  public var description: String {
    var ctx: [String] = []
    if let peer { ctx.append("peer \(peer)") }
    if let requestID { ctx.append("request \(requestID)") }
    let prefix = ctx.isEmpty ? "" : ctx.joined(separator: ", ") + ": "
    return "net: \(prefix)\(code.rawValue): \(message)"
  }
}
