/// A small explicit autograd tape (karpathy/micrograd's idea, over buffers).
///
/// Every op computes its forward with a kernel right away and appends a node holding its output
/// buffer and a backward closure. `backward(from:)` seeds the gradient of a scalar and walks the
/// nodes in reverse, each closure accumulating into its inputs' gradients through the kernels'
/// backward functions. Buffers come from a `Workspace` and live until `reset()`.
///
/// Parameters are views into a `ParameterArena`: their values are read in place and their
/// gradients accumulate straight into the arena's gradient buffer.
public struct Var: Hashable, Sendable {
  public let id: Int
}

public final class Tape {
  struct Node {
    var value: UnsafeMutablePointer<Float>
    var grad: UnsafeMutablePointer<Float>?
    let rows: Int
    let cols: Int
    let requiresGrad: Bool
    var backward: ((Tape) -> Void)?
  }

  var nodes: [Node] = []
  /// The seed the last `backward(from:seed:)` used in place as its root's gradient.
  private var borrowedSeed: (id: Int, seed: Tensor)?
  public let workspace: Workspace
  /// When false, ops record no backward closures (evaluation and inference).
  public var isRecording = true
  /// When false, dropout is the identity (evaluation).
  public var isTraining = true

  public init(workspace: Workspace = Workspace()) { self.workspace = workspace }

  /// Forgets every node and rewinds the workspace (parameter gradients in the arena stay).
  public func reset() {
    borrowedSeed = nil
    nodes.removeAll(keepingCapacity: true)
    workspace.reset()
  }

  // MARK: Leaves

  /// A copy of `t` with no gradient.
  public func constant(_ t: Tensor) -> Var { leaf(t, requiresGrad: false) }

  /// A copy of `t`; with `requiresGrad` it gets a zeroed gradient buffer read by `gradient(of:)`.
  public func leaf(_ t: Tensor, requiresGrad: Bool) -> Var {
    let p = workspace.allocate(t.count)
    t.storage.withUnsafeBufferPointer { if let b = $0.baseAddress { p.update(from: b, count: t.count) } }
    return append(Node(value: p, grad: requiresGrad ? workspace.zeros(t.count) : nil,
                       rows: t.rows, cols: t.cols, requiresGrad: requiresGrad, backward: nil))
  }

  /// External memory (features, a mapped file) used in place, with no gradient. The memory must
  /// outlive the tape's use of it and is never written.
  public func input(_ p: UnsafePointer<Float>, rows: Int, cols: Int) -> Var {
    append(Node(value: UnsafeMutablePointer(mutating: p), grad: nil, rows: rows, cols: cols,
                requiresGrad: false, backward: nil))
  }

  /// A parameter of `arena`, read in place; its gradient accumulates into the arena.
  public func parameter(_ v: ParameterArena.View, in arena: ParameterArena) -> Var {
    append(Node(value: arena.value(v), grad: arena.gradient(v), rows: v.rows, cols: v.cols,
                requiresGrad: isRecording, backward: nil))
  }

  /// A leaf whose gradient goes to external memory (e.g. pulled embedding rows whose gradient is
  /// later pushed to a server). `grad` must hold `rows × cols` floats and is accumulated into.
  public func leaf(value: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>?, rows: Int,
                   cols: Int) -> Var {
    append(Node(value: UnsafeMutablePointer(mutating: value), grad: grad, rows: rows, cols: cols,
                requiresGrad: grad != nil && isRecording, backward: nil))
  }

  // MARK: Reading

  public func shape(_ v: Var) -> (rows: Int, cols: Int) { (nodes[v.id].rows, nodes[v.id].cols) }
  public func value(_ v: Var) -> UnsafeMutablePointer<Float> { nodes[v.id].value }
  public func tensor(_ v: Var) -> Tensor {
    let n = nodes[v.id]
    return Tensor(rows: n.rows, cols: n.cols, copying: n.value)
  }
  public func scalar(_ v: Var) -> Float { nodes[v.id].value[0] }
  public func requiresGrad(_ v: Var) -> Bool { nodes[v.id].requiresGrad }

