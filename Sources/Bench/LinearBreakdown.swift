import Tensor

/// Where the linear layer's time goes beside the raw products: each sgemm as the layer issues it
/// and as the baseline does, the bias-gradient column sum, a seed-sized copy, and the whole layer
/// through the tape. Printed only (`--tensor-parts=linear-breakdown`); no rows in the report.
func benchLinearBreakdown(n: Int, inDim: Int, outDim: Int, reps: Int) {
  var g = Generator(seed: 1)
  let ws = Workspace()
  let x = ws.allocate(n * inDim), dy = ws.allocate(n * outDim), y = ws.allocate(n * outDim)
  let dx = ws.zeros(n * inDim), seedCopy = ws.allocate(n * outDim)
  Init.uniform(x, count: n * inDim, low: -1, high: 1, generator: &g)
  Init.uniform(dy, count: n * outDim, low: -1, high: 1, generator: &g)
  let wv = ws.allocate(inDim * outDim), dw = ws.zeros(inDim * outDim), bv = ws.zeros(outDim), db = ws.zeros(outDim)
  Init.xavierUniform(wv, count: inDim * outDim, fanIn: inDim, fanOut: outDim, generator: &g)
  func t(_ label: String, _ body: () -> Void) {
    let s = medianSeconds(reps: reps, body)
    print("    \(label): \(fmt(s * 1e6)) us")
  }
  print("  linear \(n)x\(inDim)x\(outDim) breakdown (median of \(reps))")
  t("fwd raw beta0") { BLAS.sgemm(transA: false, transB: false, m: n, n: outDim, k: inDim, alpha: 1, a: x, lda: inDim, b: wv, ldb: outDim, beta: 0, c: y, ldc: outDim) }
  t("fwd layer (bias epilogue)") { Kernels.linearForward(out: y, inp: x, weight: wv, bias: bv, n: n, inDim: inDim, outDim: outDim) }
  t("dx raw beta0") { BLAS.sgemm(transA: false, transB: true, m: n, n: inDim, k: outDim, alpha: 1, a: dy, lda: outDim, b: wv, ldb: outDim, beta: 0, c: dx, ldc: inDim) }
  t("dx beta1") { BLAS.sgemm(transA: false, transB: true, m: n, n: inDim, k: outDim, alpha: 1, a: dy, lda: outDim, b: wv, ldb: outDim, beta: 1, c: dx, ldc: inDim) }
  t("dW beta1") { BLAS.sgemm(transA: true, transB: false, m: inDim, n: outDim, k: n, alpha: 1, a: x, lda: inDim, b: dy, ldb: outDim, beta: 1, c: dw, ldc: outDim) }
  t("dBias colsum") { Kernels.biasAddBackward(dBias: db, dOut: dy, n: n, dim: outDim) }
  t("seed copy") { seedCopy.update(from: dy, count: n * outDim) }
  let tape = Tape()
  let arena = ParameterArena()
  let w = arena.register("w", rows: inDim, cols: outDim)
  let b = arena.register("b", rows: 1, cols: outDim)
  arena.seal()
  let seed = Tensor(rows: n, cols: outDim, copying: dy)
  t("tape fwd only") {
    tape.reset()
    let xv = tape.leaf(value: x, grad: dx, rows: n, cols: inDim)
    _ = tape.linear(xv, tape.parameter(w, in: arena), bias: tape.parameter(b, in: arena))
  }
  t("tape fwd+bwd") {
    tape.reset()
    let xv = tape.leaf(value: x, grad: dx, rows: n, cols: inDim)
    let out = tape.linear(xv, tape.parameter(w, in: arena), bias: tape.parameter(b, in: arena))
    tape.backward(from: out, seed: seed)
  }
}
