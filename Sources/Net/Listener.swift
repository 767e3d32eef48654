import Proto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listening TCP socket bound to one explicit IP:port (SO_REUSEADDR, so a restarted server
/// can take its port back at once). Port 0 binds an ephemeral port; `endpoint` reports the one
/// the kernel chose.
public final class Listener: @unchecked Sendable {
  /// The bound address, with the real port.
  public let endpoint: Endpoint
  /// The listening fd. Closed by `close()` (and at deinit); accepting threads are woken by the
  /// owner (see `Server`), not by closing the fd under them.
  public let fd: Int32
  private let options: SocketOptions
  private let closed = Lock()
  private var isClosed = false

  public init(listeningOn requested: Endpoint, backlog: Int32 = 128,
              options: SocketOptions = SocketOptions()) throws {
    let fd = socket(requested.family, Socket.streamType, 0)
    guard fd >= 0 else {
      throw NetError(.listenFailed, "socket: \(errnoText(errno))", peer: requested.description)
    }
    _ = Socket.setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
    // Accepted sockets inherit the buffer sizes, which must be set before listen() to take effect
    // on the TCP window.
    Socket.configure(fd, options)
    if requested.bind(fd) != 0 {
      let e = errno
      _ = posixClose(fd)
      throw NetError(.listenFailed, "bind: \(errnoText(e))"
        + (e == EADDRINUSE ? ": another process holds this port" : "")
        + (e == EADDRNOTAVAIL ? ": this host does not have that address" : ""),
        peer: requested.description)
    }
    if listen(fd, backlog) != 0 {
      let e = errno
      _ = posixClose(fd)
      throw NetError(.listenFailed, "listen: \(errnoText(e))", peer: requested.description)
    }
    Socket.setNonBlocking(fd)
    self.fd = fd
    self.options = options
    self.endpoint = Socket.localEndpoint(fd) ?? requested
  }

  deinit { close() }

  public func close() {
    closed.withLock {
      if !isClosed {
        isClosed = true
        _ = posixClose(fd)
      }
    }
  }

  /// The next connection, or nil when the deadline passes first.
  public func accept(deadline: Deadline, maxPayload: Int = Proto.defaultMaxPayload) throws
    -> Connection?
  {
    while true {
      var storage = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      let c = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { posixAccept(fd, $0, &length) }
      }
      if c >= 0 {
        #if canImport(Glibc)
        _ = fcntl(c, F_SETFD, FD_CLOEXEC)
        #endif
        let peer = Endpoint(storage) ?? endpoint
        return Connection(fd: c, peer: peer, options: options, maxPayload: maxPayload)
      }
      let e = errno
      switch e {
      case EINTR, ECONNABORTED, EPROTO:
        continue
      case EAGAIN, EWOULDBLOCK:
        if case .timedOut = Socket.wait(fd, for: Int16(POLLIN), until: deadline) { return nil }
      default:
        throw NetError(.io, "accept: \(errnoText(e))", peer: endpoint.description)
      }
    }
  }
}

extension Endpoint {
  func bind(_ fd: Int32) -> Int32 {
    withSockaddr { posixBind(fd, $0, $1) }
  }
}
