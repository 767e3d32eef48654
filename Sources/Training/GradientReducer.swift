import Collective

/// How data-parallel training joins the ranks (SPEC §4, DESIGN §1). After every backward pass the
/// trainer hands the arena's flat gradient buffer to `reduce`, which must leave in it the
/// **mean** of every rank's gradients (PyTorch DDP's semantics: the same learning rate works for
/// any world size). Rank 0 decides evaluation-driven events (early stopping) and `agree` makes
/// every rank follow it; `broadcast` gives every rank rank 0's parameters; `sum` and `gather`
/// carry the sparse embedding gradients and the evaluation counts. Every rank calls the same
/// operations in the same order. `IdentityReducer` is world size 1; `CollectiveReducer` runs
/// over a `Collective.Communicator` (a TCP ring between processes, or threads in tests).
public protocol GradientReducer: AnyObject {
  var rank: Int { get }
  var worldSize: Int { get }
  /// Averages `count` floats at `gradients` over all ranks, in place.
  func reduce(_ gradients: UnsafeMutablePointer<Float>, count: Int) throws
  /// Rank 0's `decision` on every rank (other ranks pass their local value, which is ignored).
  func agree(_ decision: Bool) throws -> Bool
  /// Rank 0's `count` floats into every rank's buffer.
  func broadcast(_ values: UnsafeMutablePointer<Float>, count: Int) throws
  /// Sums `count` floats over all ranks, in place.
  func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws
  /// Small values: every rank passes an array of the same length; result[r] is rank r's.
  func gather(_ values: [Double]) throws -> [[Double]]
  func barrier() throws
}

/// World size 1: nothing to reduce, the only rank decides.
public final class IdentityReducer: GradientReducer {
  public init() {}
  public var rank: Int { 0 }
  public var worldSize: Int { 1 }
  public func reduce(_ gradients: UnsafeMutablePointer<Float>, count: Int) throws {}
  public func agree(_ decision: Bool) throws -> Bool { decision }
  public func broadcast(_ values: UnsafeMutablePointer<Float>, count: Int) throws {}
  public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {}
  public func gather(_ values: [Double]) throws -> [[Double]] { [values] }
  public func barrier() throws {}
}

/// Training's operations over a `Communicator`: the gradient mean is one ring all-reduce of the
/// whole arena; `agree` a broadcast of one float from rank 0.
public final class CollectiveReducer: GradientReducer {
  public let communicator: Communicator

  public init(_ communicator: Communicator) { self.communicator = communicator }

  public var rank: Int { communicator.rank }
  public var worldSize: Int { communicator.worldSize }

  public func reduce(_ gradients: UnsafeMutablePointer<Float>, count: Int) throws {
    try communicator.allReduce(gradients, count: count, op: .mean)
  }

  public func agree(_ decision: Bool) throws -> Bool {
    var x: Float = decision ? 1 : 0
    try communicator.broadcast(&x, count: 1, root: 0)
    return x != 0
  }

  public func broadcast(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
    try communicator.broadcast(values, count: count, root: 0)
  }

  public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
    try communicator.allReduce(values, count: count, op: .sum)
  }

  public func gather(_ values: [Double]) throws -> [[Double]] { try communicator.allGather(values) }
  public func barrier() throws { try communicator.barrier() }
}

extension GradientReducer {
  /// Every rank's `values` (lengths may differ), in rank order: the lengths first, then the
  /// values padded to the longest.
  func gatherVariable(_ values: [Double]) throws -> [[Double]] {
    if worldSize == 1 { return [values] }
    let lengths = try gather([Double(values.count)]).map { Int($0[0]) }
    let n = lengths.max() ?? 0
    let all = try gather(values + [Double](repeating: 0, count: n - values.count))
    return zip(all, lengths).map { Array($0.0.prefix($0.1)) }
  }
}
