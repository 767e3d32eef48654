import Tensor

/// How one parameter is initialised (PyTorch's formulas; `Init` in Tensor draws the numbers).
public enum ParameterInit: Sendable, Equatable {
  case zeros
  /// U(−b, b), b = gain·√(6 / (fanIn + fanOut)), with PyTorch's fans for the tensor's shape
  /// (a 3-D `[n, a, b]` tensor has fanIn = a·b, fanOut = n·b).
  case xavierUniform(fanIn: Int, fanOut: Int, gain: Float)
  case uniform(low: Float, high: Float)
  /// `nn.Linear`'s default for weight and bias: U(−1/√fanIn, 1/√fanIn).
  case linearDefault(fanIn: Int)

  /// `nn.init.calculate_gain('relu')`.
  public static let reluGain: Float = Float(2).squareRoot()
}

/// Registers parameters by stable dotted name with their initialisers, then seals the arena
/// and fills every parameter from its own generator, seeded by (seed, name): a parameter's
/// initial value does not depend on what else the model holds or on registration order.
public final class ParameterRegistry {
  public let arena: ParameterArena
  public private(set) var inits: [(name: String, view: ParameterArena.View, init: ParameterInit)] = []

  public init(arena: ParameterArena = ParameterArena()) { self.arena = arena }

  @discardableResult
  public func add(_ name: String, rows: Int, cols: Int, _ initializer: ParameterInit) -> ParameterArena.View {
    let v = arena.register(name, rows: rows, cols: cols)
    inits.append((name, v, initializer))
    return v
  }

  /// Seals the arena and initialises every parameter.
  public func sealAndInitialize(seed: UInt64) {
    arena.seal()
    reinitialize(seed: seed)
  }

  /// Re-draws every parameter (the arena must be sealed).
  public func reinitialize(seed: UInt64) {
    for (name, v, ini) in inits {
      var g = Generator(seed: deriveSeed(base: seed, salt: stableHash(name)))
      let p = arena.value(v)
      switch ini {
      case .zeros:
        p.update(repeating: 0, count: v.count)
      case .xavierUniform(let fanIn, let fanOut, let gain):
        Init.xavierUniform(p, count: v.count, fanIn: fanIn, fanOut: fanOut, gain: gain, generator: &g)
      case .uniform(let lo, let hi):
        Init.uniform(p, count: v.count, low: lo, high: hi, generator: &g)
      case .linearDefault(let fanIn):
        let b = 1 / Float(max(fanIn, 1)).squareRoot()
        Init.uniform(p, count: v.count, low: -b, high: b, generator: &g)
      }
    }
  }
}

/// FNV-1a over UTF-8: a hash that is the same in every process and every run (Swift's
/// `Hasher` is randomly seeded per process).
public func stableHash(_ s: String) -> UInt64 {
  var h: UInt64 = 0xcbf2_9ce4_8422_2325
  for b in s.utf8 {
    h ^= UInt64(b)
    h = h &* 0x0000_0100_0000_01b3
  }
  return h
}
