#if canImport(Glibc)
import Glibc
#endif
import Tensor

/// Issue 2's figures: the linear layer against raw sgemm, and the segment-mean kernel.
/// `parts` selects `linear` and/or `segment` (`--tensor-parts=segment`).
func runTensorBenchmarks(_ report: BenchReport, quick: Bool, parts: Set<String> = ["linear", "segment"]) {
  Threads.configure(nil)
  let threads = Threads.count
  print("tensor benchmarks (\(threads) threads; OpenBLAS \(BLAS.threads) threads)")
  if parts.contains("linear") {
    for (n, i, o) in [(10240, 64, 64), (10240, 256, 64), (50000, 128, 128)] {
      benchLinear(report, n: n, inDim: i, outDim: o, reps: quick ? 5 : 30)
    }
  }
  if parts.contains("linear-breakdown") {
    for (n, i, o) in [(10240, 64, 64), (10240, 256, 64), (50000, 128, 128)] { benchLinearBreakdown(n: n, inDim: i, outDim: o, reps: 200) }
  }
  if parts.contains("segment") {
    Threads.configure(1)
    print("  segment kernels: \(Kernels.segmentUsesAVX2 ? "AVX2 build (CKernels/segment.c)" : "portable Swift loops")")
    benchSegmentMean(report, edges: 1_000_000, dim: 64, reps: quick ? 3 : 15, label: "1 thread")
    if Kernels.segmentUsesAVX2 {  // the portable loops too, for comparison (same bits)
      Kernels.segmentUsesAVX2 = false
      benchSegmentMean(report, edges: 1_000_000, dim: 64, reps: quick ? 3 : 15, label: "1 thread, portable loops", suffix: "1thread_portable")
      Kernels.segmentUsesAVX2 = true
    }
    // For comparison: a full-graph layer (every node a destination with 10 in-edges, sources
    // from the same 100k nodes), whose source table is half the sampled block's.
    benchSegmentMean(report, edges: 1_000_000, dim: 64, reps: quick ? 3 : 15, label: "1 thread, full graph of 100k nodes",
                     suffix: "1thread_graph100k", graphNodes: 100_000)
    Threads.configure(nil)
    if Threads.count > 1 {
      benchSegmentMean(report, edges: 1_000_000, dim: 64, reps: quick ? 3 : 15,
                       label: "\(Threads.count) threads")
    }
  }
}

/// Forward + backward of `y = x·W + b` through the tape (workspace, gradient buffers, bias and
/// all) against the same three products issued straight to `cblas_sgemm`.
func benchLinear(_ report: BenchReport, n: Int, inDim: Int, outDim: Int, reps: Int) {
  var g = Generator(seed: 1)
  let x = UnsafeMutablePointer<Float>.allocate(capacity: n * inDim)
  let dy = UnsafeMutablePointer<Float>.allocate(capacity: n * outDim)
  let y = UnsafeMutablePointer<Float>.allocate(capacity: n * outDim)
  let dx = UnsafeMutablePointer<Float>.allocate(capacity: n * inDim)
  defer { x.deallocate(); dy.deallocate(); y.deallocate(); dx.deallocate() }
  Init.uniform(x, count: n * inDim, low: -1, high: 1, generator: &g)
  Init.uniform(dy, count: n * outDim, low: -1, high: 1, generator: &g)
  let arena = ParameterArena()
  let w = arena.register("w", rows: inDim, cols: outDim)
  let b = arena.register("b", rows: 1, cols: outDim)
  arena.seal()
  Init.xavierUniform(arena.value(w), count: w.count, fanIn: inDim, fanOut: outDim, generator: &g)
  let flops = 3.0 * 2.0 * Double(n) * Double(inDim) * Double(outDim)

  let rawBody = {
    BLAS.sgemm(transA: false, transB: false, m: n, n: outDim, k: inDim, alpha: 1, a: x, lda: inDim,
               b: arena.value(w), ldb: outDim, beta: 0, c: y, ldc: outDim)
    BLAS.sgemm(transA: false, transB: true, m: n, n: inDim, k: outDim, alpha: 1, a: dy, lda: outDim,
               b: arena.value(w), ldb: outDim, beta: 0, c: dx, ldc: inDim)
    BLAS.sgemm(transA: true, transB: false, m: inDim, n: outDim, k: n, alpha: 1, a: x, lda: inDim,
               b: dy, ldb: outDim, beta: 1, c: arena.gradient(w), ldc: outDim)
  }
  let tape = Tape()
  let seed = Tensor(rows: n, cols: outDim, copying: dy)
  let layerBody = {
    tape.reset()
    let xv = tape.leaf(value: x, grad: dx, rows: n, cols: inDim)
    let out = tape.linear(xv, tape.parameter(w, in: arena), bias: tape.parameter(b, in: arena))
    tape.backward(from: out, seed: seed)
  }
  let (raw, layer) = interleavedMedians(reps: reps, rawBody, layerBody)
  let name = "linear_\(n)x\(inDim)x\(outDim)"
  report.add(name, value: flops / layer / 1e9, unit: "GFLOP/s", baseline: flops / raw / 1e9,
             goal: ">= 0.85 of baseline", note: "fwd+bwd; baseline = the 3 raw sgemm calls")
}

