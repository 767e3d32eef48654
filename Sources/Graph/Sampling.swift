/// Neighbour sampling on one partition: the graph server's core operation.
///
/// For each seed (a global node id of the edge type's destination type, owned by this
/// partition) pick in-edges uniformly without replacement: `fanout` of them, or all when the
/// eligible degree is at most `fanout` or `fanout < 0`. Eligible edges can be restricted to
/// those whose `u8` edge mask field is non-zero, and given edge ids can be excluded (a
/// link-prediction batch's targets and their reverse twins).
///
/// Determinism: the choice for a seed depends only on (request seed, edge type, seed node id)
/// and the node's in-edge list — not on the batch it came in, its position, or thread count —
/// so the same request gives the same answer on any partitioning with the same global ids.
public struct SampledEdges: Equatable, Sendable {
  /// Global ids: destination (the seed), source, and edge, one entry per sampled edge, grouped
  /// by seed in request order, ascending edge position within a seed.
  public var dst: [Int64] = []
  public var src: [Int64] = []
  public var eid: [Int64] = []
  public init() {}
}

extension Partition {
  /// Samples in-edges of edge type `etype` for `seeds`. `excluded` must be sorted ascending.
  /// Throws `GraphError(.invalidArgument)` naming the first seed that is not a node of the
  /// destination type owned by this partition, or an unknown mask field.
  ///
  /// `parallel`, when given, runs `body(i)` for `i in 0..<n` on any threads (the caller's
  /// worker pool); the seeds are then sampled in chunks concurrently. The answer does not
  /// depend on it: each seed's edges depend only on (seed, edge type, node).
  public func sampleInNeighbors(
    seeds: [Int64], etype: Int, fanout: Int, maskField: String? = nil,
    excluded: [Int64] = [], seed: UInt64,
    parallel: ((_ n: Int, _ body: (Int) -> Void) -> Void)? = nil
  ) throws -> SampledEdges {
    guard etype >= 0 && etype < config.etypes.count else {
      throw GraphError(.invalidArgument, "edge type id \(etype) does not exist (the graph has \(config.etypes.count))")
    }
    let et = config.etypes[etype]
    let dt = config.ntypeId(et.dst)!
    let range = nodeRange(dt)
    var mask: UnsafeRawBufferPointer? = nil
    if let maskField {
      guard let f = edgeField(etype, maskField), f.info.dtype == .u8, f.info.width == 1 else {
        throw GraphError(.invalidArgument, "edge type \(et) has no u8 mask field '\(maskField)'")
      }
      mask = f.data
    }
    for s in seeds where !range.contains(s) {
      throw GraphError(.invalidArgument, "seed \(s) is not a \(et.dst) node of partition \(partId) (its \(et.dst) ids are \(range.start)..<\(range.end))")
    }
    let (indptr, src) = inCSR(etype)
    let ebase = edgeRange(etype).start
    let n = seeds.count
    // Chunks of seeds, each writing from the upper bound of its output (Σ min(degree, fanout)).
    let chunks = parallel == nil || n < 2048 ? 1 : min(16, n / 1024)
    var bound = [Int](repeating: 0, count: chunks + 1)
    for c in 0..<chunks {
      var b = 0
      for i in (n * c / chunks)..<(n * (c + 1) / chunks) {
        let d = Int(seeds[i] - range.start)
        let deg = Int(indptr[d + 1] - indptr[d])
        b += fanout < 0 ? deg : min(deg, fanout)
      }
      bound[c + 1] = bound[c] + b
    }
    let capacity = bound[chunks]
    if capacity == 0 { return SampledEdges() }
    var written = [Int](repeating: 0, count: chunks)
    var total = 0
    var dstA: [Int64] = [], srcA: [Int64] = [], eidA: [Int64] = []
    dstA = [Int64](unsafeUninitializedCapacity: capacity) { dstBuf, dstCount in
      srcA = [Int64](unsafeUninitializedCapacity: capacity) { srcBuf, srcCount in
        eidA = [Int64](unsafeUninitializedCapacity: capacity) { eidBuf, eidCount in
          let od = SamplingPointer(dstBuf.baseAddress), os = SamplingPointer(srcBuf.baseAddress)
          let oe = SamplingPointer(eidBuf.baseAddress)
          written.withUnsafeMutableBufferPointer { wb in
            let w = SamplingPointer(wb.baseAddress)
            seeds.withUnsafeBufferPointer { sb in
              let chunk: (Int) -> Void = { c in
                w.p![c] = Self.sampleChunk(
                  seeds: UnsafeBufferPointer(rebasing: sb[(n * c / chunks)..<(n * (c + 1) / chunks)]),
                  rangeStart: range.start, indptr: indptr, src: src, ebase: ebase, etype: etype,
                  fanout: fanout, mask: mask, excluded: excluded, seed: seed,
                  dst: od.p! + bound[c], srcOut: os.p! + bound[c], eid: oe.p! + bound[c])
              }
              if chunks == 1 { chunk(0) } else { parallel!(chunks, chunk) }
            }
          }
          // Close the gaps between chunks (each wrote at most its bound).
          for c in 0..<chunks {
            let m = written[c]
            if total != bound[c] && m > 0 {
              (od.p! + total).update(from: od.p! + bound[c], count: m)
              (os.p! + total).update(from: os.p! + bound[c], count: m)
              (oe.p! + total).update(from: oe.p! + bound[c], count: m)
            }
            total += m
          }
          eidCount = total
        }
        srcCount = total
      }
      dstCount = total
    }
    var out = SampledEdges()
    out.dst = dstA
    out.src = srcA
    out.eid = eidA
    return withExtendedLifetime(self) { out }
  }

