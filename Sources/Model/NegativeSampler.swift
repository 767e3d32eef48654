import Tensor

/// Uniform negative sampling over candidate id ranges (a node type's global id ranges, one per
/// partition; the caller supplies them). Pure and seeded: the same seed, counts and ranges give
/// the same ids on every machine. GraphStorm's negatives are not filtered against true edges,
/// and neither are these.
public struct NegativeSampler: Sendable {
  public let ranges: [Range<Int64>]
  let prefix: [Int64]

  public init(ranges: [Range<Int64>]) {
    self.ranges = ranges.filter { !$0.isEmpty }
    var p: [Int64] = [0]
    for r in self.ranges { p.append(p.last! + Int64(r.count)) }
    prefix = p
  }

  /// Candidates in all ranges.
  public var count: Int64 { prefix.last! }

  /// `n` ids drawn uniformly (with replacement) from the union of the ranges.
  public func sample(_ n: Int, generator g: inout Generator) -> [Int64] {
    precondition(n == 0 || count > 0, "NegativeSampler: no candidates to draw \(n) negatives from")
    var out = [Int64](repeating: 0, count: n)
    for i in 0..<n {
      let x = Int64(g.nextInt(below: Int(count)))
      // Last range start ≤ x (ranges are few: a linear scan beats a search).
      var k = 0
      while prefix[k + 1] <= x { k += 1 }
      out[i] = ranges[k].lowerBound + (x - prefix[k])
    }
    return out
  }

  /// Training negatives of a link-prediction batch with `numPositives` positives:
  /// `uniform` draws `k` per positive (row-major, `numPositives · k` ids); `joint` draws one
  /// pool of `numPositives` nodes shared by the batch and gives positive `i` the pool entries
  /// `(i·k + j) mod numPositives`, `j < k` (row-major, `numPositives · k` ids) — GraphStorm's
  /// `JointUniform` (`repeat(src, k)` against `tile(pool, k)`): k negatives per positive from
  /// about as many distinct nodes as positives; `inbatchJoint` draws `k` shared by the batch.
  public func negatives(_ kind: NegativeSampling, numPositives n: Int, k: Int, seed: UInt64) -> [Int64] {
    var g = Generator(seed: seed)
    switch kind {
    case .uniform: return sample(n * k, generator: &g)
    case .joint:
      let pool = sample(n, generator: &g)
      return (0..<(n * k)).map { pool[$0 % n] }
    case .inbatchJoint: return sample(k, generator: &g)
    }
  }

  /// Whether `negatives(kind, …)` are one list shared by every positive (else `k` per positive).
  public static func sharedByBatch(_ kind: NegativeSampling) -> Bool { kind == .inbatchJoint }

  /// Evaluation corruptions (GraphStorm's `GlobalUniform` / `JointUniform`): `k` negative
  /// sources from `sources` and `k` negative destinations from `destinations`, per positive
  /// (`shared == false`) or shared by the batch.
  public static func corruptions(sources: NegativeSampler, destinations: NegativeSampler,
                                 numPositives: Int, k: Int, shared: Bool,
                                 seed: UInt64) -> (negSrc: [Int64], negDst: [Int64]) {
    var g = Generator(seed: seed)
    let n = shared ? k : numPositives * k
    let s = sources.sample(n, generator: &g)
    let d = destinations.sample(n, generator: &g)
    return (s, d)
  }
}
