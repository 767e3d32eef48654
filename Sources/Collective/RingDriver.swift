import Net

/// Runs `RingPlan`s over a rank's `RingLinks` in one thread with non-blocking I/O: it sends to
/// the right and receives from the left at the same time (whatever either link can take or give
/// right now, then poll(2) on both), so two neighbours pushing large segments at each other never
/// deadlock. Received floats are added into the caller's buffer as they arrive — straight from a
/// shared-memory ring, or through a 256 KiB staging area from a socket — so memory stays flat
/// whatever the message size.
///
/// Failures: a link closed while something is still due on it, bytes that are not the expected
/// message, or no progress at all for `timeout` seconds fail the operation naming the
/// neighbour. The rank then sends an abort notice both ways (left on the link that otherwise
/// carries nothing back; right after completing the message in flight with zeros), shuts its
/// links, and every later operation fails with the same error. A rank receiving a notice fails
/// naming the culprit it carries and passes it on, so the whole ring names one rank.
final class RingDriver {
  let rank: Int
  let worldSize: Int
  let links: RingLinks
  let timeout: Double
  private(set) var sequence: UInt32 = 0
  private(set) var broken: CollectiveError?
  /// Called with a failure before the links shut (`ShmGroup` records it for the group's waits).
  var onFailure: ((CollectiveError) -> Void)?

  private let stageCapacity = 256 << 10
  private let stage: UnsafeMutableRawPointer
  private let header: UnsafeMutableRawPointer     // outgoing header of the message in flight
  private let inHeader: UnsafeMutableRawPointer   // incoming header from the left
  private let returnBuffer: UnsafeMutableRawPointer  // reads of the right link's return direction
  /// Abort notice bytes arriving from the right, and whether the right link has ended.
  private var fromRight: [UInt8] = []
  private var rightEnded = false
  /// The message in flight to the right: total bytes (header + payload) and bytes written.
  private var outTotal = 0
  private var outDone = 0
  private var opName = ""
  /// While an operation runs: whether a receive from the left is still due, and when this rank
  /// last made progress (monotonic ns) — to judge a timeout accusation from the right.
  private var receiveDue = false
  private var lastProgress: UInt64 = 0

  init(rank: Int, worldSize: Int, links: RingLinks, timeout: Double) {
    self.rank = rank
    self.worldSize = worldSize
    self.links = links
    self.timeout = timeout
    stage = .allocate(byteCount: stageCapacity, alignment: 64)
    header = .allocate(byteCount: RingHeader.size, alignment: 8)
    inHeader = .allocate(byteCount: RingHeader.size, alignment: 8)
    returnBuffer = .allocate(byteCount: 512, alignment: 8)
  }

  deinit {
    stage.deallocate()
    header.deallocate()
    inHeader.deallocate()
    returnBuffer.deallocate()
  }

  var left: Int { (rank - 1 + worldSize) % worldSize }
  var right: Int { (rank + 1) % worldSize }

  /// The next operation's number (each call of `run` uses one).
  func nextSequence() -> UInt32 {
    defer { sequence &+= 1 }
    return sequence
  }

  func run(_ plan: RingPlan) throws {
    if let broken { throw broken }
    opName = "\(plan.header.op.name) #\(plan.header.sequence)"
    do {
      try drive(plan)
    } catch let e as CollectiveError {
      throw fail(e)
    }
  }

  private func peerError(_ code: CollectiveError.Code, _ peer: Int, _ text: String) -> CollectiveError {
    CollectiveError(code, text, peerRank: peer, peer: links.peerName(peer))
  }

