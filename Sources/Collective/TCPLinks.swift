import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `RingLinks` over two authenticated `Net` connections (non-blocking fds): `right` is the
/// connection this rank made to rank r+1, `left` the one it accepted from rank r−1.
final class TCPLinks: RingLinks, @unchecked Sendable {
  private let leftConnection: Connection
  private let rightConnection: Connection
  private let names: [String]
  private let lock = Lock()
  private var isShut = false
  private var isClosed = false

  init(left: Connection, right: Connection, endpoints: [Endpoint]) {
    leftConnection = left
    rightConnection = right
    names = endpoints.map(\.description)
  }

  deinit { close() }

  private func fd(_ side: LinkSide) -> Int32 { side == .left ? leftConnection.fd : rightConnection.fd }

  func write(_ side: LinkSide, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> LinkIO {
    socketWrite(fd(side), a, b)
  }

  func read(_ side: LinkSide, into: UnsafeMutableRawBufferPointer) -> LinkIO {
    socketRead(fd(side), into: into)
  }

  func wait(_ want: LinkReady, until deadline: Deadline) -> LinkReady {
    var fds: [pollfd] = []
    var sides: [(LinkSide, LinkReady, LinkReady)] = []
    func add(_ side: LinkSide, _ inBit: LinkReady, _ outBit: LinkReady) {
      var events: Int16 = 0
      if want.contains(inBit) { events |= Int16(POLLIN) }
      if want.contains(outBit) { events |= Int16(POLLOUT) }
      guard events != 0 else { return }
      fds.append(pollfd(fd: fd(side), events: events, revents: 0))
      sides.append((side, inBit, outBit))
    }
    add(.left, .leftIn, .leftOut)
    add(.right, .rightIn, .rightOut)
    guard !fds.isEmpty else { return [] }
    while true {
      let ms = Int32(min((deadline.remainingNanoseconds + 999_999) / 1_000_000, UInt64(Int32.max)))
      let r = poll(&fds, nfds_t(fds.count), ms)
      if r < 0 && errno == EINTR { continue }
      if r <= 0 {
        if r == 0 && !deadline.hasPassed { continue }
        return []
      }
      var ready: LinkReady = []
      let failed = Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
      for (i, p) in fds.enumerated() {
        let (_, inBit, outBit) = sides[i]
        if p.revents & (Int16(POLLIN) | failed) != 0 && want.contains(inBit) { ready.insert(inBit) }
        if p.revents & (Int16(POLLOUT) | failed) != 0 && want.contains(outBit) { ready.insert(outBit) }
      }
      if !ready.isEmpty { return ready }
    }
  }

  func peerName(_ rank: Int) -> String? { names.indices.contains(rank) ? names[rank] : nil }

  func shutdown() {
    lock.withLock {
      guard !isShut else { return }
      isShut = true
      leftConnection.shutdown()
      rightConnection.shutdown()
    }
  }

  func close() {
    lock.withLock {
      guard !isClosed else { return }
      isClosed = true
      leftConnection.shutdown()
      rightConnection.shutdown()
      leftConnection.close()
      rightConnection.close()
    }
  }
}

/// Writes what a non-blocking socket takes of `a` then `b` (one sendmsg).
func socketWrite(_ fd: Int32, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> LinkIO {
  guard fd >= 0 else { return .closed("its link was closed on this side") }
  var iov = [iovec](repeating: iovec(), count: 2)
  var n = 0
  if a.count > 0 {
    iov[n] = iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count)
    n += 1
  }
  if b.count > 0 {
    iov[n] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count)
    n += 1
  }
  if n == 0 { return .bytes(0) }
  while true {
    let r = iov.withUnsafeMutableBufferPointer { p -> Int in
      var msg = msghdr()
      msg.msg_iov = p.baseAddress
      msg.msg_iovlen = n
      #if canImport(Glibc)
      return sendmsg(fd, &msg, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
      #else
      return sendmsg(fd, &msg, MSG_DONTWAIT)
      #endif
    }
    if r >= 0 { return .bytes(r) }
    let e = errno
    switch e {
    case EINTR: continue
    case EAGAIN, EWOULDBLOCK: return .bytes(0)
    case EPIPE, ECONNRESET: return .closed("closed its connection (the process exited or failed)")
    default: return .closed("link failed: \(String(cString: strerror(e))) (errno \(e))")
    }
  }
}

/// Reads what a non-blocking socket has (at most `into.count` bytes).
func socketRead(_ fd: Int32, into: UnsafeMutableRawBufferPointer) -> LinkIO {
  guard fd >= 0 else { return .closed("its link was closed on this side") }
  guard into.count > 0 else { return .bytes(0) }
  while true {
    let r = recv(fd, into.baseAddress, into.count, Int32(MSG_DONTWAIT))
    if r > 0 { return .bytes(r) }
    if r == 0 { return .closed("closed its connection (the process exited or failed)") }
    let e = errno
    switch e {
    case EINTR: continue
    case EAGAIN, EWOULDBLOCK: return .bytes(0)
    case ECONNRESET: return .closed("reset its connection (the process exited or failed)")
    default: return .closed("link failed: \(String(cString: strerror(e))) (errno \(e))")
    }
  }
}
