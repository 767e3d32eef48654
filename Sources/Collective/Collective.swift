/// Collective — data-parallel communication among trainer ranks (DESIGN principle 11, gloo's
/// ring): a pure schedule (`RingSchedule`), the plans of each operation over it (`RingPlan`), one
/// driver that runs a plan over a rank's two ring links with overlapped, non-blocking sending and
/// receiving (`RingDriver`), and two kinds of links: TCP over authenticated `Net` connections
/// (`TCPRing`) and in-process byte pipes (`InMemoryGroup`, tests). No model code.
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
  /// waits without any progress on its links.
  public var timeout: Double = 60
  /// Ring messages carry at most this many floats (small values in tests reach every path).
  public var segmentFloats: Int = 1 << 18

  public init(timeout: Double = 60, segmentFloats: Int = 1 << 18) {
    self.timeout = timeout
    self.segmentFloats = segmentFloats
  }

  func validated() throws -> CollectiveOptions {
    guard timeout > 0, timeout.isFinite else {
      throw CollectiveError(.badArgument, "timeout must be a positive number of seconds, got \(timeout)")
    }
    guard segmentFloats >= 1, segmentFloats <= 1 << 28 else {
      throw CollectiveError(.badArgument, "segmentFloats must be 1...\(1 << 28), got \(segmentFloats)")
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