  /// One chunk of `sampleInNeighbors`; returns the number of entries written. Unfiltered
  /// requests run in three passes (bounds, chosen positions, then a tight gather of sources) so
  /// the random reads into the CSR overlap instead of each waiting for its own miss.
  static func sampleChunk(
    seeds: UnsafeBufferPointer<Int64>, rangeStart: Int64, indptr: UnsafeBufferPointer<Int64>,
    src: UnsafeBufferPointer<Int64>, ebase: Int64, etype: Int, fanout: Int, mask: UnsafeRawBufferPointer?,
    excluded: [Int64], seed: UInt64, dst: UnsafeMutablePointer<Int64>, srcOut: UnsafeMutablePointer<Int64>,
    eid: UnsafeMutablePointer<Int64>
  ) -> Int {
    let picked = UnsafeMutablePointer<Int>.allocate(capacity: max(fanout, 1))
    defer { picked.deallocate() }
    if mask == nil && excluded.isEmpty {
      let n = seeds.count
      let bounds = UnsafeMutablePointer<Int>.allocate(capacity: 2 * max(n, 1))
      defer { bounds.deallocate() }
      for i in 0..<n {  // (1) bounds
        let d = Int(seeds[i] &- rangeStart)
        bounds[2 &* i] = Int(indptr[d])
        bounds[2 &* i &+ 1] = Int(indptr[d &+ 1])
      }
      var j = 0
      for i in 0..<n {  // (2) positions, as edge ids
        let s = seeds[i], e0 = bounds[2 &* i], deg = bounds[2 &* i &+ 1] &- e0
        if fanout < 0 || deg <= fanout {
          for k in 0..<deg { dst[j] = s; eid[j] = ebase &+ Int64(e0 &+ k); j &+= 1 }
        } else {
          NeighborChoice.sortedPositions(eligible: deg, fanout: fanout, seed: seed, etype: etype, node: s, into: picked)
          for k in 0..<fanout { dst[j] = s; eid[j] = ebase &+ Int64(e0 &+ picked[k]); j &+= 1 }
        }
      }
      for k in 0..<j { srcOut[k] = src[Int(eid[k] &- ebase)] }  // (3) sources
      return j
    }
    var k = 0
    var eligible: [Int] = []
    @inline(__always) func emit(_ s: Int64, _ e: Int) {
      dst[k] = s
      srcOut[k] = src[e]
      eid[k] = ebase + Int64(e)
      k += 1
    }
    for s in seeds {
      let d = Int(s - rangeStart)
      let e0 = Int(indptr[d]), e1 = Int(indptr[d + 1])
      eligible.removeAll(keepingCapacity: true)
      // The seed's edge ids are consecutive: find the first excluded id at or after them
      // once, then walk the sorted exclusion list alongside.
      var x = excluded.isEmpty ? 0 : lowerBound(excluded, ebase + Int64(e0))
      for e in e0..<e1 {
        if let mask, mask[e] == 0 { continue }
        if x < excluded.count {
          let id = ebase + Int64(e)
          while x < excluded.count && excluded[x] < id { x += 1 }
          if x < excluded.count && excluded[x] == id { continue }
        }
        eligible.append(e)
      }
      let n = eligible.count
      if fanout < 0 || n <= fanout {
        for j in 0..<n { emit(s, eligible[j]) }
      } else {
        NeighborChoice.sortedPositions(eligible: n, fanout: fanout, seed: seed, etype: etype, node: s, into: picked)
        for p in 0..<fanout { emit(s, eligible[picked[p]]) }
      }
    }
    return k
  }
}

