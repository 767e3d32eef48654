#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rand — Gust's seeded randomness, a foundation below every other target.
///
/// Every random choice in Gust draws from a `Generator` whose seed comes from
/// `deriveSeed(base:rank:epoch:task:step:)`, so a job's seed fixes splits, sampling,
/// initialisation, dropout and batch order. Kept out of `Tensor` so that targets that must not
/// link numeric code (the launcher's construction and generation) share the same generator.

/// SplitMix64: the seed expander (and the mixing function of `deriveSeed`).
@inline(__always)
public func splitMix64(_ state: inout UInt64) -> UInt64 {
  state &+= 0x9E37_79B9_7F4A_7C15
  var z = state
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// The seed for one stream of randomness: a job seed and the coordinates of its use. Distinct
/// coordinates give independent-looking streams; the same coordinates always give the same one.
public func deriveSeed(base: UInt64, rank: Int = 0, epoch: Int = 0, task: Int = 0, step: Int = 0,
                       salt: UInt64 = 0) -> UInt64 {
  var s = base
  var h = splitMix64(&s)
  for v in [UInt64(bitPattern: Int64(rank)), UInt64(bitPattern: Int64(epoch)),
            UInt64(bitPattern: Int64(task)), UInt64(bitPattern: Int64(step)), salt] {
    var t = h ^ v
    h = splitMix64(&t)
  }
  return h
}

/// xoshiro256** — fast, small-state, statistically strong; seeded through SplitMix64.
public struct Generator: RandomNumberGenerator, Sendable {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

  public init(seed: UInt64) {
    var sm = seed
    s0 = splitMix64(&sm); s1 = splitMix64(&sm); s2 = splitMix64(&sm); s3 = splitMix64(&sm)
  }

  @inline(__always)
  public mutating func next() -> UInt64 {
    let result = rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result
  }

  @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
  }

  /// Uniform in [0, 1) with 24 bits of precision.
  @inline(__always)
  public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

  /// Uniform in [0, 1) with 53 bits of precision.
  @inline(__always)
  public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

  /// Uniform integer in `0..<bound` (Lemire's multiply-shift with rejection; no modulo bias).
  @inline(__always)
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "nextInt(below:) needs a positive bound")
    let b = UInt64(bound)
    var m = next().multipliedFullWidth(by: b)
    if m.low < b {
      let threshold = (0 &- b) % b
      while m.low < threshold { m = next().multipliedFullWidth(by: b) }
    }
    return Int(m.high)
  }

  /// Standard normal (Box–Muller, one value per call).
  public mutating func nextGaussian() -> Double {
    var u1 = nextDouble()
    while u1 <= 0 { u1 = nextDouble() }
    let u2 = nextDouble()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }

  /// Fisher–Yates shuffle in place.
  public mutating func shuffle<T>(_ a: inout [T]) {
    if a.count < 2 { return }
    for i in stride(from: a.count - 1, to: 0, by: -1) {
      let j = nextInt(below: i + 1)
      if i != j { a.swapAt(i, j) }
    }
  }
}