  private func drive(_ plan: RingPlan) throws {
    var sendJ = 0, recvJ = 0
    var current: RingPlan.Send? = nil
    // Receive state: header bytes in, payload bytes in, staged bytes not yet added.
    var recv: RingPlan.Receive? = nil
    var headerIn = 0, payloadIn = 0, staged = 0, added = 0
    var deadline = Deadline.after(seconds: timeout)
    lastProgress = Deadline.now.nanoseconds
    receiveDue = plan.receiveCount > 0
    outTotal = 0
    outDone = 0

    while sendJ < plan.sendCount || recvJ < plan.receiveCount {
      var progressed = false

      // Send: start the next message when what it forwards has come in.
      if current == nil && sendJ < plan.sendCount {
        let s = plan.send(sendJ)
        if recvJ >= s.after {
          try checkRight(sendsDue: true)
          var h = plan.header
          h.step = UInt16(s.step)
          h.length = UInt32(s.bytes.count)
          h.write(to: header)
          current = s
          outTotal = RingHeader.size + s.bytes.count
          outDone = 0
        }
      }
      if let s = current {
        let headLeft = max(0, RingHeader.size - outDone)
        let a = UnsafeRawBufferPointer(start: header + (RingHeader.size - headLeft), count: headLeft)
        let payloadDone = outDone - (RingHeader.size - headLeft)
        let b = UnsafeRawBufferPointer(rebasing: s.bytes[payloadDone...])
        switch links.write(.right, a, b) {
        case .bytes(let n):
          if n > 0 {
            progressed = true
            outDone += n
            if outDone == outTotal {
              current = nil
              sendJ += 1
            }
          }
        case .closed(let why):
          // The neighbour may have failed first and said why on the return link.
          if !rightEnded { try checkRight(sendsDue: false) }
          throw peerError(.peerClosed, right, "\(why) while this rank was sending \(opName)")
        }
      }

      // Receive: a header, then the payload (straight into place, or staged and added).
      if recvJ < plan.receiveCount {
        if recv == nil {
          recv = plan.receive(recvJ)
          headerIn = 0
          payloadIn = 0
          staged = 0
          added = 0
        }
        let r = recv!
        if headerIn < RingHeader.size {
          switch links.read(.left, into: UnsafeMutableRawBufferPointer(start: inHeader + headerIn,
                                                                       count: RingHeader.size - headerIn)) {
          case .bytes(let n):
            if n > 0 {
              progressed = true
              headerIn += n
              if headerIn == RingHeader.size { try checkHeader(plan, r) }
            }
          case .closed(let why):
            throw peerError(.peerClosed, left, "\(why) before this rank received all of \(opName)")
          }
        } else {
          let total = r.into.count
          var io: LinkIO
          var reducedInPlace = false
          if r.action == .copy {
            io = links.read(.left, into: UnsafeMutableRawBufferPointer(rebasing: r.into[payloadIn...]))
          } else {
            io = .bytes(0)
            // Shared-memory links: add straight from the ring (whole floats) into the buffer.
            if staged == 0, let direct = links.readInPlace(.left, max: total - payloadIn, { region in
              let floats = region.count / 4
              if floats > 0 { reduce(r.into.baseAddress! + added * 4, region.baseAddress!, floats, r.action) }
              return floats * 4
            }) {
              io = direct
              reducedInPlace = true
            }
            if case .bytes(0) = io {
              // Sockets, or a float split at the ring's end: through the staging area.
              reducedInPlace = false
              io = links.read(.left, into: UnsafeMutableRawBufferPointer(
                start: stage + staged, count: min(stageCapacity - staged, total - payloadIn)))
            }
          }
          switch io {
          case .bytes(let n):
            if n > 0 {
              progressed = true
              payloadIn += n
              if reducedInPlace {
                added += n / 4
              } else if r.action != .copy {
                staged += n
                let floats = staged / 4
                reduce(r.into.baseAddress! + added * 4, stage, floats, r.action)
                added += floats
                let rest = staged - floats * 4
                if rest > 0 { stage.copyMemory(from: stage + floats * 4, byteCount: rest) }
                staged = rest
              }
            }
          case .closed(let why):
            throw peerError(.peerClosed, left, "\(why) in the middle of \(opName)")
          }
        }
        if headerIn == RingHeader.size && payloadIn == r.into.count {
          recv = nil
          recvJ += 1
          progressed = true
        }
      }

      if progressed {
        deadline = Deadline.after(seconds: timeout)
        lastProgress = Deadline.now.nanoseconds
        receiveDue = recvJ < plan.receiveCount
        continue
      }
      var want: LinkReady = []
      if recvJ < plan.receiveCount { want.insert(.leftIn) }
      if current != nil { want.insert(.rightOut) }
      if !rightEnded { want.insert(.rightIn) }
      let ready = links.wait(want, until: deadline)
      if ready.contains(.rightIn) { try checkRight(sendsDue: sendJ < plan.sendCount) }
      if ready.isEmpty {
        if recvJ < plan.receiveCount && current == nil {
          throw peerError(.timeout, left, "sent nothing for \(seconds(timeout)) during \(opName) "
            + "(this rank had received \(recvJ) of \(plan.receiveCount) messages)")
        }
        throw peerError(.timeout, right, "took no data for \(seconds(timeout)) during \(opName) "
          + "(this rank had sent \(sendJ) of \(plan.sendCount) messages)")
      }
    }
  }

