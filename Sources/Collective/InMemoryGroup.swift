import Net

/// In-process group over threads (tests): returns one communicator per rank; each must be driven
/// from its own thread. The links are bounded byte pipes (256 KiB, like a socket buffer) under
/// one lock, so the same driver runs as over TCP — partial writes, back-pressure and all —
/// without sockets. `close()` on one rank makes its neighbours see end of stream, as a dead
/// process would.
public enum InMemoryGroup {
  public static func make(worldSize: Int, options: CollectiveOptions = .init()) -> [Communicator] {
    precondition(worldSize >= 1, "world size \(worldSize)")
    let checked: CollectiveOptions
    do { checked = try options.validated() } catch { preconditionFailure("\(error)") }
    let options = checked
    guard worldSize > 1 else { return [RingCommunicator(rank: 0, worldSize: 1, links: nil, options: options)] }
    let hub = MemoryHub(worldSize: worldSize, capacity: 256 << 10)
    return (0..<worldSize).map {
      RingCommunicator(rank: $0, worldSize: worldSize, links: MemoryLinks(hub: hub, rank: $0), options: options)
    }
  }
}

/// One direction of one link: a bounded ring of bytes.
final class MemoryPipe {
  let capacity: Int
  let storage: UnsafeMutableRawPointer
  var head = 0
  var count = 0
  var writerClosed = false
  var readerClosed = false

  init(capacity: Int) {
    self.capacity = capacity
    storage = .allocate(byteCount: capacity, alignment: 64)
  }

  deinit { storage.deallocate() }

  func write(_ src: UnsafeRawBufferPointer) -> Int {
    let n = min(src.count, capacity - count)
    var done = 0
    while done < n {
      let tail = (head + count) % capacity
      let run = min(n - done, capacity - tail)
      (storage + tail).copyMemory(from: src.baseAddress! + done, byteCount: run)
      count += run
      done += run
    }
    return n
  }

  func read(_ dst: UnsafeMutableRawBufferPointer) -> Int {
    let n = min(dst.count, count)
    var done = 0
    while done < n {
      let run = min(n - done, capacity - head)
      (dst.baseAddress! + done).copyMemory(from: storage + head, byteCount: run)
      head = (head + run) % capacity
      count -= run
      done += run
    }
    return n
  }
}

/// Every pipe of a group: `data[r]` carries rank r → r+1, `back[r]` rank r+1 → r.
final class MemoryHub: @unchecked Sendable {
  let worldSize: Int
  let data: [MemoryPipe]
  let back: [MemoryPipe]
  let lock = Lock()

  init(worldSize: Int, capacity: Int) {
    self.worldSize = worldSize
    data = (0..<worldSize).map { _ in MemoryPipe(capacity: capacity) }
    back = (0..<worldSize).map { _ in MemoryPipe(capacity: capacity) }
  }
}

final class MemoryLinks: RingLinks, @unchecked Sendable {
  private let hub: MemoryHub
  private let rank: Int
  private var isShut = false

  init(hub: MemoryHub, rank: Int) {
    self.hub = hub
    self.rank = rank
  }

  private var left: Int { (rank - 1 + hub.worldSize) % hub.worldSize }

  /// The pipe this rank writes on / reads from on a side.
  private func outPipe(_ side: LinkSide) -> MemoryPipe { side == .right ? hub.data[rank] : hub.back[left] }
  private func inPipe(_ side: LinkSide) -> MemoryPipe { side == .right ? hub.back[rank] : hub.data[left] }

  private static let closedByPeer = "closed its connection (the rank closed or failed)"

  func write(_ side: LinkSide, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> LinkIO {
    var result = LinkIO.bytes(0)
    hub.lock.broadcast {
      let p = outPipe(side)
      if p.writerClosed { result = .closed("its link was closed on this side"); return }
      if p.readerClosed { result = .closed(MemoryLinks.closedByPeer); return }
      var n = a.count > 0 ? p.write(a) : 0
      if n == a.count && b.count > 0 { n += p.write(b) }
      result = .bytes(n)
    }
    return result
  }

  func read(_ side: LinkSide, into: UnsafeMutableRawBufferPointer) -> LinkIO {
    var result = LinkIO.bytes(0)
    hub.lock.broadcast {
      let p = inPipe(side)
      if p.readerClosed { result = .closed("its link was closed on this side"); return }
      if p.count == 0 && p.writerClosed { result = .closed(MemoryLinks.closedByPeer); return }
      result = .bytes(into.count > 0 ? p.read(into) : 0)
    }
    return result
  }

  private func ready(_ want: LinkReady) -> LinkReady {
    var r: LinkReady = []
    for (side, inBit, outBit) in [(LinkSide.left, LinkReady.leftIn, LinkReady.leftOut),
                                  (.right, .rightIn, .rightOut)] {
      let i = inPipe(side), o = outPipe(side)
      if want.contains(inBit) && (i.count > 0 || i.writerClosed || i.readerClosed) { r.insert(inBit) }
      if want.contains(outBit) && (o.count < o.capacity || o.readerClosed || o.writerClosed) { r.insert(outBit) }
    }
    return r
  }

  func wait(_ want: LinkReady, until deadline: Deadline) -> LinkReady {
    var r: LinkReady = []
    _ = hub.lock.wait(until: deadline) {
      r = ready(want)
      return !r.isEmpty
    }
    return r
  }

  func peerName(_ rank: Int) -> String? { nil }

  func shutdown() {
    hub.lock.broadcast {
      guard !isShut else { return }
      isShut = true
      hub.data[rank].writerClosed = true
      hub.back[rank].readerClosed = true
      hub.data[left].readerClosed = true
      hub.back[left].writerClosed = true
    }
  }

  func close() { shutdown() }
}
