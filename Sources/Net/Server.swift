import Proto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timeouts and limits for `Server`.
public struct ServerOptions: Sendable {
  /// A new connection must finish authenticating within this many seconds.
  public var handshakeTimeout: Double = 5
  /// A connection with no request for this long is closed (a trainer sends heartbeats).
  public var idleTimeout: Double = 600
  /// Sending one reply must finish within this many seconds.
  public var sendTimeout: Double = 60
  /// Largest request payload accepted after authentication.
  public var maxPayload = Proto.defaultMaxPayload
  public var socket = SocketOptions()
  /// Accept requests without a crc32 (`Proto.Flags.uncheckedPayload`) from authenticated
  /// loopback peers; from any other peer they stay a checksum error.
  public var uncheckedRequestsFromLoopback = true

  public init(handshakeTimeout: Double = 5, idleTimeout: Double = 600, sendTimeout: Double = 60,
              maxPayload: Int = Proto.defaultMaxPayload, socket: SocketOptions = SocketOptions()) {
    self.handshakeTimeout = handshakeTimeout
    self.idleTimeout = idleTimeout
    self.sendTimeout = sendTimeout
    self.maxPayload = maxPayload
    self.socket = socket
  }
}

/// One authenticated request as the handler sees it.
public struct Request: Sendable {
  public var requestID: UInt64
  /// The request frame's flags (`Proto.Flags`).
  public var flags: UInt32 = 0
  public var message: Message
  /// The client's address and the identity it proved.
  public var peer: Endpoint
  public var identity: PeerIdentity
}

/// What a handler answers: a message for the server to encode, or a frame the handler built in
/// place (`WireWriter.frame(reservingPayload:)` + the payload, then `take()`) so bulk rows are
/// gathered straight into the bytes that go out. The server writes the header either way.
/// Or a frame as pieces of memory (`IOSegments.frame` + payload pieces, e.g. rows of a mapped
/// partition that `keepAlive` holds): the server seals the header and sends the pieces through a
/// cache-sized staging buffer (`Connection.send(segments:)`), so a bulk reply is never built
/// whole in memory.
public enum Reply: Sendable {
  case message(Message)
  case frame(kind: MessageKind, bytes: [UInt8])
  case segments(kind: MessageKind, IOSegments)
}

/// A request/reply server over authenticated connections: an accept loop on its own thread and
/// a thread per connection (DESIGN §4). Each connection: handshake (anything else first → closed,
/// logged), then requests answered in order by `handler`. The handler returns the reply; a thrown
/// `ErrorReply` is sent as is, any other error becomes an `internalError` reply, and the
/// connection carries on. A frame the decoder refuses (oversize, bad crc, garbage) gets a
/// `badRequest` error reply and the connection is closed: its byte stream can't be trusted.
///
/// `stop()` from outside (or `requestStop()` from inside a handler, then `wait()` outside) closes
/// the listener, wakes every connection and returns when every thread has finished.
public final class Server: @unchecked Sendable {
  public typealias Handler = @Sendable (Request) throws -> Message
  public typealias FrameHandler = @Sendable (Request) throws -> Reply

  /// Replies of at least this many payload bytes go without a crc32 when the request welcomed
  /// it (`Proto.Flags.uncheckedReplyWelcome`); smaller ones always carry it (it costs nothing).
  public static let uncheckedReplyThreshold = 64 << 10

  /// The bound address (with the real port when port 0 was asked for).
  public var endpoint: Endpoint { listener.endpoint }

  private let listener: Listener
  private let secret: Secret
  private let options: ServerOptions
  private let handler: FrameHandler
  private let log: @Sendable (String) -> Void

  private let lock = Lock()
  private var stopping = false
  private var started = false
  private var acceptThread: pthread_t?
  private var acceptDone = false
  private var connections: [Int: ConnectionBox] = [:]  // connection number → connection, while served
  private var nextConnection = 0
  private var wakeFDs: (read: Int32, write: Int32) = (-1, -1)

