/// Construction's seeded randomness (splits, random partitioning). Kept local so that the
/// launcher, which links Construct, links no numeric code: SplitMix64 streams whose seeds mix
/// the job seed with the coordinates of their use, so each split or partitioning is fixed by
/// `--seed` alone and independent of the others.
struct SeededGenerator: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64, _ coordinates: UInt64...) {
    var s = seed
    var h = SeededGenerator.mix(&s)
    for c in coordinates {
      var t = h ^ c
      h = SeededGenerator.mix(&t)
    }
    state = h
  }

  static func mix(_ s: inout UInt64) -> UInt64 {
    s &+= 0x9E37_79B9_7F4A_7C15
    var z = s
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func next() -> UInt64 { SeededGenerator.mix(&state) }

  /// Uniform in `0..<bound` without modulo bias.
  mutating func below(_ bound: Int) -> Int {
    let b = UInt64(bound)
    var m = next().multipliedFullWidth(by: b)
    if m.low < b {
      let threshold = (0 &- b) % b
      while m.low < threshold { m = next().multipliedFullWidth(by: b) }
    }
    return Int(m.high)
  }

  /// Fisher–Yates, the same sequence of draws for the same count on every platform.
  mutating func shuffle<T>(_ a: inout [T]) {
    guard a.count > 1 else { return }
    for i in stride(from: a.count - 1, to: 0, by: -1) {
      let j = below(i + 1)
      if i != j { a.swapAt(i, j) }
    }
  }
}

/// A stable 64-bit code for a name (FNV-1a), to put type names into seed coordinates.
func stableHash(_ s: String) -> UInt64 {
  var h: UInt64 = 0xcbf2_9ce4_8422_2325
  for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
  return h
}