  /// The incoming header must be exactly the message this rank expects next.
  private func checkHeader(_ plan: RingPlan, _ r: RingPlan.Receive) throws {
    switch RingHeader.parse(UnsafeRawPointer(inHeader)) {
    case .failure(let e):
      throw peerError(.protocolViolation, left, "\(e.text) during \(opName)")
    case .success(let h):
      if h.op == RingHeader.Op.abort {
        let payload = try readAbortPayload(Int(h.length))
        throw abortError(payload, from: left)
      }
      var expected = plan.header
      expected.step = UInt16(r.step)
      expected.length = UInt32(r.into.count)
      guard h != expected else { return }
      if h.op == expected.op && h.sequence == expected.sequence
        && (h.count != expected.count || h.root != expected.root || h.arg != expected.arg) {
        throw peerError(.badArgument, left, "called \(h.what) while this rank called \(expected.what)")
      }
      if h.op != expected.op || h.sequence != expected.sequence {
        throw peerError(.protocolViolation, left, "is in \(h.what) while this rank is in \(expected.what): "
          + "ranks must call the same operations in the same order")
      }
      throw peerError(.protocolViolation, left, "sent step \(h.step) with \(h.length) bytes during "
        + "\(opName); this rank expected step \(expected.step) with \(expected.length) bytes")
    }
  }

