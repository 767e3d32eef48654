/// Collective — data-parallel communication among trainer ranks (DESIGN principle 11, gloo's
/// ring): a pure schedule (`RingSchedule`), the plans of each operation over it (`RingPlan`), one
/// driver that runs a plan over a rank's two ring links with overlapped, non-blocking sending and
/// receiving (`RingDriver`), and three kinds of links: shared-memory rings between processes on
/// one host and TCP over authenticated `Net` connections between hosts (both set up by
/// `TCPRing`), and in-process byte pipes (`InMemoryGroup`, tests). No model code.
///
/// Every operation is called by every rank in the same order. A peer that dies, closes or stalls
/// fails the operation with a `CollectiveError` naming it within `CollectiveOptions.timeout`,
/// and the failure is passed around the ring so that every rank names the same culprit.

/// The reduction of `allReduce`.
public enum ReduceOp: Sendable {
  case sum, mean
}

public struct CollectiveOptions: Sendable {
  /// Seconds: the rendezvous deadline (connect, accept, handshake), and the longest an operation
  /// waits without any progress on its links. It must exceed the longest time one rank may spend
  /// outside collectives while the others wait in one (rank 0 evaluating or checkpointing):
  /// a live but busy rank and a stalled one look the same from the ring.
  public var timeout: Double = 60
  /// Ring messages carry at most this many floats (small values in tests reach every path).
  public var segmentFloats: Int = 1 << 18
  /// `TCPRing`: shared-memory ring links when every rank's endpoint is on this host (all
  /// loopback, or all one address); false keeps TCP links. Every rank must pass the same value.
  public var sharedMemory: Bool = true
  /// Bytes of each shared-memory ring (a power of two, 4 KiB…1 GiB).
  public var sharedMemoryRingBytes: Int = 4 << 20
  /// With shared-memory links: all-reduce and broadcast through one group segment (`ShmGroup`:
  /// 2 barriers per piece instead of the ring's 2(w−1) dependent steps); false keeps the ring
  /// for them too. Every rank must pass the same value.
  public var sharedMemoryGroup: Bool = true
  /// The smallest world size that takes the group path (at 2 ranks the ring has only 2 dependent
  /// steps and measured faster for 4 MB: 0.8 ms against 2 ms; at 4 ranks the group is faster).
  public var groupMinWorldSize: Int = 3
  /// Floats per rank slot of the group segment (the piece size; the segment holds 2·w slots).
  public var groupSlotFloats: Int = 1 << 17
  /// The job's tag in the names of the shared-memory objects this rank creates
  /// (`SharedMemoryObjects`: 1…16 of `0-9a-z`, e.g. `jobTag(runDirectory:)`), so a launcher can
  /// remove whatever the job leaves; with a tag, the rendezvous first removes abandoned objects
  /// of the same tag (creator dead). nil: the tag `anon`, and no such removal.
  public var sharedMemoryJob: String? = nil

  public init(timeout: Double = 60, segmentFloats: Int = 1 << 18, sharedMemory: Bool = true,
              sharedMemoryRingBytes: Int = 4 << 20, sharedMemoryGroup: Bool = true,
              groupSlotFloats: Int = 1 << 17, sharedMemoryJob: String? = nil) {
    self.timeout = timeout
    self.segmentFloats = segmentFloats
    self.sharedMemory = sharedMemory
    self.sharedMemoryRingBytes = sharedMemoryRingBytes
    self.sharedMemoryGroup = sharedMemoryGroup
    self.groupSlotFloats = groupSlotFloats
    self.sharedMemoryJob = sharedMemoryJob
  }

  func validated() throws -> CollectiveOptions {
    guard timeout > 0, timeout.isFinite else {
      throw CollectiveError(.badArgument, "timeout must be a positive number of seconds, got \(timeout)")
    }
    guard segmentFloats >= 1, segmentFloats <= 1 << 28 else {
      throw CollectiveError(.badArgument, "segmentFloats must be 1...\(1 << 28), got \(segmentFloats)")
    }
    let ring = sharedMemoryRingBytes
    guard ring >= 4096, ring <= 1 << 30, ring & (ring - 1) == 0 else {
      throw CollectiveError(.badArgument, "sharedMemoryRingBytes must be a power of two in 4096...\(1 << 30), got \(ring)")
    }
    guard groupSlotFloats >= 1, groupSlotFloats <= 1 << 26 else {
      throw CollectiveError(.badArgument, "groupSlotFloats must be 1...\(1 << 26), got \(groupSlotFloats)")
    }
    if let job = sharedMemoryJob, !SharedMemoryObjects.isValidTag(job) {
      throw CollectiveError(.badArgument, "sharedMemoryJob must be 1...16 characters of 0-9a-z, got '\(job)'")
    }
    return self
  }
}

/// A group of `worldSize` ranks. Every rank calls the same operations in the same order.
public protocol Communicator: AnyObject {
  var rank: Int { get }
  var worldSize: Int { get }
  /// In place over all ranks (ring reduce-scatter then all-gather). Every rank passes the same
  /// count (0 allowed). Every rank ends with bit-identical values.
  func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int, op: ReduceOp) throws
  /// `root`'s `count` floats into every rank's buffer.
  func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) throws
  /// Small values (metric counts/sums, batch counts): every rank passes an array of the same
  /// length; result[r] is rank r's array.
  func allGather(_ values: [Double]) throws -> [[Double]]
  func barrier() throws
  /// Closes links; idempotent.
  func close()
}

/// A collective failure. `peerRank`/`peer` (host:port) name the rank at fault when there is one
/// — the neighbour that closed or stalled, or, when the failure was passed around the ring, the
/// rank the first detector named. Reads e.g. "collective: rank 1 (127.0.0.1:40123) sent nothing
/// for 60 s during allReduce #3".
public struct CollectiveError: Error, CustomStringConvertible, Sendable {
  public enum Code: UInt8, Sendable {
    case timeout = 1, peerClosed, protocolViolation, badArgument, rendezvous
  }

  public let code: Code
  public let peerRank: Int?
  public let peer: String?
  public let message: String
  /// For a failure learnt from an abort notice: the rank that first saw it and its words.
  let relayed: (reporter: Int, text: String)?

  public init(_ code: Code, _ message: String, peerRank: Int? = nil, peer: String? = nil) {
    self.code = code
    self.message = message
    self.peerRank = peerRank
    self.peer = peer
    relayed = nil
  }

  init(_ code: Code, _ message: String, peerRank: Int?, peer: String?, relayed: (reporter: Int, text: String)) {
    self.code = code
    self.message = message
    self.peerRank = peerRank
    self.peer = peer
    self.relayed = relayed
  }

  public var description: String {
    guard let peerRank else { return "collective: \(message)" }
    return "collective: rank \(peerRank)" + (peer.map { " (\($0))" } ?? "") + " \(message)"
  }
}
