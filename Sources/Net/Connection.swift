import Proto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection carrying Gust frames. Blocking I/O in the caller's thread, every wait
/// bounded by a `Deadline` (poll(2) on a non-blocking fd). Owned by one thread at a time; it is
/// not `Sendable` on purpose. Closing is idempotent and happens at deinit at the latest.
public final class Connection {
  /// The other side, for error messages and logs.
  public let peer: Endpoint
  /// The file descriptor (-1 once closed).
  public private(set) var fd: Int32
  private var decoder: FrameDecoder
  private var inbound = InboundBuffer(capacity: 64 << 10)
  private var nextRequestID: UInt64 = 1
  private let fdLock = Lock()

  /// Largest payload this side accepts (longer claims are refused before allocating).
  public var maxPayload: Int {
    get { decoder.maxPayload }
    set { decoder.maxPayload = newValue }
  }

  /// Wraps a connected fd (made non-blocking and tuned here).
  init(fd: Int32, peer: Endpoint, options: SocketOptions, maxPayload: Int) {
    self.fd = fd
    self.peer = peer
    self.decoder = FrameDecoder(maxPayload: maxPayload)
    Socket.setNonBlocking(fd)
    Socket.configure(fd, options)
  }

  deinit {
    close()
    staging?.deallocate()
  }

  /// Closes the fd (idempotent).
  public func close() {
    fdLock.withLock {
      if fd >= 0 {
        _ = posixClose(fd)
        fd = -1
      }
    }
  }

  /// Shuts the connection down in both directions without closing the fd, waking a thread
  /// blocked in `receive` or `send` (it then sees the peer closed). The one call that is safe
  /// from another thread; the fd number cannot have been reused, as close() takes the same lock.
  public func shutdown() {
    fdLock.withLock {
      if fd >= 0 { _ = posixShutdown(fd) }
    }
  }

  public var isOpen: Bool { fd >= 0 }

  /// True when bytes of an incomplete frame are buffered (a close now would be mid-frame).
  public var isMidFrame: Bool {
    inbound.readableBytes > 0 || decoder.pendingFrameSize != nil || direct != nil || scatter != nil
  }

  private func error(_ code: NetError.Code, _ message: String, requestID: UInt64? = nil,
                     proto: ProtoError? = nil) -> NetError {
    NetError(code, message, peer: peer.description, requestID: requestID, proto: proto)
  }

  // MARK: connecting

  /// Connects to `endpoint`, retrying refused or unreachable attempts (the server may still be
  /// starting) with a growing pause until `deadline`.
  public static func connect(to endpoint: Endpoint, deadline: Deadline,
                             options: SocketOptions = SocketOptions(),
                             maxPayload: Int = Proto.defaultMaxPayload) throws -> Connection {
    var attempts = 0
    var pauseMs = 10
    var lastError = "no attempt made"
    while true {
      attempts += 1
      switch attempt(endpoint, deadline: deadline) {
      case .success(let fd):
        return Connection(fd: fd, peer: endpoint, options: options, maxPayload: maxPayload)
      case .failure(let text):
        lastError = text
      }
      let left = deadline.remainingNanoseconds / 1_000_000
      if left == 0 { break }
      var ts = timespec(tv_sec: 0, tv_nsec: Int(min(UInt64(pauseMs), left)) * 1_000_000)
      _ = nanosleep(&ts, nil)
      pauseMs = min(pauseMs * 2, 500)
      if deadline.hasPassed { break }
    }
    throw NetError(.connectFailed, "could not connect after \(attempts) attempt(s): \(lastError); "
      + "is the server running and listening on this address?", peer: endpoint.description)
  }

  private enum Attempt { case success(Int32), failure(String) }