  /// An abort's payload from the left (the header is in); bounded by the timeout.
  private func readAbortPayload(_ length: Int) throws -> RingAbort {
    guard length >= 9 && length <= RingHeader.maxAbortPayload else {
      throw peerError(.protocolViolation, left, "sent an abort notice of \(length) bytes")
    }
    var payload = [UInt8](repeating: 0, count: length)
    var got = 0
    let deadline = Deadline.after(seconds: timeout)
    while got < length {
      let io = payload.withUnsafeMutableBytes { links.read(.left, into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
      switch io {
      case .bytes(let n):
        got += n
        if n == 0 && links.wait(.leftIn, until: deadline).isEmpty {
          throw peerError(.timeout, left, "stalled in the middle of an abort notice")
        }
      case .closed(let why):
        throw peerError(.peerClosed, left, "\(why) in the middle of an abort notice")
      }
    }
    guard let abort = RingAbort(payload: payload) else {
      throw peerError(.protocolViolation, left, "sent a malformed abort notice")
    }
    return abort
  }

  private func abortError(_ a: RingAbort, from: Int) -> CollectiveError {
    let relay = (reporter: a.reporter, text: a.message)
    guard let culprit = a.culprit, culprit >= 0, culprit < worldSize else {
      return CollectiveError(a.code, "rank \(a.reporter) failed: \(a.message) (passed on by rank \(from))",
                             peerRank: nil, peer: nil, relayed: relay)
    }
    let via = a.reporter == from ? "" : ", passed on by rank \(from)"
    return CollectiveError(a.code, a.message + " (reported by rank \(a.reporter)\(via))",
                           peerRank: culprit, peer: links.peerName(culprit), relayed: relay)
  }

  /// Reads whatever the right neighbour sent back (only abort notices are allowed) without
  /// blocking. End of stream is an error only while something is still to be sent there.
  private func checkRight(sendsDue: Bool) throws {
    if rightEnded {
      if sendsDue { throw peerError(.peerClosed, right, "closed the connection before \(opName)") }
      return
    }
    while true {
      let io = links.read(.right, into: UnsafeMutableRawBufferPointer(start: returnBuffer, count: 512))
      switch io {
      case .bytes(let n):
        if n == 0 { return }
        fromRight += UnsafeRawBufferPointer(start: returnBuffer, count: n)
        if fromRight.count >= RingHeader.size {
          let h: RingHeader
          switch RingHeader.parse(fromRight) {
          case .failure(let e): throw peerError(.protocolViolation, right, "\(e.text) on the return link")
          case .success(let parsed): h = parsed
          }
          guard h.op == .abort, h.length >= 9, Int(h.length) <= RingHeader.maxAbortPayload else {
            throw peerError(.protocolViolation, right, "sent \(h.what) back on the return link")
          }
          if fromRight.count >= RingHeader.size + Int(h.length) {
            let payload = Array(fromRight[RingHeader.size..<(RingHeader.size + Int(h.length))])
            guard let a = RingAbort(payload: payload) else {
              throw peerError(.protocolViolation, right, "sent a malformed abort notice")
            }
            if a.culprit == rank && a.code == .timeout && receiveDue {
              // The right timed out waiting on this rank while this rank waited on its left: round
              // a stalled rank every rank times out, its right neighbour first — unless that one
              // woke late (a loaded machine). Pass the blame on when this rank's left has been
              // silent for most of the timeout too; a rank that only arrived late takes it.
              let silent = Double(Deadline.now.nanoseconds &- lastProgress) / 1e9
              if silent >= timeout / 2 {
                throw peerError(.timeout, left, "sent nothing for \(seconds((silent * 10).rounded() / 10)) during "
                  + "\(opName) (rank \(a.reporter) timed out waiting on this rank, which was waiting on rank \(left))")
              }
            }
            throw abortError(a, from: right)
          }
        }
      case .closed(let why):
        rightEnded = true
        if sendsDue { throw peerError(.peerClosed, right, "\(why) during \(opName)") }
        return
      }
    }
  }

  /// Records the failure, tells both neighbours (best effort, briefly), shuts the links.
  /// A failure found outside the ring (`ShmGroup`): recorded, told round the ring, links shut.
  func abort(_ e: CollectiveError) -> CollectiveError { fail(e) }

  private func fail(_ e: CollectiveError) -> CollectiveError {
    broken = e
    onFailure?(e)
    // Passing a notice on keeps the first reporter's words and number.
    let abort = RingAbort(culprit: e.peerRank, code: e.code, reporter: e.relayed?.reporter ?? rank,
                          message: e.relayed?.text ?? e.message)
    let payload = abort.payload
    var h = RingHeader(op: .abort, sequence: sequence &- 1, count: 0, length: UInt32(payload.count))
    h.step = 0
    let notice = h.bytes + payload
    let deadline = Deadline.after(seconds: min(1, timeout / 4))
    if worldSize > 1 {
      writeAll(.left, notice, deadline: deadline)
      // The right link may be mid-message: complete it with zeros so the notice starts on a
      // message boundary there.
      if outDone > 0 && outDone < outTotal {
        let headLeft = max(0, RingHeader.size - outDone)
        let zeros = [UInt8](repeating: 0, count: 64 << 10)
        var rest = outTotal - outDone - headLeft
        if headLeft > 0 {
          let h = Array(UnsafeRawBufferPointer(start: header + (RingHeader.size - headLeft), count: headLeft))
          if !writeAll(.right, h, deadline: deadline) { rest = -1 }
        }
        while rest > 0 {
          let n = min(rest, zeros.count)
          if !writeAll(.right, Array(zeros[..<n]), deadline: deadline) { rest = -1; break }
          rest -= n
        }
        if rest == 0 { writeAll(.right, notice, deadline: deadline) }
      } else {
        writeAll(.right, notice, deadline: deadline)
      }
    }
    links.shutdown()
    return e
  }

  @discardableResult
  private func writeAll(_ side: LinkSide, _ bytes: [UInt8], deadline: Deadline) -> Bool {
    var off = 0
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    while off < bytes.count {
      let io = bytes.withUnsafeBytes { links.write(side, UnsafeRawBufferPointer(rebasing: $0[off...]), empty) }
      switch io {
      case .bytes(let n):
        off += n
        if n == 0 && links.wait(side == .left ? .leftOut : .rightOut, until: deadline).isEmpty { return false }
      case .closed:
        return false
      }
    }
    return true
  }
}

/// dst[i] += src[i], or (dst[i] + src[i]) / d for `.addThenDivide(d)`.
@inline(__always)
private func reduce(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ n: Int, _ action: RingPlan.Action) {
  if case .addThenDivide(let d) = action {
    addFloatsThenDivide(dst, src, n, d)
  } else {
    addFloats(dst, src, n)
  }
}

func seconds(_ s: Double) -> String {
  s < 1 ? "\(Int((s * 1000).rounded())) ms" : (s == s.rounded() ? "\(Int(s)) s" : "\(s) s")
}
