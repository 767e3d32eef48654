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
  public func sampleInNeighbors(
    seeds: [Int64], etype: Int, fanout: Int, maskField: String? = nil,
    excluded: [Int64] = [], seed: UInt64
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
    if mask == nil && excluded.isEmpty {
      return withExtendedLifetime(self) {
        Partition.sampleUnfiltered(seeds: seeds, rangeStart: range.start, indptr: indptr, src: src,
                                   ebase: ebase, fanout: fanout, seed: seed, etype: etype)
      }
    }
    var out = SampledEdges()
    let expect = fanout < 0 ? seeds.count * 8 : seeds.count * fanout
    out.dst.reserveCapacity(expect); out.src.reserveCapacity(expect); out.eid.reserveCapacity(expect)
    var eligible: [Int] = []
    var picked: [Int] = []
    picked.reserveCapacity(max(fanout, 0))
    let filtered = mask != nil || !excluded.isEmpty
    for s in seeds {
      let d = Int(s - range.start)
      let e0 = Int(indptr[d]), e1 = Int(indptr[d + 1])
      var n = e1 - e0
      if filtered {
        eligible.removeAll(keepingCapacity: true)
        for k in e0..<e1 {
          if let mask, mask[k] == 0 { continue }
          if !excluded.isEmpty && sortedContains(excluded, ebase + Int64(k)) { continue }
          eligible.append(k)
        }
        n = eligible.count
      }
      if fanout < 0 || n <= fanout {
        for j in 0..<n {
          let k = filtered ? eligible[j] : e0 + j
          out.dst.append(s); out.src.append(src[k]); out.eid.append(ebase + Int64(k))
        }
      } else {
        NeighborChoice.positions(eligible: n, fanout: fanout, seed: seed, etype: etype, node: s,
                                 into: &picked)
        for p in picked {
          let k = filtered ? eligible[p] : e0 + p
          out.dst.append(s); out.src.append(src[k]); out.eid.append(ebase + Int64(k))
        }
      }
    }
    return withExtendedLifetime(self) { out }
  }
}

extension Partition {
  /// The common case (no mask, no exclusions) in three passes, so that the random reads into the
  /// CSR are independent of each other and overlap in the memory system instead of each edge
  /// waiting for its own cache miss: (1) every seed's `indptr` bounds, (2) the chosen edge
  /// positions (random numbers only, no reads), (3) a tight gather of their sources. Same
  /// answer as the general loop, edge for edge.
  static func sampleUnfiltered(seeds: [Int64], rangeStart: Int64, indptr: UnsafeBufferPointer<Int64>,
                               src: UnsafeBufferPointer<Int64>, ebase: Int64, fanout: Int,
                               seed: UInt64, etype: Int) -> SampledEdges {
    let n = seeds.count
    var out = SampledEdges()
    guard n > 0, let ip = indptr.baseAddress, let sp = src.baseAddress else { return out }
    // (1) bounds, and the exact number of edges.
    let bounds = UnsafeMutablePointer<Int>.allocate(capacity: 2 * n)
    defer { bounds.deallocate() }
    var total = 0
    seeds.withUnsafeBufferPointer { sd in
      for i in 0..<n {
        let d = Int(sd[i] &- rangeStart)
        let e0 = Int(ip[d]), e1 = Int(ip[d &+ 1])
        bounds[2 &* i] = e0
        bounds[2 &* i &+ 1] = e1
        let deg = e1 &- e0
        total &+= (fanout < 0 || deg <= fanout) ? deg : fanout
      }
    }
    // (2) positions (as global edge ids) and destinations.
    var picked = [Int](repeating: 0, count: max(fanout, 0))
    var eids: [Int64] = []
    let dsts = [Int64](unsafeUninitializedCapacity: total) { dst, dn in
      eids = [Int64](unsafeUninitializedCapacity: total) { eid, en in
        var j = 0
        seeds.withUnsafeBufferPointer { sd in
          picked.withUnsafeMutableBufferPointer { pk in
            for i in 0..<n {
              let s = sd[i]
              let e0 = bounds[2 &* i], deg = bounds[2 &* i &+ 1] &- e0
              if fanout < 0 || deg <= fanout {
                for k in 0..<deg {
                  dst[j] = s
                  eid[j] = ebase &+ Int64(e0 &+ k)
                  j &+= 1
                }
              } else {
                NeighborChoice.sortedPositions(eligible: deg, fanout: fanout, seed: seed, etype: etype,
                                               node: s, into: pk.baseAddress!)
                for k in 0..<fanout {
                  dst[j] = s
                  eid[j] = ebase &+ Int64(e0 &+ pk[k])
                  j &+= 1
                }
              }
            }
          }
        }
        precondition(j == total)
        en = total
      }
      dn = total
    }
    // (3) sources: independent loads in a tight loop.
    out.src = [Int64](unsafeUninitializedCapacity: total) { dst, dn in
      eids.withUnsafeBufferPointer { eid in
        for j in 0..<total { dst[j] = sp[Int(eid[j] &- ebase)] }
      }
      dn = total
    }
    out.dst = dsts
    out.eid = eids
    return out
  }
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