  private static func attempt(_ endpoint: Endpoint, deadline: Deadline) -> Attempt {
    let fd = socket(endpoint.family, Socket.streamType, 0)
    if fd < 0 { return .failure("socket: \(errnoText(errno))") }
    Socket.setNonBlocking(fd)
    let r = endpoint.withSockaddr { posixConnect(fd, $0, $1) }
    if r == 0 { return .success(fd) }
    let e = errno
    guard e == EINPROGRESS || e == EINTR else {
      _ = posixClose(fd)
      return .failure(errnoText(e))
    }
    switch Socket.wait(fd, for: Int16(POLLOUT), until: deadline) {
    case .timedOut:
      _ = posixClose(fd)
      return .failure("connect timed out")
    case .ready, .hangup:
      var soError: Int32 = 0
      var len = socklen_t(MemoryLayout<Int32>.size)
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
      if soError == 0 { return .success(fd) }
      _ = posixClose(fd)
      return .failure(errnoText(soError))
    }
  }

  // MARK: sending

  /// Sends `message` as one frame (`flags`: `Proto.Flags`).
  public func send(_ message: Message, requestID: UInt64, flags: UInt32 = 0,
                   deadline: Deadline) throws {
    try send(bytes: message.encodeFrame(requestID: requestID, flags: flags), requestID: requestID,
             deadline: deadline)
  }

  /// A fresh request id for `send` (the ids `request` uses too, so they never collide).
  public func makeRequestID() -> UInt64 {
    defer { nextRequestID &+= 1 }
    return nextRequestID
  }

  /// Sends already-encoded bytes (one or more whole frames; tests also send broken ones).
  public func send(bytes: [UInt8], requestID: UInt64? = nil, deadline: Deadline) throws {
    guard fd >= 0 else { throw error(.io, "send on a closed connection", requestID: requestID) }
    try bytes.withUnsafeBytes { try send($0, requestID: requestID, deadline: deadline, progress: (0, $0.count)) }
  }

