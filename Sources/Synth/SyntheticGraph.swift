#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Rand

/// A synthetic ACM-like heterogeneous graph with planted communities, the shape of
/// `../shared/bench/gen_acm_like.py` (the anchor benchmark's generator) plus edge labels and an
/// edge feature so that every task kind has something to learn:
///
/// - node types `paper`, `author`, `subject` with 64-dim `feat`; every node belongs to one of
///   `classes` communities; features are noisy community centroids (papers noisiest, so that
///   neighbours help);
/// - `paper-citing-paper`, `author-writing-paper`, `paper-is-about-subject`, drawn by a
///   stochastic block model (`pIn` of edges stay inside the community), deduplicated, and their
///   reverses `cited`, `written-by`, `has` as explicit tables;
/// - `paper.label_class` = community; `paper.label_reg` = community offset + half the mean of
///   cited papers' clean projections + half the paper's own standardised projection + noise;
/// - `author-writing-paper` edges: `label_ec` = 1 when author and paper share a community,
///   `label_er` = sum of both clean projections + noise, `efeat` = 4 noisy community indicators.
public struct SyntheticGraph: Sendable {
  public enum Scale: String, CaseIterable, Sendable {
    case tiny, small, medium, large
    /// papers, authors, subjects, citations/paper, authors/paper, subjects/paper
    var sizes: (p: Int, a: Int, s: Int, cite: Double, write: Double, about: Double) {
      switch self {
      case .tiny: return (300, 100, 16, 2.0, 1.5, 1.5)
      case .small: return (3_000, 1_000, 50, 2.0, 1.5, 1.5)
      case .medium: return (100_000, 30_000, 500, 5.0, 1.25, 1.25)
      case .large: return (2_000_000, 600_000, 5_000, 5.0, 1.25, 1.25)
      }
    }
  }

  public static let featDim = 64
  public static let classes = 8
  public static let edgeFeatDim = 4

  public var numPapers = 0, numAuthors = 0, numSubjects = 0
  /// Row-major `[n × featDim]` features.
  public var paperFeat: [Float] = [], authorFeat: [Float] = [], subjectFeat: [Float] = []
  public var labelClass: [Int64] = []
  public var labelReg: [Float] = []
  /// Edge lists in node indices (ids are "p<i>", "a<i>", "s<i>").
  public var citeSrc: [Int] = [], citeDst: [Int] = []
  public var writeAuthor: [Int] = [], writePaper: [Int] = []
  public var aboutPaper: [Int] = [], aboutSubject: [Int] = []
  public var writeLabelClass: [Int64] = []
  public var writeLabelReg: [Float] = []
  /// `[writes × edgeFeatDim]`.
  public var writeFeat: [Float] = []

