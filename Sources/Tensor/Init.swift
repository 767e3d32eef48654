@_exported import Rand

/// Parameter initialisers (PyTorch's formulas), seeded.
public enum Init {
  /// Xavier/Glorot uniform: U(−a, a), a = gain·√(6/(fanIn+fanOut)).
  public static func xavierUniform(_ out: UnsafeMutablePointer<Float>, count: Int, fanIn: Int,
                                   fanOut: Int, gain: Float = 1, generator g: inout Generator) {
    let a = gain * (6.0 / Float(max(1, fanIn + fanOut))).squareRoot()
    for i in 0..<count { out[i] = (g.nextFloat() * 2 - 1) * a }
  }

  /// Normal(0, std).
  public static func normal(_ out: UnsafeMutablePointer<Float>, count: Int, std: Float,
                            generator g: inout Generator) {
    for i in 0..<count { out[i] = Float(g.nextGaussian()) * std }
  }

  /// U(low, high).
  public static func uniform(_ out: UnsafeMutablePointer<Float>, count: Int, low: Float,
                             high: Float, generator g: inout Generator) {
    for i in 0..<count { out[i] = low + g.nextFloat() * (high - low) }
  }
}
