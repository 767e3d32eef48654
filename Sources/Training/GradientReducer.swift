/// The hook where data-parallel training joins the ranks (SPEC §4, DESIGN §1): after every
/// backward pass the trainer hands the arena's flat gradient buffer to `reduce`, which must
/// leave in it the **mean** of every rank's gradients (PyTorch DDP's semantics: the same
/// learning rate works for any world size). Rank 0 decides evaluation-driven events (early
/// stopping); `agree` makes every rank follow its decision. The ring all-reduce of a later issue
/// implements this; `IdentityReducer` is the world-size-1 case.
public protocol GradientReducer: AnyObject {
  var worldSize: Int { get }
  /// Averages `count` floats at `gradients` over all ranks, in place.
  func reduce(_ gradients: UnsafeMutablePointer<Float>, count: Int) throws
  /// Rank 0's `decision` on every rank (other ranks pass their local value, which is ignored).
  func agree(_ decision: Bool) throws -> Bool
}

/// World size 1: nothing to reduce, the only rank decides.
public final class IdentityReducer: GradientReducer {
  public init() {}
  public var worldSize: Int { 1 }
  public func reduce(_ gradients: UnsafeMutablePointer<Float>, count: Int) throws {}
  public func agree(_ decision: Bool) throws -> Bool { decision }
}
