/// A flat parameter arena: every parameter's values live in one contiguous buffer and every
/// gradient in a second one of the same layout, so an all-reduce is one call on `gradients` and
/// an optimiser step is one pass over both.
///
/// Parameters are registered by name before the arena is sealed; after that the buffers never
/// move. Each parameter's slice starts on a 16-float (64-byte) boundary.
public final class ParameterArena: @unchecked Sendable {
  public struct View: Hashable, Sendable {
    public let index: Int
    public let offset: Int
    public let rows: Int
    public let cols: Int
    public var count: Int { rows * cols }
  }

  public private(set) var names: [String] = []
  public private(set) var views: [View] = []
  private var byName: [String: Int] = [:]
  private var size = 0
  public private(set) var isSealed = false
  public private(set) var values: UnsafeMutablePointer<Float>
  public private(set) var gradients: UnsafeMutablePointer<Float>

  public init() {
    values = .allocate(capacity: 1)
    gradients = .allocate(capacity: 1)
  }

  deinit {
    values.deallocate()
    gradients.deallocate()
  }

  /// Registers a `rows × cols` parameter. Names are unique; registration ends with `seal()`.
  @discardableResult
  public func register(_ name: String, rows: Int, cols: Int) -> View {
    precondition(!isSealed, "ParameterArena: register('\(name)') after seal()")
    precondition(byName[name] == nil, "ParameterArena: duplicate parameter '\(name)'")
    precondition(rows >= 0 && cols >= 0)
    let offset = (size + 15) & ~15
    let v = View(index: views.count, offset: offset, rows: rows, cols: cols)
    size = offset + rows * cols
    byName[name] = v.index
    names.append(name)
    views.append(v)
    return v
  }

  /// Allocates both buffers, zero-filled.
  public func seal() {
    precondition(!isSealed, "ParameterArena: sealed twice")
    values.deallocate()
    gradients.deallocate()
    let cap = max(1, size)
    values = .allocate(capacity: cap)
    values.initialize(repeating: 0, count: cap)
    gradients = .allocate(capacity: cap)
    gradients.initialize(repeating: 0, count: cap)
    isSealed = true
  }

  /// Elements spanned by the buffers (including alignment padding, which stays zero).
  public var count: Int { size }

  public func view(named name: String) -> View? { byName[name].map { views[$0] } }

  public func value(_ v: View) -> UnsafeMutablePointer<Float> {
    precondition(isSealed, "ParameterArena: access before seal()")
    return values + v.offset
  }

  public func gradient(_ v: View) -> UnsafeMutablePointer<Float> {
    precondition(isSealed, "ParameterArena: access before seal()")
    return gradients + v.offset
  }

  public func zeroGradients() { gradients.update(repeating: 0, count: max(1, size)) }

  /// A copy of one parameter as a tensor.
  public func tensor(_ v: View) -> Tensor { Tensor(rows: v.rows, cols: v.cols, copying: value(v)) }

  public func gradientTensor(_ v: View) -> Tensor {
    Tensor(rows: v.rows, cols: v.cols, copying: gradient(v))
  }

  /// Overwrites one parameter from a tensor of the same shape.
  public func set(_ v: View, _ t: Tensor) {
    precondition(t.rows == v.rows && t.cols == v.cols,
                 "ParameterArena.set: \(t.rows)×\(t.cols) into \(v.rows)×\(v.cols)")
    t.storage.withUnsafeBufferPointer { src in
      if let base = src.baseAddress { value(v).update(from: base, count: v.count) }
    }
  }
}
