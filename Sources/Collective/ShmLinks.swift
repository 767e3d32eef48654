import CShm
import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `RingLinks` for neighbours on one host: data to the right goes through this rank's
/// shared-memory ring (`ShmSegment`, consumed by rank r+1), data from the left comes out of
/// rank r−1's ring. The authenticated TCP connections of the ring stay open beside the rings:
/// they carry the return direction (abort notices, rare) and tell liveness — a neighbour whose
/// process dies closes them, which `wait` notices (poll before every sleep and every 20 ms).
///
/// Waiting: each rank has one doorbell (a futex word in its own segment) that both neighbours
/// ring after they change something it may wait on — the left after producing, the right after
/// consuming or sending a notice, either after shutting down. `wait` spins briefly, then sleeps
/// on the bell with the deadline (in 20 ms slices) as the timeout.
final class ShmLinks: RingLinks, @unchecked Sendable {
  private let leftConnection: Connection
  private let rightConnection: Connection
  /// This rank's segment: its bell and its ring to the right (produced here).
  private let own: ShmSegment
  /// The left neighbour's segment, whole: the ring consumed here, and its bell.
  private let fromLeft: ShmSegment
  /// The right neighbour's control page: its bell.
  private let rightBell: ShmSegment
  private let names: [String]
  /// Bytes produced into `own` / consumed from `fromLeft` (this rank writes those cursors).
  private var tail: UInt64 = 0
  private var head: UInt64 = 0
  /// Why a neighbour's TCP connection ended (seen by poll or a read), once it has.
  private var leftEnded: String?
  private var rightEnded: String?
  private let lock = Lock()
  private var isShut = false
  private var isClosed = false

  static let sliceNanoseconds: UInt64 = 20_000_000
  static let spinNanoseconds: UInt64 = 20_000
  static let publishBytes = 64 << 10
  private static let closedByPeer = "closed its connection (the rank closed or failed)"
  private static let closedHere = "its link was closed on this side"

  init(left: Connection, right: Connection, own: ShmSegment, fromLeft: ShmSegment, rightBell: ShmSegment,
       endpoints: [Endpoint]) {
    leftConnection = left
    rightConnection = right
    self.own = own
    self.fromLeft = fromLeft
    self.rightBell = rightBell
    names = endpoints.map(\.description)
  }

  deinit { close() }

  // MARK: the right link: data out through this rank's ring, notices back over TCP

