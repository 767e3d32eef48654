/// Gathers and segment reductions on the tape. Index arrays are captured by the backward
/// closures (copy-on-write references, no copies).
extension Tape {
  /// `out[i, :] = x[index[i], :]`. Indices must lie in `0..<rows(x)` (checked here).
  public func gatherRows(_ x: Var, _ index: [Int32]) -> Var {
    let (r, d) = shape(x), px = value(x)
    for (i, j) in index.enumerated() {
      precondition(j >= 0 && Int(j) < r, "gatherRows: index[\(i)] = \(j) outside 0..<\(r)")
    }
    let (v, out) = output(rows: index.count, cols: d, inputs: [x]) { t, g, _ in
      index.withUnsafeBufferPointer { ib in
        Kernels.gatherRowsBackward(dInp: t.gradPointer(x)!, dOut: g, index: ib.baseAddress!,
                                   n: index.count, dim: d)
      }
    }
    index.withUnsafeBufferPointer { ib in
      if let base = ib.baseAddress {
        Kernels.gatherRowsForward(out: out, inp: px, index: base, n: index.count, dim: d)
      }
    }
    return v
  }

  /// Per destination of `csr`, the sum of its sources' rows of `x` (`x` has `csr.numSrc` rows).
  public func segmentSum(_ x: Var, _ csr: CSR) -> Var { segmentReduce(x, csr, mean: false) }

  /// Per destination of `csr`, the mean of its sources' rows (zeros for no sources).
  public func segmentMean(_ x: Var, _ csr: CSR) -> Var { segmentReduce(x, csr, mean: true) }

  func segmentReduce(_ x: Var, _ csr: CSR, mean: Bool) -> Var {
    let (r, d) = shape(x), px = value(x)
    precondition(r == csr.numSrc, "segment reduce: x has \(r) rows, CSR has \(csr.numSrc) sources")
    let (v, out) = output(rows: csr.numDst, cols: d, inputs: [x]) { t, g, _ in
      let tr = csr.transposed()
      csr.offsets.withUnsafeBufferPointer { ob in
        tr.offsets.withUnsafeBufferPointer { tob in
          tr.indices.withUnsafeBufferPointer { tib in
            Kernels.segmentReduceBackward(
              dInp: t.gradPointer(x)!, dOut: g, tOffsets: tob.baseAddress!,
              tIndices: tib.baseAddress ?? UnsafePointer(bitPattern: 8)!, offsets: ob.baseAddress!,
              numSrc: csr.numSrc, dim: d, mean: mean)
          }
        }
      }
    }
    csr.offsets.withUnsafeBufferPointer { ob in
      csr.indices.withUnsafeBufferPointer { ib in
        Kernels.segmentReduceForward(
          out: out, inp: px, offsets: ob.baseAddress!,
          indices: ib.baseAddress ?? UnsafePointer(bitPattern: 8)!, numDst: csr.numDst, dim: d,
          mean: mean)
      }
    }
    return v
  }
}
