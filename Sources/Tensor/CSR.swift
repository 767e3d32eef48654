/// A destination-sorted compressed sparse row structure for one message-passing block:
/// destination `d` owns edges `offsets[d] ..< offsets[d + 1]`, and edge `e` reads source row
/// `indices[e]`. Int32 ids keep a block's index traffic at half the bytes of Int.
public struct CSR: Sendable, Equatable {
  public let numDst: Int
  public let numSrc: Int
  /// `numDst + 1` non-decreasing offsets, `offsets[0] == 0`.
  public let offsets: [Int32]
  /// One source row per edge, each in `0..<numSrc`.
  public let indices: [Int32]

  public var numEdges: Int { indices.count }

  public enum Invalid: Error, Equatable, CustomStringConvertible {
    case offsetsCount(expected: Int, got: Int)
    case offsetsNotMonotone(at: Int)
    case lastOffset(expected: Int, got: Int)
    case sourceOutOfRange(edge: Int, source: Int32, numSrc: Int)

    public var description: String {
      switch self {
      case .offsetsCount(let e, let g): return "CSR: \(g) offsets, expected numDst + 1 = \(e)"
      case .offsetsNotMonotone(let i): return "CSR: offsets decrease at position \(i)"
      case .lastOffset(let e, let g): return "CSR: last offset \(g), expected the edge count \(e)"
      case .sourceOutOfRange(let e, let s, let n):
        return "CSR: edge \(e) reads source \(s), outside 0..<\(n)"
      }
    }
  }

  /// Validates every offset and index (the public boundary: kernels trust a CSR).
  public init(numDst: Int, numSrc: Int, offsets: [Int32], indices: [Int32]) throws {
    guard offsets.count == numDst + 1 else {
      throw Invalid.offsetsCount(expected: numDst + 1, got: offsets.count)
    }
    if offsets[0] != 0 { throw Invalid.offsetsNotMonotone(at: 0) }
    for i in 1..<offsets.count where offsets[i] < offsets[i - 1] {
      throw Invalid.offsetsNotMonotone(at: i)
    }
    guard Int(offsets[numDst]) == indices.count else {
      throw Invalid.lastOffset(expected: indices.count, got: Int(offsets[numDst]))
    }
    for (e, s) in indices.enumerated() where s < 0 || Int(s) >= numSrc {
      throw Invalid.sourceOutOfRange(edge: e, source: s, numSrc: numSrc)
    }
    self.numDst = numDst
    self.numSrc = numSrc
    self.offsets = offsets
    self.indices = indices
  }

  /// Builds a CSR from (destination, source) pairs in any order (counting sort, stable).
  public init(numDst: Int, numSrc: Int, dst: [Int32], src: [Int32]) throws {
    precondition(dst.count == src.count, "CSR: \(dst.count) destinations, \(src.count) sources")
    var counts = [Int32](repeating: 0, count: numDst + 1)
    var sorted = true, previous: Int32 = 0
    for (e, d) in dst.enumerated() {
      guard d >= 0 && Int(d) < numDst else {
        throw Invalid.sourceOutOfRange(edge: e, source: d, numSrc: numDst)
      }
      counts[Int(d) + 1] += 1
      if d < previous { sorted = false }
      previous = d
    }
    for i in 0..<numDst { counts[i + 1] += counts[i] }
    if sorted {  // already grouped by destination (a sampler's output): the sort is the identity
      try self.init(numDst: numDst, numSrc: numSrc, offsets: counts, indices: src)
      return
    }
    var fill = counts
    var idx = [Int32](repeating: 0, count: src.count)
    for (e, d) in dst.enumerated() {
      idx[Int(fill[Int(d)])] = src[e]
      fill[Int(d)] += 1
    }
    try self.init(numDst: numDst, numSrc: numSrc, offsets: counts, indices: idx)
  }
}

extension CSR {
  init(unchecked numDst: Int, _ numSrc: Int, _ offsets: [Int32], _ indices: [Int32]) {
    self.numDst = numDst
    self.numSrc = numSrc
    self.offsets = offsets
    self.indices = indices
  }

  /// The same edges reading row `map[s]` of a table of `numSrc` rows where this CSR reads source
  /// row `s` (`map` has one entry per source, each in `0..<numSrc`): a block over feature rows
  /// read in place (e.g. a mapped partition) instead of a gathered copy.
  public func remappingSources(_ map: [Int32], numSrc n: Int) -> CSR {
    precondition(map.count == numSrc, "CSR.remappingSources: \(map.count) entries for \(numSrc) sources")
    let idx = map.withUnsafeBufferPointer { mb -> [Int32] in
      for (i, r) in mb.enumerated() {
        precondition(r >= 0 && Int(r) < n, "CSR.remappingSources: source \(i) maps to \(r), outside 0..<\(n)")
      }
      return indices.withUnsafeBufferPointer { ib in
        [Int32](unsafeUninitializedCapacity: ib.count) { out, count in
          for e in 0..<ib.count { out[e] = mb[Int(ib[e])] }
          count = ib.count
        }
      }
    }
    return CSR(unchecked: numDst, n, offsets, idx)
  }

  /// The source-sorted view of the same edges, which the backward pass of a segment reduction
  /// gathers over: source `s` owns `offsets[s] ..< offsets[s + 1]`, naming destinations.
  public struct Transposed: Sendable, Equatable {
    public let offsets: [Int32]
    public let indices: [Int32]
  }

  /// Counting sort by source: O(edges + sources), stable (destinations ascend per source).
  public func transposed() -> Transposed {
    var tOffsets = [Int32](repeating: 0, count: numSrc + 1)
    var tIndices = [Int32](repeating: 0, count: numEdges)
    var cursor = [Int32](repeating: 0, count: max(numSrc, 1))
    offsets.withUnsafeBufferPointer { ob in
      indices.withUnsafeBufferPointer { ib in
        tOffsets.withUnsafeMutableBufferPointer { to in
          tIndices.withUnsafeMutableBufferPointer { ti in
            cursor.withUnsafeMutableBufferPointer { cu in
              Kernels.transposeCSR(
                tOffsets: to.baseAddress!, tIndices: ti.baseAddress ?? cu.baseAddress!,
                cursor: cu.baseAddress!, offsets: ob.baseAddress!,
                indices: ib.baseAddress ?? UnsafePointer(bitPattern: 8)!, numDst: numDst,
                numSrc: numSrc)
            }
          }
        }
      }
    }
    return Transposed(offsets: tOffsets, indices: tIndices)
  }
}