/// Segment mean forward + backward over a block shaped like a sampled one: 100k destinations
/// with 10 in-edges each, sources drawn uniformly from 200k graph nodes (`graphNodes`) and numbered the way the
/// sampler numbers a block's frontier — the destinations first, then each new source in order of
/// first appearance (DGL's convention). The row is one forward and one backward (the scatter of
/// `dy / deg` into `dx`, as the tape runs it); buffers come from a tape `Workspace`.
func benchSegmentMean(_ report: BenchReport, edges: Int, dim: Int, reps: Int, label: String,
                      suffix: String? = nil, graphNodes nodes: Int? = nil) {
  var g = Generator(seed: 2)
  let numDst = edges / 10, graphNodes = nodes ?? edges / 5
  var local = [Int32](repeating: -1, count: graphNodes)
  var numSrc = 0
  for d in 0..<numDst { local[d] = Int32(d); numSrc += 1 }  // graph nodes 0..<numDst are the seeds
  var dst = [Int32](repeating: 0, count: edges), src = [Int32](repeating: 0, count: edges)
  for e in 0..<edges {
    let v = g.nextInt(below: graphNodes)
    if local[v] < 0 { local[v] = Int32(numSrc); numSrc += 1 }
    dst[e] = Int32(e / 10)
    src[e] = local[v]
  }
  guard let csr = try? CSR(numDst: numDst, numSrc: numSrc, dst: dst, src: src) else { return }
  let ws = Workspace()
  let x = ws.allocate(numSrc * dim), dx = ws.zeros(numSrc * dim)
  let y = ws.allocate(numDst * dim), dy = ws.allocate(numDst * dim)
  Init.uniform(x, count: numSrc * dim, low: -1, high: 1, generator: &g)
  Init.uniform(dy, count: numDst * dim, low: -1, high: 1, generator: &g)
  let (t, tf, tb, cpu) = csr.offsets.withUnsafeBufferPointer { ob in
    csr.indices.withUnsafeBufferPointer { ib in
      let fwd = {
        Kernels.segmentReduceForward(out: y, inp: x, offsets: ob.baseAddress!, indices: ib.baseAddress!,
                                     numDst: numDst, dim: dim, mean: true)
      }
      let bwd = {
        Kernels.segmentReduceBackward(dInp: dx, dOut: dy, offsets: ob.baseAddress!, indices: ib.baseAddress!,
                                      numDst: numDst, dim: dim, mean: true)
      }
      let both = { fwd(); bwd() }
      let single = label == "1 thread"  // the goal's row; others are for comparison
      return (medianSeconds(reps: reps, both), medianSeconds(reps: reps, cpu: single, fwd),
              medianSeconds(reps: reps, cpu: single, bwd), single ? medianSeconds(reps: reps, cpu: true, both) : 0)
    }
  }
  let rate = { (s: Double) in Double(edges) / s / 1e6 }
  let name = "segment_mean_1M_d\(dim)_\(suffix ?? label.replacingOccurrences(of: " ", with: ""))"
  let shape = (nodes == nil ? "sampled-block shape: " : "") + "\(numDst) dst, \(numSrc) src"
  print("    forward \(fmt(rate(tf))) M edges/s, backward \(fmt(rate(tb))) M edges/s" + (cpu > 0 ? " (thread CPU time)" : ""))
  report.add(name, value: rate(t), unit: "M edges/s", goal: cpu > 0 ? ">= 30" : "-",
             note: "fwd+bwd, wall clock; \(shape); \(label)")
  if cpu > 0 {
    report.add(name + "_cputime", value: rate(cpu), unit: "M edges/s", goal: ">= 30",
               note: "the same in the thread's CPU time (excludes time the core ran other processes)")
  }
}

extension String {
  func replacingOccurrences(of a: String, with b: String) -> String {
    split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
  }
}