  /// Sends `raw` completely; `progress` (bytes of the frame sent before these, frame size)
  /// only words the errors.
  private func send(_ raw: UnsafeRawBufferPointer, requestID: UInt64?, deadline: Deadline,
                    progress: (before: Int, total: Int)) throws {
    var off = 0
    while off < raw.count {
      #if canImport(Glibc)
      let flags = Int32(MSG_NOSIGNAL)
      #else
      let flags: Int32 = 0
      #endif
      let n = posixSend(fd, raw.baseAddress! + off, raw.count - off, flags)
      if n > 0 {
        off += n
        continue
      }
      let e = errno
      if n < 0 && e == EINTR { continue }
      if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) {
        if case .timedOut = Socket.wait(fd, for: Int16(POLLOUT), until: deadline) {
          throw error(.timedOut, "peer did not accept data before the deadline (sent \(progress.before + off) of "
            + "\(progress.total) bytes): it is stalled or overloaded", requestID: requestID)
        }
        continue
      }
      if e == EPIPE || e == ECONNRESET {
        throw error(.peerClosed, "peer closed the connection while we were sending (\(progress.before + off) of "
          + "\(progress.total) bytes sent)", requestID: requestID)
      }
      throw error(.io, "send: \(errnoText(e))", requestID: requestID)
    }
  }

  /// Bytes of the staging buffer `send(segments:)` packs small pieces into (small enough to stay
  /// in the core's cache between being written and being copied to the socket).
  static let stagingBytes = 256 << 10
  private var staging: UnsafeMutableRawPointer? = nil

  /// Sends the pieces of `segments` (a whole frame, `IOSegments.frame` + `sealFrame`): small
  /// pieces (rows of a mapped partition) are packed into a cache-sized staging buffer that is
  /// sent whenever it fills, large ones are sent from where they are. Measured against a
  /// sendmsg of the pieces themselves (the kernel's per-piece cost made that 2× slower for
  /// 256-byte rows) and against gathering the whole reply first (a reply-sized buffer written
  /// to memory, then read back by the kernel). Consumes the segments.
  public func send(segments: IOSegments, requestID: UInt64? = nil, deadline: Deadline) throws {
    guard fd >= 0 else { throw error(.io, "send on a closed connection", requestID: requestID) }
    if staging == nil { staging = .allocate(byteCount: Connection.stagingBytes, alignment: 64) }
    let buffer = staging!
    let total = segments.totalBytes
    var sent = 0, filled = 0
    func flush() throws {
      try send(UnsafeRawBufferPointer(start: buffer, count: filled), requestID: requestID, deadline: deadline,
               progress: (sent, total))
      sent += filled
      filled = 0
    }
    try segments.forEachPiece { piece in
      if piece.count >= Connection.stagingBytes / 4 {
        if filled > 0 { try flush() }
        try send(piece, requestID: requestID, deadline: deadline, progress: (sent, total))
        sent += piece.count
        return
      }
      var at = 0
      while at < piece.count {
        let n = min(piece.count - at, Connection.stagingBytes - filled)
        (buffer + filled).copyMemory(from: piece.baseAddress! + at, byteCount: n)
        filled += n
        at += n
        if filled == Connection.stagingBytes { try flush() }
      }
    }
    if filled > 0 { try flush() }
  }

  // MARK: receiving

  /// Payloads at least this large are read from the socket straight into their own array
  /// instead of through the inbound buffer (one copy fewer for bulk replies).
  static let directPayloadThreshold = 256 << 10

  /// A large payload being read straight into its array, and how many bytes it holds so far.
  private var direct: [UInt8]? = nil
  private var directFilled = 0

  /// Whether frames without a crc32 (`Proto.Flags.uncheckedPayload`) are accepted. Clients turn
  /// it on for links they trust (loopback) when they ask for unchecked replies.
  public var acceptsUncheckedPayload: Bool {
    get { decoder.acceptsUncheckedPayload }
    set { decoder.acceptsUncheckedPayload = newValue }
  }

  /// The next whole frame, or a `NetError`: `timedOut` when the deadline passes, `peerClosed`
  /// when the peer closes or resets, `protocolError` when its bytes are not valid frames.
  public func receive(deadline: Deadline) throws -> Frame {
    guard fd >= 0 else { throw error(.io, "receive on a closed connection") }
    while true {
      if let frame = try decodeBuffered() { return frame }
      switch Socket.wait(fd, for: Int16(POLLIN), until: deadline) {
      case .timedOut:
        throw error(.timedOut, isMidFrame || direct != nil
          ? "peer stalled mid-frame (deadline passed with the frame incomplete)"
          : "nothing received before the deadline: the peer is silent or stalled")
      case .ready, .hangup:
        break
      }
      _ = try readOnce()
    }
  }

  /// Without waiting: a frame if one is (or becomes, after one read of what the socket holds)
  /// complete, else nil. For callers that poll(2) several connections themselves (`fd`).
  public func receiveIfReady() throws -> Frame? {
    switch try receiveIfReady(scatter: nil) {
    case .frame(let f)?: return f
    default: return nil
    }
  }

  /// Where the payload of an expected reply goes: when the next frame is of `kind` with a
  /// payload of exactly `segments.totalBytes` bytes, its payload is read (readv) straight into
  /// the segments instead of an array — unless it was already whole in the first read (a small
  /// reply), which arrives as a frame like any other (an error reply, a reply of another size).
  public struct Scatter {
    public var kind: MessageKind
    public var segments: IOSegments
    public init(kind: MessageKind, segments: IOSegments) {
      self.kind = kind
      self.segments = segments
    }
  }

  /// A frame received whole, or one whose payload went into a `Scatter`'s segments.
  public enum Incoming {
    case frame(Frame)
    case scattered(FrameDecoder.PendingHeader)
  }

  /// The frame whose payload is being read into segments, and its running crc32 (nil when the
  /// frame carries none).
  private var scatter: (segments: IOSegments, filled: Int, crc: UInt32?)? = nil

  /// `receiveIfReady()` that reads a matching frame's payload into `scatter`'s segments (which
  /// it consumes; pass the same plan until the frame is in).
  public func receiveIfReady(scatter plan: Scatter?) throws -> Incoming? {
    guard fd >= 0 else { throw error(.io, "receive on a closed connection") }
    if let r = try decodeBuffered(plan) { return r }
    if try readOnce() == 0 { return nil }
    return try decodeBuffered(plan)
  }

  private func decodeBuffered() throws -> Frame? {
    if case .frame(let f)? = try decodeBuffered(nil) { return f }
    return nil
  }

  /// Decodes from what has been received; switches a large payload to direct reading (into its
  /// own array, or into the segments of a matching `plan`).
  private func decodeBuffered(_ plan: Scatter?) throws -> Incoming? {
    do {
      if scatter == nil && direct == nil {
        if let frame = try decoder.decode(buffer: &inbound) { return .frame(frame) }
        guard let header = decoder.pendingHeader else { return nil }
        if let plan, header.kind == plan.kind, header.length == plan.segments.totalBytes {
          let segments = plan.segments
          var crc: UInt32? = header.flags & Proto.Flags.uncheckedPayload != 0 ? nil : 0
          var filled = 0
          while inbound.readableBytes > 0 && filled < header.length {
            let (iov, _) = segments.window
            let n = inbound.read(into: UnsafeMutableRawBufferPointer(start: iov.pointee.iov_base, count: iov.pointee.iov_len))
            segments.consume(n, crc: &crc)
            filled += n
          }
          scatter = (segments, filled, crc)
        } else {
          guard header.length >= Connection.directPayloadThreshold else { return nil }
          let length = header.length
          var payload = [UInt8](unsafeUninitializedCapacity: length) { _, n in n = length }
          directFilled = payload.withUnsafeMutableBytes { inbound.read(into: $0) }
          direct = payload
        }
      }
      if let s = scatter {
        guard s.filled == s.segments.totalBytes else { return nil }
        scatter = nil
        let header = try decoder.completePendingElsewhere { s.crc ?? 0 }
        return .scattered(header)
      }
      guard directFilled == direct!.count else { return nil }
      let payload = direct!
      direct = nil
      directFilled = 0
      return .frame(try decoder.completePending(payload: payload))
    } catch let e as ProtoError {
      throw error(.protocolError, e.description, requestID: e.requestID, proto: e)
    }
  }

  /// One recv(2) into the inbound buffer or the direct payload; returns the bytes read (0 when
  /// nothing was waiting), throws when the peer has closed or the socket failed.
  private func readOnce() throws -> Int {
    var n = 0
    if let s = scatter {
      let (iov, count) = s.segments.window
      n = readv(fd, iov, count)
      if n > 0 {
        var crc = s.crc
        s.segments.consume(n, crc: &crc)
        scatter = (s.segments, s.filled + n, crc)
      }
    } else if direct != nil {
      let filled = directFilled
      n = direct!.withUnsafeMutableBytes { raw in
        recv(fd, raw.baseAddress! + filled, raw.count - filled, 0)
      }
      if n > 0 { directFilled += n }
    } else {
      inbound.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 << 10) { tail in
        n = recv(fd, tail.baseAddress, tail.count, 0)
        return max(n, 0)
      }
    }
    if n > 0 { return n }
    if n == 0 {
      throw error(.peerClosed, isMidFrame
        ? "peer closed the connection in the middle of a frame" : "peer closed the connection")
    }
    let e = errno
    if e == EINTR || e == EAGAIN || e == EWOULDBLOCK { return 0 }
    if e == ECONNRESET { throw error(.peerClosed, "connection reset by peer") }
    throw error(.io, "recv: \(errnoText(e))")
  }

  /// The next frame decoded as a message; a payload the decoder refuses is a `protocolError`.
  public func receiveMessage(deadline: Deadline) throws -> (requestID: UInt64, message: Message) {
    let frame = try receive(deadline: deadline)
    do {
      return (frame.requestID, try frame.message())
    } catch let e as ProtoError {
      throw error(.protocolError, e.description, requestID: frame.requestID, proto: e)
    }
  }

  /// Sends a request and waits for its reply (same request id, the request's reply kind). An
  /// error reply becomes a `remoteError` carrying it.
  public func request(_ message: Message, flags: UInt32 = 0, deadline: Deadline) throws -> Message {
    let id = makeRequestID()
    try send(message, requestID: id, flags: flags, deadline: deadline)
    let (replyID, reply) = try receiveMessage(deadline: deadline)
    if case .error(let e) = reply {
      throw NetError(.remoteError, "\(e.code): \(e.message)", peer: peer.description,
                     requestID: id, remote: e)
    }
    guard replyID == id, reply.kind == message.kind.replyKind else {
      throw error(.unexpectedReply, "sent \(message.kind) as request \(id), got \(reply.kind) "
        + "for request \(replyID)", requestID: id)
    }
    return reply
  }
}