  public convenience init(listeningOn endpoint: Endpoint, secret: Secret,
                          options: ServerOptions = ServerOptions(),
                          log: @escaping @Sendable (String) -> Void = Net.logToStandardError,
                          handler: @escaping Handler) throws {
    try self.init(listeningOn: endpoint, secret: secret, options: options, log: log,
                  frameHandler: { .message(try handler($0)) })
  }

  /// A server whose handler may answer with frames built in place (`Reply.frame`).
  public init(listeningOn endpoint: Endpoint, secret: Secret, options: ServerOptions = ServerOptions(),
              log: @escaping @Sendable (String) -> Void = Net.logToStandardError,
              frameHandler handler: @escaping FrameHandler) throws {
    self.listener = try Listener(listeningOn: endpoint, options: options.socket)
    self.secret = secret
    self.options = options
    self.handler = handler
    self.log = log
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else {
      throw NetError(.listenFailed, "pipe: \(errnoText(errno))", peer: endpoint.description)
    }
    wakeFDs = (fds[0], fds[1])
  }

  deinit {
    stop()
    _ = posixClose(wakeFDs.read)
    _ = posixClose(wakeFDs.write)
  }

  /// Starts the accept loop on its own thread and returns.
  public func start() {
    lock.withLock {
      precondition(!started, "Server.start() called twice")
      started = true
      acceptThread = startThread(detached: false) { [self] in acceptLoop() }
    }
  }

  /// Number of connections currently open.
  public var openConnections: Int { lock.withLock { connections.count } }

  /// Asks everything to stop without waiting (safe from a handler thread).
  public func requestStop() {
    let first = lock.withLock { () -> Bool in
      defer { stopping = true }
      return !stopping
    }
    guard first else { return }
    var byte: UInt8 = 1
    _ = write(wakeFDs.write, &byte, 1)
    // Wake every connection blocked in poll: they see end-of-stream and finish.
    lock.withLock { for box in connections.values { box.connection.shutdown() } }
  }

  /// Waits until the accept loop and every connection thread have finished (after a stop was
  /// requested). Must not be called from a handler (it would wait for itself).
  public func wait() {
    let thread = lock.withLock { () -> pthread_t? in
      defer { acceptThread = nil }
      return acceptThread
    }
    if let thread { pthread_join(thread, nil) }
    lock.wait { connections.isEmpty && (acceptDone || !started) }
  }

  /// `requestStop()` + `wait()`.
  public func stop() {
    requestStop()
    wait()
  }

  private var isStopping: Bool { lock.withLock { stopping } }

