import Net
import Proto

/// Every failure of the graph client: what went wrong and with which server ("partition 1
/// server 0 at 127.0.0.1:7001"), or which id or name of the caller's request.
public struct GraphClientError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable {
    case invalidArgument  // an id, type or name the caller passed is wrong (checked before sending)
    case connectFailed    // could not connect or authenticate before the deadline
    case timedOut         // the server did not answer before the deadline
    case serverClosed     // the server closed the connection (it died or was stopped)
    case remote           // the server answered with an error reply (see `remote`)
    case protocolError    // the server's reply could not be decoded or does not fit the request
  }

  public var code: Code
  public var message: String
  /// The server involved, when there is one.
  public var server: String?
  /// The server's error reply, for `remote`.
  public var remote: ErrorReply?

  public init(_ code: Code, _ message: String, server: String? = nil, remote: ErrorReply? = nil) {
    self.code = code
    self.message = message
    self.server = server
    self.remote = remote
  }

  public var description: String {
    "graph client: " + (server.map { "\($0): " } ?? "") + "\(code.rawValue): \(message)"
  }

  /// Translates a socket error on the link to `server`.
  static func from(_ e: NetError, server: String) -> GraphClientError {
    switch e.code {
    case .timedOut: return GraphClientError(.timedOut, e.message, server: server)
    case .peerClosed: return GraphClientError(.serverClosed, e.message + " (did the server die?)", server: server)
    case .connectFailed, .authenticationFailed, .invalidAddress, .secret:
      return GraphClientError(.connectFailed, e.message, server: server)
    case .remoteError:
      return GraphClientError(.remote, e.message, server: server, remote: e.remote)
    default: return GraphClientError(.protocolError, e.description, server: server)
    }
  }
}
