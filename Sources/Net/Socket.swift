#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Socket tuning applied to every connection (both ends) and listener.
public struct SocketOptions: Sendable {
  /// SO_SNDBUF / SO_RCVBUF in bytes (the kernel caps them at net.core.{w,r}mem_max).
  public var bufferSize: Int32 = 4 << 20
  /// TCP_NODELAY: small requests go out at once instead of waiting for Nagle's timer.
  public var noDelay = true

  public init(bufferSize: Int32 = 4 << 20, noDelay: Bool = true) {
    self.bufferSize = bufferSize
    self.noDelay = noDelay
  }
}

/// Raw fd helpers shared by Connection and Listener.
enum Socket {
  #if canImport(Glibc)
  static let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
  #else
  static let streamType = SOCK_STREAM
  #endif

  static func setInt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Bool {
    var v = value
    return setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0
  }

  static func configure(_ fd: Int32, _ options: SocketOptions) {
    // Failures here cost speed, not correctness: a kernel that refuses a buffer size keeps its own.
    _ = setInt(fd, SOL_SOCKET, SO_SNDBUF, options.bufferSize)
    _ = setInt(fd, SOL_SOCKET, SO_RCVBUF, options.bufferSize)
    if options.noDelay { _ = setInt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
  }

  static func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL, 0)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
  }

  enum WaitResult { case ready, timedOut, hangup }

  /// Waits until `fd` is readable (`events` = POLLIN) or writable (POLLOUT), or the deadline.
  static func wait(_ fd: Int32, for events: Int16, until deadline: Deadline) -> WaitResult {
    while true {
      var p = pollfd(fd: fd, events: events, revents: 0)
      let timeout = deadline.pollTimeout
      let r = poll(&p, 1, timeout)
      if r > 0 {
        // POLLHUP/POLLERR: let the following recv/send report what exactly happened.
        return (p.revents & (events | Int16(POLLHUP) | Int16(POLLERR))) != 0 ? .ready : .hangup
      }
      if r == 0 {
        if deadline.hasPassed { return .timedOut }
        continue
      }
      if errno == EINTR { continue }
      return .hangup
    }
  }

  static func localEndpoint(_ fd: Int32) -> Endpoint? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let r = withUnsafeMutablePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return r == 0 ? Endpoint(storage) : nil
  }
}

// Free-function spellings of calls whose names Connection and Listener reuse as methods.
@inline(__always) func posixClose(_ fd: Int32) -> Int32 { close(fd) }
@inline(__always) func posixConnect(_ fd: Int32, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t)
  -> Int32
{ connect(fd, addr, len) }
@inline(__always) func posixSend(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, _ flags: Int32)
  -> Int
{ send(fd, p, n, flags) }
@inline(__always) func posixAccept(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>,
                                   _ len: UnsafeMutablePointer<socklen_t>) -> Int32
{ accept(fd, addr, len) }
@inline(__always) func posixBind(_ fd: Int32, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t)
  -> Int32
{ bind(fd, addr, len) }
@inline(__always) func posixShutdown(_ fd: Int32) -> Int32 { shutdown(fd, Int32(SHUT_RDWR)) }
