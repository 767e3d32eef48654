import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The link set-up after the handshakes of a ring's TCP connections: which links the ring uses
/// (TCP or shared memory) and, for shared memory, the exchange of segment names.
///
/// On every connection the connecting side (rank r, towards r+1) speaks first, so neither side's
/// `Connection` can have buffered the other's bytes during the handshake:
///
///     r → r+1   offer  "GLNK" · u8 mode (0 TCP, 1 shared memory) · u8 n · n bytes segment name
///     r+1 → r   offer  (the same, after receiving r's)
///     then, shared memory only, both ways: ack  u8 status (1 mapped, 0 failed) · u8 n · n bytes why
///
/// Rank r offers its own segment on both of its connections: rank r+1 maps it whole (it consumes
/// the ring), rank r−1 maps its control page (to ring r's bell). After both acks rank r unlinks
/// the name. Both sides of a link must offer the same mode (every rank derives it from the same
/// options and endpoints); a difference is a `rendezvous` error naming the peer.
enum LinkSetup {
  static let magic: [UInt8] = Array("GLNK".utf8)

  /// Every endpoint on this host as far as addresses tell: all loopback, or all one address.
  static func sameHost(_ endpoints: [Endpoint]) -> Bool {
    func loopback(_ host: String) -> Bool { host == "::1" || host.hasPrefix("127.") }
    if endpoints.allSatisfy({ loopback($0.host) }) { return true }
    return Set(endpoints.map(\.host)).count == 1
  }

  static func links(rank: Int, endpoints: [Endpoint], left: Connection, right: Connection,
                    options: CollectiveOptions, deadline: Deadline) throws -> RingLinks {
    let w = endpoints.count
    let l = (rank - 1 + w) % w, r = (rank + 1) % w
    let shm = options.sharedMemory && ShmSegment.isSupported && sameHost(endpoints)
    func fail(_ peer: Int, _ text: String) -> CollectiveError {
      CollectiveError(.rendezvous, text, peerRank: peer, peer: endpoints[peer].description)
    }
    for (c, peer) in [(left, l), (right, r)] where c.isMidFrame {
      throw fail(peer, "sent data before the handshake finished")
    }
    var own: ShmSegment? = nil
    if shm {
      // What dead ranks of this job left (killed inside an earlier rendezvous) goes first.
      if let job = options.sharedMemoryJob { SharedMemoryObjects.removeAbandoned(job: job) }
      do {
        own = try ShmSegment.create(owner: rank, capacity: options.sharedMemoryRingBytes,
                                    job: options.sharedMemoryJob ?? SharedMemoryObjects.anonymousJob)
      } catch {
        throw CollectiveError(.rendezvous, "rank \(rank): \(error.text) (CollectiveOptions.sharedMemory = "
          + "false keeps TCP links)")
      }
    }
    defer { own?.unlink() }  // once mapped by both neighbours, or on failure
    let offer = magic + [shm ? 1 : 0] + lengthPrefixed(own?.name ?? "")

    // Offers: to the right first, then answer the left, then the right's answer.
    try send(offer, on: right, deadline: deadline, peer: r, endpoints: endpoints)
    let fromLeft = try receiveOffer(on: left, deadline: deadline, peer: l, endpoints: endpoints)
    try send(offer, on: left, deadline: deadline, peer: l, endpoints: endpoints)
    let fromRight = try receiveOffer(on: right, deadline: deadline, peer: r, endpoints: endpoints)
    for (peer, o) in [(l, fromLeft), (r, fromRight)] where o.shm != shm {
      throw fail(peer, "uses \(o.shm ? "shared-memory" : "TCP") ring links while this rank uses "
        + "\(shm ? "shared memory" : "TCP") (CollectiveOptions.sharedMemory must be the same on every rank)")
    }
    guard let own else { return TCPLinks(left: left, right: right, endpoints: endpoints) }

    // Map the neighbours' segments, tell both how it went, hear how it went for them.
    var mapped: (ShmSegment, ShmSegment)? = nil
    var problem: (peer: Int, text: String)? = nil
    do {
      let whole = try ShmSegment.open(name: fromLeft.name, owner: l, whole: true)
      do {
        mapped = (whole, try ShmSegment.open(name: fromRight.name, owner: r, whole: false))
      } catch { problem = (r, error.text) }
    } catch { problem = (l, error.text) }
    let ack = [UInt8(problem == nil ? 1 : 0)] + lengthPrefixed(problem.map { "rank \(rank) \($0.text)" } ?? "")
    try send(ack, on: right, deadline: deadline, peer: r, endpoints: endpoints)
    try send(ack, on: left, deadline: deadline, peer: l, endpoints: endpoints)
    if let problem {
      throw fail(problem.peer, "offered a shared-memory ring this rank cannot use: \(problem.text) "
        + "(CollectiveOptions.sharedMemory = false keeps TCP links)")
    }
    for (c, peer) in [(left, l), (right, r)] {
      let status = try receive(1, on: c, deadline: deadline, peer: peer, endpoints: endpoints)[0]
      let why = try receiveString(on: c, deadline: deadline, peer: peer, endpoints: endpoints)
      if status != 1 { throw fail(peer, "could not use this rank's shared-memory ring: \(why)") }
    }
    own.unlink()
    return ShmLinks(left: left, right: right, own: own, fromLeft: mapped!.0, rightBell: mapped!.1,
                    endpoints: endpoints)
  }