/// A raw pointer that may cross into the caller's worker threads (chunks write disjoint ranges).
struct SamplingPointer<T>: @unchecked Sendable {
  let p: UnsafeMutablePointer<T>?
  init(_ p: UnsafeMutablePointer<T>?) { self.p = p }
}

/// The first position of `a` (sorted ascending) whose element is at least `x`.
@inline(__always)
func lowerBound(_ a: [Int64], _ x: Int64) -> Int {
  var lo = 0, hi = a.count
  while lo < hi {
    let mid = (lo + hi) >> 1
    if a[mid] < x { lo = mid + 1 } else { hi = mid }
  }
  return lo
}

@inline(__always)
func sortedContains(_ a: [Int64], _ x: Int64) -> Bool {
  var lo = 0, hi = a.count
  while lo < hi {
    let mid = (lo + hi) >> 1
    if a[mid] < x { lo = mid + 1 } else { hi = mid }
  }
  return lo < a.count && a[lo] == x
}

/// The one random choice sampling makes, public so that tests (and any other sampler) can
/// reproduce a server's answer from the unpartitioned graph.
public enum NeighborChoice {
  /// The ascending positions, among a seed's `n` eligible in-edges (in CSR order, i.e. input
  /// order), of the `fanout` edges it keeps when `n > fanout`: Floyd's algorithm drawing from the
  /// stream of (request seed, edge type id, seed's global id).
  public static func positions(eligible n: Int, fanout: Int, seed: UInt64, etype: Int, node: Int64,
                               into picked: inout [Int]) {
    precondition(fanout >= 0 && n > fanout)
    picked.removeAll(keepingCapacity: true)
    picked.append(contentsOf: repeatElement(0, count: fanout))
    picked.withUnsafeMutableBufferPointer {
      sortedPositions(eligible: n, fanout: fanout, seed: seed, etype: etype, node: node, into: $0.baseAddress!)
    }
  }

  /// `positions` into `fanout` slots at `out`, kept sorted as they are drawn (insertion into a
  /// short sorted run instead of `contains` + `sort`; the same set, so the same answer).
  @inline(__always)
  static func sortedPositions(eligible n: Int, fanout: Int, seed: UInt64, etype: Int, node: Int64,
                              into out: UnsafeMutablePointer<Int>) {
    var stream = SampleStream(seed: seed, etype: etype, node: node)
    var count = 0
    for j in (n &- fanout)..<n {
      let t = stream.next(below: j &+ 1)
      // Floyd: take t unless already taken, then j (which is larger than everything so far).
      var at = count
      while at > 0 && out[at &- 1] > t { at &-= 1 }
      if at > 0 && out[at &- 1] == t {
        out[count] = j
      } else {
        var m = count
        while m > at { out[m] = out[m &- 1]; m &-= 1 }
        out[at] = t
      }
      count &+= 1
    }
  }
}

/// A per-(request, edge type, node) random stream: SplitMix64 over a key mixed from the three.
struct SampleStream {
  var state: UInt64

  init(seed: UInt64, etype: Int, node: Int64) {
    var s = seed ^ 0x6A09_E667_F3BC_C908
    s = SampleStream.mix(s &+ UInt64(bitPattern: Int64(etype)) &* 0x9E37_79B9_7F4A_7C15)
    state = SampleStream.mix(s ^ UInt64(bitPattern: node))
  }

  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in `0..<bound` (multiply-shift; the bias for bounds far below 2^32 is negligible
  /// next to sampling noise, and the result is exactly reproducible).
  @inline(__always)
  mutating func next(below bound: Int) -> Int {
    state = SampleStream.mix(state)
    return Int(((state >> 32) &* UInt64(bound)) >> 32)
  }
}