  /// The gradient accumulated for `v`, or nil when `v` needs none or received none.
  public func gradient(of v: Var) -> Tensor? {
    if let b = borrowedSeed, b.id == v.id { return b.seed }
    let n = nodes[v.id]
    guard let g = n.grad else { return nil }
    return Tensor(rows: n.rows, cols: n.cols, copying: g)
  }

  // MARK: Backward

  /// Seeds `d(out) = seed` (default: 1 for a 1×1 scalar) and runs every recorded backward in
  /// reverse order.
  ///
  /// When `out` has no gradient yet, the seed's storage is the gradient (borrowed, not copied:
  /// backward closures only read their output's gradient, and no op writes the gradient of a
  /// later node). `gradient(of: out)` then returns the seed; anything that accumulates into
  /// `out`'s gradient afterwards (another `backward`) first copies it into the workspace.
  public func backward(from out: Var, seed: Tensor? = nil) {
    let n = nodes[out.id]
    precondition(n.requiresGrad, "backward from a value that does not require a gradient")
    materializeBorrowedSeed()
    guard let seed else {
      let g = gradPointer(out)!
      precondition(n.rows * n.cols == 1, "backward from a non-scalar \(n.rows)×\(n.cols) needs a seed")
      g[0] += 1
      walk(from: out.id)
      return
    }
    precondition(seed.rows == n.rows && seed.cols == n.cols, "backward: seed shape mismatch")
    if let g = nodes[out.id].grad {
      seed.storage.withUnsafeBufferPointer { if let s = $0.baseAddress { Kernels.addRow(g, s, seed.count) } }
      walk(from: out.id)
      return
    }
    if seed.count == 0 {  // nothing to borrow: an empty gradient buffer
      _ = gradPointer(out)
      walk(from: out.id)
      return
    }
    seed.storage.withUnsafeBufferPointer { s in
      nodes[out.id].grad = UnsafeMutablePointer(mutating: s.baseAddress!)
      walk(from: out.id)
    }
    nodes[out.id].grad = nil
    borrowedSeed = (out.id, seed)
  }

  /// Runs the recorded backward closures of `root` and every earlier node, in reverse order.
  private func walk(from root: Int) {
    var i = root
    while i >= 0 {
      if nodes[i].grad != nil, let bw = nodes[i].backward { bw(self) }
      i -= 1
    }
  }

  /// Copies a seed borrowed by the last `backward` into the workspace as its node's gradient.
  private func materializeBorrowedSeed() {
    guard let (id, seed) = borrowedSeed else { return }
    borrowedSeed = nil
    let g = workspace.allocate(seed.count)
    seed.storage.withUnsafeBufferPointer { g.update(from: $0.baseAddress!, count: seed.count) }
    nodes[id].grad = g
  }

  // MARK: Building ops

  func append(_ node: Node) -> Var {
    nodes.append(node)
    return Var(id: nodes.count - 1)
  }

  /// Gradient buffer of `v`, allocated (zeroed) on first use; nil when `v` needs no gradient.
  func gradPointer(_ v: Var) -> UnsafeMutablePointer<Float>? {
    if !nodes[v.id].requiresGrad { return nil }
    if borrowedSeed?.id == v.id { materializeBorrowedSeed() }
    if let g = nodes[v.id].grad { return g }
    let g = workspace.zeros(nodes[v.id].rows * nodes[v.id].cols)
    nodes[v.id].grad = g
    return g
  }

  /// Appends an op's output of shape `rows × cols`, requiring a gradient when any input does.
  /// The caller fills the returned buffer; `backward(tape, dOut, out)` runs only when the output
  /// received a gradient.
  func output(
    rows: Int, cols: Int, inputs: [Var], zero: Bool = false,
    backward: ((Tape, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)?
  ) -> (Var, UnsafeMutablePointer<Float>) {
    let needs = isRecording && inputs.contains { nodes[$0.id].requiresGrad }
    let p = zero ? workspace.zeros(rows * cols) : workspace.allocate(rows * cols)
    let v = append(Node(value: p, grad: nil, rows: rows, cols: cols, requiresGrad: needs, backward: nil))
    if needs, let backward {
      nodes[v.id].backward = { tape in backward(tape, tape.nodes[v.id].grad!, p) }
    }
    return (v, p)
  }
}