  private static func lengthPrefixed(_ text: String) -> [UInt8] {
    let bytes = Array(text.utf8.prefix(255))
    return [UInt8(bytes.count)] + bytes
  }

  private static func receiveOffer(on c: Connection, deadline: Deadline, peer: Int,
                                   endpoints: [Endpoint]) throws -> (shm: Bool, name: String) {
    let head = try receive(5, on: c, deadline: deadline, peer: peer, endpoints: endpoints)
    guard Array(head[0..<4]) == magic, head[4] <= 1 else {
      throw CollectiveError(.protocolViolation, "sent \(head.map { String($0, radix: 16) }) where a link "
        + "offer (GLNK) was due: a Gust build without link set-up?", peerRank: peer, peer: endpoints[peer].description)
    }
    let name = try receiveString(on: c, deadline: deadline, peer: peer, endpoints: endpoints)
    return (head[4] == 1, name)
  }

  private static func receiveString(on c: Connection, deadline: Deadline, peer: Int,
                                    endpoints: [Endpoint]) throws -> String {
    let n = Int(try receive(1, on: c, deadline: deadline, peer: peer, endpoints: endpoints)[0])
    return String(decoding: try receive(n, on: c, deadline: deadline, peer: peer, endpoints: endpoints), as: UTF8.self)
  }

  private static func send(_ bytes: [UInt8], on c: Connection, deadline: Deadline, peer: Int,
                           endpoints: [Endpoint]) throws {
    var off = 0
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    while off < bytes.count {
      let io = bytes.withUnsafeBytes { socketWrite(c.fd, UnsafeRawBufferPointer(rebasing: $0[off...]), empty) }
      switch io {
      case .bytes(let n):
        off += n
        if n == 0 { try waitFor(Int16(POLLOUT), on: c, deadline: deadline, peer: peer, endpoints: endpoints) }
      case .closed(let why):
        throw CollectiveError(.rendezvous, "\(why) while setting up the ring links", peerRank: peer,
                              peer: endpoints[peer].description)
      }
    }
  }

  private static func receive(_ count: Int, on c: Connection, deadline: Deadline, peer: Int,
                              endpoints: [Endpoint]) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
      let io = out.withUnsafeMutableBytes { socketRead(c.fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
      switch io {
      case .bytes(let n):
        got += n
        if n == 0 { try waitFor(Int16(POLLIN), on: c, deadline: deadline, peer: peer, endpoints: endpoints) }
      case .closed(let why):
        throw CollectiveError(.rendezvous, "\(why) while setting up the ring links", peerRank: peer,
                              peer: endpoints[peer].description)
      }
    }
    return out
  }

  private static func waitFor(_ events: Int16, on c: Connection, deadline: Deadline, peer: Int,
                              endpoints: [Endpoint]) throws {
    var p = pollfd(fd: c.fd, events: events, revents: 0)
    while true {
      let r = poll(&p, 1, deadline.remainingMilliseconds)
      if r > 0 { return }
      if r < 0 && errno == EINTR { continue }
      if r == 0 && !deadline.hasPassed { continue }
      throw CollectiveError(.rendezvous, "did not finish setting up the ring links in time", peerRank: peer,
                            peer: endpoints[peer].description)
    }
  }
}

extension Deadline {
  /// Milliseconds left for poll(2), rounded up.
  var remainingMilliseconds: Int32 {
    Int32(min((remainingNanoseconds + 999_999) / 1_000_000, UInt64(Int32.max)))
  }
}
