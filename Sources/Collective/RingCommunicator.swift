import CShm
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `Communicator` of both `TCPRing` and `InMemoryGroup`: argument checks, the plan of each
/// operation, and the driver. One rank of one process; used from one thread at a time.
final class RingCommunicator: Communicator, @unchecked Sendable {
  let rank: Int
  let worldSize: Int
  private let options: CollectiveOptions
  private let driver: RingDriver?
  private let links: RingLinks?
  /// World size 1 has no links, but operations still count so a later error can say which.
  private var closed = false
  /// All-reduce and broadcast through one shared-memory group segment (`ShmGroup`), when set up.
  private var group: ShmGroup?
  private var groupBroken: CollectiveError?

  init(rank: Int, worldSize: Int, links: RingLinks?, options: CollectiveOptions) {
    self.rank = rank
    self.worldSize = worldSize
    self.options = options
    self.links = links
    driver = links.map { RingDriver(rank: rank, worldSize: worldSize, links: $0, timeout: options.timeout) }
  }

  deinit {
    links?.close()
    group?.unmap()
  }

  /// After the ring links are up (shared-memory links only): rank 0 creates the group segment,
  /// its name goes round the ring (as floats, by a ring broadcast), every rank maps it, an
  /// all-gather says who could, and rank 0 unlinks the name. Any rank failing to map fails the
  /// set-up on every rank, naming it.
  func setUpGroup(slotFloats: Int) throws {
    guard let shm = links as? ShmLinks, let driver, worldSize > 1 else { return }
    var name = rank == 0 ? ShmGroup.randomName(job: options.sharedMemoryJob ?? SharedMemoryObjects.anonymousJob) : ""
    var created: UnsafeMutableRawPointer? = nil
    var lockFD: Int32 = -1
    var problem = ""
    if rank == 0 {
      do { (created, lockFD) = try ShmGroup.create(name: name, worldSize: worldSize, slotFloats: slotFloats) } catch {
        problem = error.text
      }
    }
    defer {
      // Once every rank mapped it, or on failure: the name goes, then the creator lock.
      if lockFD >= 0 { ShmObject.unlink(name, lockFD: lockFD) }
    }
    var wire = [Float](repeating: 0, count: 256)
    if rank == 0 {
      let bytes = created == nil ? [] : Array(name.utf8)
      wire[0] = Float(bytes.count)
      for (i, b) in bytes.enumerated() { wire[i + 1] = Float(b) }
    }
    try wire.withUnsafeMutableBufferPointer { p in
      try driver.run(RingPlan.broadcast(p.baseAddress!, count: p.count, root: 0, rank: rank, worldSize: worldSize,
                                        segmentFloats: options.segmentFloats, sequence: driver.nextSequence()))
    }
    if rank != 0 {
      let n = Int(wire[0])
      name = String(decoding: (0..<n).map { UInt8(wire[$0 + 1]) }, as: UTF8.self)
      if n == 0 {
        problem = "rank 0 could not create the group segment"
      } else {
        do { created = try ShmGroup.open(name: name, worldSize: worldSize, slotFloats: slotFloats) } catch {
          problem = error.text
        }
      }
    }
    let ok = try allGather([created == nil ? 0 : 1])
    guard let base = created else {
      throw CollectiveError(.rendezvous, "rank \(rank): \(problem) (CollectiveOptions.sharedMemoryGroup = false "
        + "keeps the ring)")
    }
    if let bad = ok.firstIndex(where: { $0[0] != 1 }) {
      munmap(base, ShmGroup.layout(worldSize: worldSize, slotFloats: slotFloats).total)
      throw CollectiveError(.rendezvous, "could not map the shared-memory group segment (CollectiveOptions."
        + "sharedMemoryGroup = false keeps the ring)", peerRank: bad, peer: shm.peerName(bad))
    }
    let g = ShmGroup(rank: rank, worldSize: worldSize, slotFloats: slotFloats, base: base, links: shm,
                     timeout: options.timeout)
    group = g
    driver.onFailure = { [weak g] e in g?.record(e) }
  }

  /// Runs a group operation; a failure breaks the communicator and shuts the ring links.
  private func onGroup(_ body: (ShmGroup, String) throws(CollectiveError) -> Void, _ op: String) throws -> Bool {
    guard let group, let driver else { return false }
    if let groupBroken { throw groupBroken }
    if let broken = driver.broken { throw broken }
    let name = "\(op) #\(driver.nextSequence())"
    do {
      try body(group, name)
    } catch {
      groupBroken = error
      throw driver.abort(error)  // notices round the ring, links shut
    }
    return true
  }

  private func checkOpen(_ what: String) throws {
    if closed { throw CollectiveError(.badArgument, "\(what) on rank \(rank) after close()") }
    if let groupBroken { throw groupBroken }
  }

  func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int, op: ReduceOp) throws {
    try checkOpen("allReduce")
    guard count >= 0 else { throw CollectiveError(.badArgument, "allReduce of \(count) floats") }
    guard let driver else { return }  // one rank: the sum is the buffer, the mean too
    if try onGroup({ (g, name) throws(CollectiveError) in try g.allReduce(buffer, count: count, op: op, opName: name) },
                   "allReduce") { return }
    let plan = RingPlan.allReduce(buffer, count: count, op: op, rank: rank, worldSize: worldSize,
                                  segmentFloats: options.segmentFloats, sequence: driver.nextSequence())
    try driver.run(plan)
  }

  func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) throws {
    try checkOpen("broadcast")
    guard count >= 0 else { throw CollectiveError(.badArgument, "broadcast of \(count) floats") }
    guard (0..<worldSize).contains(root) else {
      throw CollectiveError(.badArgument, "broadcast from root \(root): ranks are 0..<\(worldSize)")
    }
    guard let driver else { return }
    if try onGroup({ (g, name) throws(CollectiveError) in try g.broadcast(buffer, count: count, root: root, opName: name) },
                   "broadcast") { return }
    try driver.run(RingPlan.broadcast(buffer, count: count, root: root, rank: rank, worldSize: worldSize,
                                      segmentFloats: options.segmentFloats, sequence: driver.nextSequence()))
  }

  func allGather(_ values: [Double]) throws -> [[Double]] {
    try checkOpen("allGather")
    guard let driver else { return [values] }
    let m = values.count
    guard m <= (64 << 20) / worldSize else {
      throw CollectiveError(.badArgument, "allGather is for small values; got \(m) per rank")
    }
    var table = [Double](repeating: 0, count: m * worldSize)
    try table.withUnsafeMutableBufferPointer { t in
      for i in 0..<m { t[rank * m + i] = values[i] }
      try driver.run(RingPlan.allGather(t.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, perRank: m,
                                        op: .allGather, rank: rank, worldSize: worldSize,
                                        sequence: driver.nextSequence()))
    }
    return (0..<worldSize).map { Array(table[($0 * m)..<($0 * m + m)]) }
  }

  func barrier() throws {
    try checkOpen("barrier")
    guard let driver else { return }
    let none = UnsafeMutablePointer<Double>(bitPattern: 8)!
    try driver.run(RingPlan.allGather(none, perRank: 0, op: .barrier, rank: rank, worldSize: worldSize,
                                      sequence: driver.nextSequence()))
  }

  func close() {
    closed = true
    links?.close()
    group?.unmap()
    group = nil
  }
}
