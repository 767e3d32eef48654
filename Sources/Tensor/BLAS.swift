import CBLAS
import CKernels

/// The one place Gust calls OpenBLAS.
public enum BLAS {
  /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, all row-major.
  /// `op(A)` is `m×k` (A stored `k×m` when `transA`), `op(B)` is `k×n` (B stored `n×k` when
  /// `transB`). Leading dimensions are the stored row lengths. Zero-sized products are handled
  /// here (OpenBLAS rejects some of them): with `k == 0`, C is scaled by beta.
  ///
  /// `rowEpilogue(lo, hi)`, when given, runs on rows `lo..<hi` of C as soon as they are final
  /// (e.g. a bias add): the product is then issued in blocks of about 256 KiB of C, each
  /// followed by its epilogue while it is still in cache, instead of a second pass over C
  /// through memory. Blocks are handed out dynamically to the workers; every row is computed
  /// exactly as one call computes it, so the result does not depend on the blocking.
  @inline(__always)
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>?, lda: Int,
    b: UnsafePointer<Float>?, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int,
    rowEpilogue: ((Int, Int) -> Void)? = nil
  ) {
    if m == 0 || n == 0 { return }
    if let rowEpilogue, k > 0, let c {
      let rows = max(minRowsPerChunk, epilogueBlockFloats / max(n, 1))
      if m >= 2 * rows {
        if !kernelsSelected { selectKernels() }
        let blocks = (m + rows - 1) / rows
        let ap = a.map { SendableConstPointer($0) }, bp = b.map { SendableConstPointer($0) }, cp = SendablePointer(c)
        parallelTasks(blocks) { i in
          let lo = i * rows, hi = min(m, lo + rows)
          let aOff = transA ? lo : lo * lda
          raw(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha, a: ap.map { $0.p + aOff },
              lda: lda, b: bp?.p, ldb: ldb, beta: beta, c: cp.p + lo * ldc, ldc: ldc)
          rowEpilogue(lo, hi)
        }
        return
      }
    }
    defer { rowEpilogue?(0, m) }
    if !kernelsSelected { selectKernels() }
    guard let c else { preconditionFailure("sgemm: nil output for \(m)×\(n)") }
    if k == 0 {
      for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 { for j in 0..<n { row[j] = 0 } } else if beta != 1 {
          for j in 0..<n { row[j] *= beta }
        }
      }
      return
    }
    if Threads.count > 1 && !Threads.insideParallel && m * n * k >= splitThreshold {
      if m >= 2 * minRowsPerChunk {
        splitRows(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
        return
      }
      if k >= 2 * minDepthPerChunk {
        splitDepth(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc)
        return
      }
    }
    raw(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
        beta: beta, c: c, ldc: ldc)
  }

  /// Floats of C per block when a row epilogue follows the product (256 KiB: well inside L2).
  static let epilogueBlockFloats = 1 << 16

  /// Products below this many multiply-adds run on the calling thread.
  static let splitThreshold = 1 << 20
  static let minRowsPerChunk = 256
  static let minDepthPerChunk = 1024

  /// One OpenBLAS call on the calling thread (OpenBLAS's own pool is pinned to one thread).
  @inline(__always)
  static func raw(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>?, lda: Int,
    b: UnsafePointer<Float>?, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
      beta, c, Int32(max(ldc, 1)))
  }

  /// Tall products: blocks of output rows, handed out dynamically to the workers (a busy core
  /// on a shared machine takes fewer blocks). Each row of C is computed exactly as one call
  /// computes it, so the result does not depend on the split.
  static func splitRows(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>?, lda: Int,
    b: UnsafePointer<Float>?, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let chunks = min(4 * Threads.count, m / minRowsPerChunk)
    let per = (m + chunks - 1) / chunks
    let ap = a.map { SendableConstPointer($0) }, bp = b.map { SendableConstPointer($0) }, cp = SendablePointer(c)
    parallelTasks(chunks) { i in
      let lo = i * per, hi = min(m, lo + per)
      if lo >= hi { return }
      let aOff = transA ? lo : lo * lda
      raw(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha, a: ap.map { $0.p + aOff }, lda: lda,
          b: bp?.p, ldb: ldb, beta: beta, c: cp.p + lo * ldc, ldc: ldc)
    }
  }

  /// Deep products with a small output (weight gradients `Xᵀ·dY`): the depth is split into one
  /// slice per worker, each into its own partial product, summed in slice order afterwards
  /// (fixed chunking: the same thread count gives the same bits).
  static func splitDepth(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>?, lda: Int,
    b: UnsafePointer<Float>?, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let chunks = min(Threads.count, k / minDepthPerChunk)
    let per = (k + chunks - 1) / chunks
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * m * n)
    defer { partial.deallocate() }
    let ap = a.map { SendableConstPointer($0) }, bp = b.map { SendableConstPointer($0) }, pp = SendablePointer(partial)
    parallelTasks(chunks) { i in
      let lo = i * per, hi = min(k, lo + per)
      let out = pp.p + i * m * n
      if lo >= hi { out.update(repeating: 0, count: m * n); return }
      let aOff = transA ? lo * lda : lo
      let bOff = transB ? lo : lo * ldb
      raw(transA: transA, transB: transB, m: m, n: n, k: hi - lo, alpha: alpha, a: ap.map { $0.p + aOff }, lda: lda,
          b: bp.map { $0.p + bOff }, ldb: ldb, beta: 0, c: out, ldc: n)
    }
    for i in 0..<m {
      let row = c + i * ldc
      if beta == 0 { row.update(repeating: 0, count: n) } else if beta != 1 { for j in 0..<n { row[j] *= beta } }
      for p in 0..<chunks {
        let src = partial + p * m * n + i * n
        for j in 0..<n { row[j] += src[j] }
      }
    }
  }

  /// Runs `body` with OpenBLAS pinned to one thread (for BLAS calls issued from inside a
  /// `parallelFor` worker), restoring the configured count afterwards.
  public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
    let before = openblas_get_num_threads()
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(before) }
    return try body()
  }

  nonisolated(unsafe) private static var kernelsSelected = false

  /// OpenBLAS's DYNAMIC_ARCH build picks its kernels from the CPU model at load time and falls
  /// back to SSE3 ("Prescott") for models newer than itself (Debian 12's 0.3.21 on Sapphire and
  /// Emerald Rapids): ~5× slower products. Unless `OPENBLAS_CORETYPE` is set, this switches to
  /// the best family the CPU supports. Idempotent; `Threads.configure` calls it first.
  public static func selectKernels() {
    if kernelsSelected { return }
    kernelsSelected = true
    _ = gust_openblas_select_core()
  }

  /// The OpenBLAS kernel family in use (`Haswell`, `SkylakeX`, …).
  public static var coreName: String {
    guard let p = openblas_get_corename() else { return "unknown" }
    return String(cString: p)
  }

  /// Sets OpenBLAS's thread count directly (benchmarks compare 1 thread with many).
  public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
  public static var threads: Int { Int(openblas_get_num_threads()) }
}
