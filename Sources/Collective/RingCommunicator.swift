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

  init(rank: Int, worldSize: Int, links: RingLinks?, options: CollectiveOptions) {
    self.rank = rank
    self.worldSize = worldSize
    self.options = options
    self.links = links
    driver = links.map { RingDriver(rank: rank, worldSize: worldSize, links: $0, timeout: options.timeout) }
  }

  deinit { links?.close() }

  private func checkOpen(_ what: String) throws {
    if closed { throw CollectiveError(.badArgument, "\(what) on rank \(rank) after close()") }
  }

  func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int, op: ReduceOp) throws {
    try checkOpen("allReduce")
    guard count >= 0 else { throw CollectiveError(.badArgument, "allReduce of \(count) floats") }
    guard let driver else { return }  // one rank: the sum is the buffer, the mean too
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
  }
}
