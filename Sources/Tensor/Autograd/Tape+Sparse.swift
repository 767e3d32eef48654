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
      csr.offsets.withUnsafeBufferPointer { ob in
        csr.indices.withUnsafeBufferPointer { ib in
          Kernels.segmentReduceBackward(
            dInp: t.gradPointer(x)!, dOut: g, offsets: ob.baseAddress!,
            indices: ib.baseAddress ?? UnsafePointer(bitPattern: 8)!, numDst: csr.numDst, dim: d,
            mean: mean)
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

extension Tape {
  /// One part of `segmentMeanConcat`: the mean of `x`'s rows over `csr` per destination, or,
  /// with `csr == nil`, `x`'s first rows themselves (destinations are a prefix of the sources).
  public struct AggregatePart {
    public let x: Var
    public let csr: CSR?
    public init(_ x: Var, _ csr: CSR?) { self.x = x; self.csr = csr }
  }

  /// `[mean_{csr₀}(x₀) ‖ mean_{csr₁}(x₁) ‖ … ]` for `rows` destinations, each part written
  /// straight into its columns (no per-part buffers): the left operand of an RGCN layer's one
  /// product `Σ_r mean_r(x)·W_r + x_dst·W_loop = [mean_r(x) ‖ … ‖ x_dst] · [W_r; …; W_loop]`.
  public func segmentMeanConcat(_ parts: [AggregatePart], rows nd: Int) -> Var {
    precondition(!parts.isEmpty, "segmentMeanConcat of nothing")
    let widths = parts.map { shape($0.x).cols }
    let total = widths.reduce(0, +)
    var starts: [Int] = [], c0 = 0
    for w in widths { starts.append(c0); c0 += w }
    for p in parts {
      if let c = p.csr {
        precondition(c.numDst == nd && shape(p.x).rows == c.numSrc,
                     "segmentMeanConcat: CSR \(c.numDst)×\(c.numSrc) for \(nd) rows from \(shape(p.x).rows)")
      } else {
        precondition(shape(p.x).rows >= nd, "segmentMeanConcat: \(shape(p.x).rows) rows, need a prefix of \(nd)")
      }
    }
    let values = parts.map { UnsafePointer(value($0.x)) }
    let (v, out) = output(rows: nd, cols: total, inputs: parts.map(\.x)) { t, g, _ in
      for (k, p) in parts.enumerated() {
        guard let dx = t.gradPointer(p.x) else { continue }
        let w = widths[k], gk = UnsafePointer(g + starts[k])
        if let csr = p.csr {
          csr.offsets.withUnsafeBufferPointer { ob in
            csr.indices.withUnsafeBufferPointer { ib in
              Kernels.segmentReduceBackward(
                dInp: dx, dOut: gk, offsets: ob.baseAddress!,
                indices: ib.baseAddress ?? UnsafePointer(bitPattern: 8)!, numDst: nd, dim: w, mean: true,
                dOutStride: total)
            }
          }
        } else {
          Kernels.addStridedRows(dst: dx, dstStride: w, src: gk, srcStride: total, rows: nd, cols: w)
        }
      }
    }
    for (k, p) in parts.enumerated() {
      let w = widths[k], ok = out + starts[k]
      if let csr = p.csr {
        csr.offsets.withUnsafeBufferPointer { ob in
          csr.indices.withUnsafeBufferPointer { ib in
            Kernels.segmentReduceForward(
              out: ok, inp: values[k], offsets: ob.baseAddress!,
              indices: ib.baseAddress ?? UnsafePointer(bitPattern: 8)!, numDst: nd, dim: w, mean: true,
              outStride: total)
          }
        }
      } else {
        Kernels.copyStridedRows(dst: ok, dstStride: total, src: values[k], srcStride: w, rows: nd, cols: w)
      }
    }
    return v
  }

  /// The parts stacked: `[r₀ × c] ; [r₁ × c] ; … → [Σr × c]` (stacked weight matrices).
  public func concatRows(_ parts: [Var]) -> Var {
    precondition(!parts.isEmpty, "concatRows of nothing")
    let c = shape(parts[0]).cols
    for p in parts { precondition(shape(p).cols == c, "concatRows: column counts differ") }
    let counts = parts.map { shape($0).rows * c }
    let ptrs = parts.map { UnsafePointer(value($0)) }
    let (v, out) = output(rows: counts.reduce(0, +) / max(c, 1), cols: c, inputs: parts) { t, g, _ in
      var off = 0
      for (k, p) in parts.enumerated() {
        if let dp = t.gradPointer(p) { Kernels.axpy(dst: dp, src: g + off, alpha: 1, count: counts[k]) }
        off += counts[k]
      }
    }
    var off = 0
    for (k, p) in ptrs.enumerated() {
      if counts[k] > 0 { (out + off).update(from: p, count: counts[k]) }
      off += counts[k]
    }
    return v
  }
}