  func write(_ side: LinkSide, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> LinkIO {
    if side == .left {
      let io = socketWrite(leftConnection.fd, a, b)
      if case .bytes(let n) = io, n > 0 { fromLeft.ringBell() }
      return io
    }
    if gust_load_u32(own.producerClosed) != 0 { return .closed(ShmLinks.closedHere) }
    if gust_load_u32(own.consumerClosed) != 0 { return .closed(ShmLinks.closedByPeer) }
    if let why = rightEnded { return .closed(why) }
    let capacity = own.capacity
    let free = capacity - Int(tail &- gust_load_acquire_u64(own.head))
    let fromA = min(a.count, free)
    if fromA > 0 { publish(a.baseAddress!, fromA) }
    let fromB = fromA == a.count ? min(b.count, free - fromA) : 0
    if fromB > 0 { publish(b.baseAddress!, fromB) }
    return .bytes(fromA + fromB)
  }

  /// Copies `n` bytes into the ring (they fit) and publishes them in pieces, so the consumer on
  /// the other core starts on the first piece while this one copies the next.
  private func publish(_ src: UnsafeRawPointer, _ n: Int) {
    var done = 0
    while done < n {
      let k = min(n - done, ShmLinks.publishBytes)
      copyIn(src + done, k, at: tail)
      tail &+= UInt64(k)
      gust_store_release_u64(own.tail, tail)
      rightBell.ringBell()
      done += k
    }
  }

  @inline(__always)
  private func copyIn(_ src: UnsafeRawPointer, _ n: Int, at position: UInt64) {
    let capacity = own.capacity
    let off = Int(position & UInt64(capacity - 1))
    let first = min(n, capacity - off)
    (own.ring + off).copyMemory(from: src, byteCount: first)
    if n > first { own.ring.copyMemory(from: src + first, byteCount: n - first) }
  }

  // MARK: the left link: data in from the left neighbour's ring

  /// Bytes readable in the left ring, or why it never will have more.
  private func leftAvailable() -> Result<Int, ClosedReason> {
    if gust_load_u32(fromLeft.consumerClosed) != 0 { return .failure(ClosedReason(ShmLinks.closedHere)) }
    let n = Int(gust_load_acquire_u64(fromLeft.tail) &- head)
    if n > 0 { return .success(n) }
    // The producer publishes its last bytes before its flag: look at the cursor again after it.
    if gust_load_u32(fromLeft.producerClosed) != 0 {
      let again = Int(gust_load_acquire_u64(fromLeft.tail) &- head)
      return again > 0 ? .success(again) : .failure(ClosedReason(ShmLinks.closedByPeer))
    }
    if let why = leftEnded {
      let again = Int(gust_load_acquire_u64(fromLeft.tail) &- head)
      return again > 0 ? .success(again) : .failure(ClosedReason(why))
    }
    return .success(0)
  }

  private func consumed(_ n: Int) {
    head &+= UInt64(n)
    gust_store_release_u64(fromLeft.head, head)
    fromLeft.ringBell()
  }

  func read(_ side: LinkSide, into: UnsafeMutableRawBufferPointer) -> LinkIO {
    if side == .right {
      let io = socketRead(rightConnection.fd, into: into)
      if case .closed(let why) = io, rightEnded == nil { rightEnded = why }
      return io
    }
    switch leftAvailable() {
    case .failure(let r): return .closed(r.text)
    case .success(let available):
      let n = min(available, into.count)
      guard n > 0 else { return .bytes(0) }
      let capacity = fromLeft.capacity
      let off = Int(head & UInt64(capacity - 1))
      let first = min(n, capacity - off)
      into.baseAddress!.copyMemory(from: fromLeft.ring + off, byteCount: first)
      if n > first { (into.baseAddress! + first).copyMemory(from: fromLeft.ring, byteCount: n - first) }
      consumed(n)
      return .bytes(n)
    }
  }

  func readInPlace(_ side: LinkSide, max: Int, _ body: (UnsafeRawBufferPointer) -> Int) -> LinkIO? {
    guard side == .left else { return nil }
    switch leftAvailable() {
    case .failure(let r): return .closed(r.text)
    case .success(let available):
      let capacity = fromLeft.capacity
      let off = Int(head & UInt64(capacity - 1))
      let n = min(available, max, capacity - off)
      guard n > 0 else { return .bytes(0) }
      let used = body(UnsafeRawBufferPointer(start: fromLeft.ring + off, count: n))
      if used > 0 { consumed(used) }
      return .bytes(used)
    }
  }

  // MARK: waiting

  /// What is ready without a system call: ring cursors, flags, ends already seen.
  private func readyInMemory(_ want: LinkReady) -> LinkReady {
    var r: LinkReady = []
    if want.contains(.leftIn) {
      if case .success(let n) = leftAvailable(), n == 0 {} else { r.insert(.leftIn) }
    }
    if want.contains(.rightOut) {
      let free = own.capacity - Int(tail &- gust_load_acquire_u64(own.head))
      if free > 0 || gust_load_u32(own.consumerClosed) != 0 || gust_load_u32(own.producerClosed) != 0
        || rightEnded != nil { r.insert(.rightOut) }
    }
    if want.contains(.rightIn) && rightEnded != nil { r.insert(.rightIn) }
    if want.contains(.leftOut) && leftEnded != nil { r.insert(.leftOut) }
    return r
  }

  /// poll(2) without waiting on the TCP connections: notices and ends of stream.
  private func readyOnSockets(_ want: LinkReady) -> LinkReady {
    #if os(Linux)
    let hangup = Int16(0x2000) /* POLLRDHUP */ | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
    #else
    let hangup = Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
    #endif
    var fds = [pollfd(fd: leftConnection.fd, events: hangup | Int16(POLLIN), revents: 0),
               pollfd(fd: rightConnection.fd, events: hangup | Int16(POLLIN), revents: 0)]
    if want.contains(.leftOut) { fds[0].events |= Int16(POLLOUT) }
    guard poll(&fds, 2, 0) > 0 else { return [] }
    var r: LinkReady = []
    let left = fds[0].revents, right = fds[1].revents
    if left & hangup != 0 {
      if leftEnded == nil { leftEnded = "closed its connection (the process exited or failed)" }
    } else if left & Int16(POLLIN) != 0 && leftEnded == nil {
      leftEnded = "sent bytes on the TCP connection beside its shared-memory ring (a protocol violation)"
    }
    if leftEnded != nil { r.formUnion(want.intersection([.leftIn, .leftOut])) }
    if left & Int16(POLLOUT) != 0 && want.contains(.leftOut) { r.insert(.leftOut) }
    if right & hangup != 0 && rightEnded == nil {
      // Any notice still buffered is read before the end (`read(.right)`).
      rightEnded = "closed its connection (the process exited or failed)"
    }
    if right & (hangup | Int16(POLLIN)) != 0 { r.formUnion(want.intersection([.rightIn])) }
    if rightEnded != nil { r.formUnion(want.intersection([.rightOut])) }
    return r
  }

  func wait(_ want: LinkReady, until deadline: Deadline) -> LinkReady {
    var r = readyInMemory(want)
    if !r.isEmpty { return r }
    // A neighbour on the other core is usually about to move: spin a little before sleeping.
    let spinEnd = Deadline.now.nanoseconds &+ ShmLinks.spinNanoseconds
    while Deadline.now.nanoseconds < spinEnd {
      for _ in 0..<16 { gust_cpu_relax() }
      r = readyInMemory(want)
      if !r.isEmpty { return r }
    }
    while true {
      let seen = gust_load_u32(own.bell)
      gust_store_u32(own.sleeping, 1)
      gust_fence()
      r = readyInMemory(want).union(readyOnSockets(want))
      let remaining = deadline.remainingNanoseconds
      if !r.isEmpty || remaining == 0 {
        gust_store_u32(own.sleeping, 0)
        return r
      }
      _ = gust_futex_wait(own.bell, seen, Int64(min(remaining, ShmLinks.sliceNanoseconds)))
      gust_store_u32(own.sleeping, 0)
      r = readyInMemory(want)
      if !r.isEmpty { return r }
    }
  }

  /// For `ShmGroup`'s waits: polls the TCP connections without blocking and tells which
  /// neighbour's has ended (its process exited or shut its links), if any, with why.
  func endedNeighbour() -> (side: LinkSide, why: String)? {
    _ = readyOnSockets([.leftIn, .rightIn])
    if let why = leftEnded { return (.left, why) }
    if let why = rightEnded { return (.right, why) }
    return nil
  }

  func peerName(_ rank: Int) -> String? { names.indices.contains(rank) ? names[rank] : nil }

  /// Marks both rings closed, rings both neighbours and shuts the TCP connections.
  func shutdown() {
    lock.withLock {
      guard !isShut else { return }
      isShut = true
      gust_store_u32(own.producerClosed, 1)
      gust_store_u32(fromLeft.consumerClosed, 1)
      rightBell.ringBell()
      fromLeft.ringBell()
      leftConnection.shutdown()
      rightConnection.shutdown()
    }
  }

  func close() {
    shutdown()
    lock.withLock {
      guard !isClosed else { return }
      isClosed = true
      leftConnection.close()
      rightConnection.close()
      own.unlink()
      own.unmap()
      fromLeft.unmap()
      rightBell.unmap()
    }
  }
}

struct ClosedReason: Error {
  let text: String
  init(_ text: String) { self.text = text }
}