  public init(scale: Scale, seed: UInt64, pIn: Double = 0.8, paperNoise: Float = 4.0) {
    let s = scale.sizes
    let C = Self.classes, D = Self.featDim
    var g = Generator(seed: deriveSeed(base: seed, salt: 0x6745))
    numPapers = s.p; numAuthors = s.a; numSubjects = s.s
    let pCls = (0..<s.p).map { _ in g.nextInt(below: C) }
    let aCls = (0..<s.a).map { _ in g.nextInt(below: C) }
    let sCls = (0..<s.s).map { $0 % C }
    let pIdx = Groups(pCls, C), aIdx = Groups(aCls, C), sIdx = Groups(sCls, C)

    func sbm(_ srcComm: [Int], _ groups: Groups, _ n: Int) -> [Int] {
      srcComm.map { c in g.nextDouble() < pIn ? groups.pick(c, &g) : g.nextInt(below: n) }
    }
    // Citations: paper → paper, no self-loops, no duplicates.
    let nCite = Int(Double(s.p) * s.cite)
    let cSrc0 = (0..<nCite).map { _ in g.nextInt(below: s.p) }
    let cDst0 = sbm(cSrc0.map { pCls[$0] }, pIdx, s.p)
    (citeSrc, citeDst) = dedup(cSrc0, cDst0, s.p, dropSelf: true)
    // Writing: author → paper.
    let nWrite = Int(Double(s.p) * s.write)
    let wPaper0 = (0..<nWrite).map { _ in g.nextInt(below: s.p) }
    let wAuthor0 = sbm(wPaper0.map { pCls[$0] }, aIdx, s.a)
    (writeAuthor, writePaper) = dedup(wAuthor0, wPaper0, s.p, dropSelf: false)
    // About: paper → subject.
    let nAbout = Int(Double(s.p) * s.about)
    let bPaper0 = (0..<nAbout).map { _ in g.nextInt(below: s.p) }
    let bSubj0 = sbm(bPaper0.map { pCls[$0] }, sIdx, s.s)
    (aboutPaper, aboutSubject) = dedup(bPaper0, bSubj0, s.s, dropSelf: false)

    // Features: centroids N(0, 1); nodes = centroid + N(0, noise²).
    let centroids = (0..<(C * D)).map { _ in Float(g.nextGaussian()) }
    func features(_ cls: [Int], _ noise: Float) -> [Float] {
      var out = [Float](repeating: 0, count: cls.count * D)
      for (i, c) in cls.enumerated() {
        for j in 0..<D { out[i * D + j] = centroids[c * D + j] + noise * Float(g.nextGaussian()) }
      }
      return out
    }
    paperFeat = features(pCls, paperNoise)
    authorFeat = features(aCls, 1.0)
    subjectFeat = features(sCls, 0.5)
    labelClass = pCls.map(Int64.init)

    // Regression label.
    let w = (0..<D).map { _ in Float(g.nextGaussian()) / Float(D).squareRoot() }
    let clean = (0..<C).map { c in (0..<D).reduce(Float(0)) { $0 + centroids[c * D + $1] * w[$1] } }
    var nbSum = [Float](repeating: 0, count: s.p), deg = [Float](repeating: 0, count: s.p)
    for (a, b) in zip(citeSrc, citeDst) { nbSum[a] += clean[pCls[b]]; deg[a] += 1 }
    var own = (0..<s.p).map { i in (0..<D).reduce(Float(0)) { $0 + paperFeat[i * D + $1] * w[$1] } }
    let mean = own.reduce(0, +) / Float(max(1, s.p))
    let std = (own.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) } / Float(max(1, s.p))).squareRoot()
    own = own.map { ($0 - mean) / (std + 1e-8) }
    let offsets = (0..<C).map { -2 + 4 * Float($0) / Float(C - 1) }
    labelReg = (0..<s.p).map { i in
      offsets[pCls[i]] + 0.5 * (deg[i] > 0 ? nbSum[i] / deg[i] : 0) + 0.5 * own[i] + 0.3 * Float(g.nextGaussian())
    }

    // Writing-edge labels and feature.
    writeLabelClass = zip(writeAuthor, writePaper).map { aCls[$0] == pCls[$1] ? 1 : 0 }
    writeLabelReg = zip(writeAuthor, writePaper).map { clean[aCls[$0]] + clean[pCls[$1]] + 0.2 * Float(g.nextGaussian()) }
    writeFeat.reserveCapacity(writeAuthor.count * Self.edgeFeatDim)
    for (a, p) in zip(writeAuthor, writePaper) {
      let hot = (aCls[a] + pCls[p]) % Self.edgeFeatDim
      for j in 0..<Self.edgeFeatDim { writeFeat.append((j == hot ? 1 : 0) + 0.1 * Float(g.nextGaussian())) }
    }
  }

  public var numDirectedEdges: Int { 2 * (citeSrc.count + writeAuthor.count + aboutPaper.count) }
}

/// Members of each community, for drawing a random member of a given one.
struct Groups {
  let members: [[Int]]
  init(_ cls: [Int], _ C: Int) {
    var m = [[Int]](repeating: [], count: C)
    for (i, c) in cls.enumerated() { m[c].append(i) }
    members = m
  }
  func pick(_ c: Int, _ g: inout Generator) -> Int {
    let m = members[c]
    return m.isEmpty ? 0 : m[g.nextInt(below: m.count)]
  }
}

/// Unique (src, dst) pairs in ascending (src, dst) order, optionally without self-loops.
func dedup(_ src: [Int], _ dst: [Int], _ nDst: Int, dropSelf: Bool) -> ([Int], [Int]) {
  var codes = [Int]()
  codes.reserveCapacity(src.count)
  for (a, b) in zip(src, dst) where !(dropSelf && a == b) { codes.append(a * nDst + b) }
  codes.sort()
  var s: [Int] = [], d: [Int] = []
  var last = -1
  for c in codes where c != last {
    s.append(c / nDst); d.append(c % nDst)
    last = c
  }
  return (s, d)
}