  private func acceptLoop() {
    defer {
      listener.close()
      lock.broadcast { acceptDone = true }
    }
    while !isStopping {
      var fds = [pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0),
                 pollfd(fd: wakeFDs.read, events: Int16(POLLIN), revents: 0)]
      let r = poll(&fds, 2, -1)
      if r < 0 && errno != EINTR {
        log("gust-net: \(listener.endpoint): poll: \(errnoText(errno)); no longer accepting")
        return
      }
      if isStopping { return }
      guard fds[0].revents != 0 else { continue }
      let connection: Connection?
      do {
        connection = try listener.accept(deadline: .now, maxPayload: options.maxPayload)
      } catch {
        log("gust-net: \(listener.endpoint): \(error)")
        continue
      }
      guard let connection else { continue }
      let box = ConnectionBox(connection)
      let registered = lock.withLock { () -> Int? in
        if stopping { return nil }
        nextConnection += 1
        connections[nextConnection] = box
        return nextConnection
      }
      guard let number = registered else { return }
      startThread(detached: true) { [self] in serve(box.connection, number: number) }
    }
  }

  private func serve(_ connection: Connection, number: Int) {
    defer {
      connection.close()
      lock.broadcast { connections[number] = nil }
    }
    let peer = connection.peer
    let identity: PeerIdentity
    do {
      identity = try Authentication.server(connection, secret: secret,
                                           deadline: .after(seconds: options.handshakeTimeout))
    } catch {
      if !isStopping { log("gust-net: refused \(peer): \(error)") }
      return
    }
    connection.acceptsUncheckedPayload = options.uncheckedRequestsFromLoopback && peer.isLoopback
    while !isStopping {
      let frame: Frame
      do {
        frame = try connection.receive(deadline: .after(seconds: options.idleTimeout))
      } catch let e as NetError {
        if isStopping || (e.code == .peerClosed && !connection.isMidFrame) { return }
        log("gust-net: closing \(peer) (\(identity.role) \(identity.rank)): \(e)")
        if let proto = e.proto {
          let reply = ErrorReply(code: .badRequest, message: proto.description,
                                 requestID: proto.requestID ?? 0)
          try? connection.send(.error(reply), requestID: reply.requestID,
                               deadline: .after(seconds: min(options.sendTimeout, 1)))
        }
        return
      } catch {
        return
      }
      let reply = answer(frame, peer: peer, identity: identity)
      let welcome = frame.flags & Proto.Flags.uncheckedReplyWelcome != 0
      if case .segments(let kind, let segments) = reply {
        let unchecked = welcome && segments.payloadBytes >= Server.uncheckedReplyThreshold
        segments.sealFrame(kind: kind, requestID: frame.requestID, flags: unchecked ? Proto.Flags.uncheckedPayload : 0)
        do {
          try connection.send(segments: segments, requestID: frame.requestID,
                              deadline: .after(seconds: options.sendTimeout))
        } catch {
          if !isStopping { log("gust-net: closing \(peer): \(error)") }
          return
        }
        continue
      }
      do {
        var bytes: [UInt8]
        let kind: MessageKind
        switch reply {
        case .message(let m):
          var w = WireWriter.frame(reservingPayload: m.estimatedPayloadSize)
          m.encodePayload(into: &w)
          bytes = w.take()
          kind = m.kind
        case .frame(let k, let b):
          bytes = b
          kind = k
        case .segments:
          preconditionFailure("sent above")
        }
        let unchecked = welcome
          && bytes.count - Proto.headerSize >= Server.uncheckedReplyThreshold
        Frame.seal(&bytes, kind: kind, requestID: frame.requestID,
                   flags: unchecked ? Proto.Flags.uncheckedPayload : 0)
        try connection.send(bytes: bytes, requestID: frame.requestID,
                            deadline: .after(seconds: options.sendTimeout))
      } catch {
        if !isStopping { log("gust-net: closing \(peer): \(error)") }
        return
      }
    }
  }

  private func answer(_ frame: Frame, peer: Endpoint, identity: PeerIdentity) -> Reply {
    func refuse(_ code: ErrorCode, _ text: String) -> Reply {
      .message(.error(ErrorReply(code: code, message: text, requestID: frame.requestID)))
    }
    if frame.kind.isReply || frame.kind == .hello || frame.kind == .proof {
      return refuse(.badRequest, "\(frame.kind) is not a request this server answers")
    }
    let message: Message
    do {
      message = try frame.message()
    } catch {
      return refuse(.badRequest, "\(error)")
    }
    do {
      return try handler(Request(requestID: frame.requestID, flags: frame.flags,
                                 message: message, peer: peer, identity: identity))
    } catch let e as ErrorReply {
      var e = e
      e.requestID = frame.requestID
      return .message(.error(e))
    } catch {
      return refuse(.internalError, "\(error)")
    }
  }
}

/// Carries a Connection (not Sendable: one thread uses it) to the thread that serves it, and
/// lets `requestStop` call its one thread-safe method, `shutdown()`.
private final class ConnectionBox: @unchecked Sendable {
  let connection: Connection
  init(_ c: Connection) { connection = c }
}
