import CBLAS

/// The one place Gust calls OpenBLAS.
public enum BLAS {
  /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, all row-major.
  /// `op(A)` is `m×k` (A stored `k×m` when `transA`), `op(B)` is `k×n` (B stored `n×k` when
  /// `transB`). Leading dimensions are the stored row lengths. Zero-sized products are handled
  /// here (OpenBLAS rejects some of them): with `k == 0`, C is scaled by beta.
  @inline(__always)
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>?, lda: Int,
    b: UnsafePointer<Float>?, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
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
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
      beta, c, Int32(max(ldc, 1)))
  }

  /// Runs `body` with OpenBLAS pinned to one thread (for BLAS calls issued from inside a
  /// `parallelFor` worker), restoring the configured count afterwards.
  public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
    let before = openblas_get_num_threads()
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(before) }
    return try body()
  }

  /// Sets OpenBLAS's thread count directly (benchmarks compare 1 thread with many).
  public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
  public static var threads: Int { Int(openblas_get_num_threads()) }
}
