import Dispatch
import CBLAS
import CKernels

/// Thread policy for the numeric core.
///
/// Swift kernels split row (or column) ranges over `Threads.count` workers with
/// `parallelFor`. OpenBLAS has its own pool; the two never run at once because kernels are
/// called one after another and a BLAS call is never issued from inside `parallelFor` (when one
/// must be, wrap it in `BLAS.withSingleThread`). `Threads.configure(_:)` sets both pools.
public enum Threads {
  nonisolated(unsafe) private static var _count: Int = 1
  nonisolated(unsafe) private static var configured = false

  /// Number of workers for Swift kernels.
  public static var count: Int {
    if !configured { configure(nil) }
    return _count
  }

  /// Sets the worker count for Swift kernels and OpenBLAS. `nil` takes `GUST_THREADS` from the
  /// environment, else the number of active processors. Call once at start-up.
  public static func configure(_ n: Int?) {
    BLAS.selectKernels()
    var chosen = n ?? 0
    if chosen <= 0, let env = getenvString("GUST_THREADS"), let v = Int(env), v > 0 { chosen = v }
    if chosen <= 0 { chosen = ProcessInfoLite.activeProcessorCount }
    _count = max(1, chosen)
    configured = true
    // OpenBLAS's own pool stays at one thread: its idle workers spin (sched_yield) for a long
    // while after each call and take a core from the sampler on a 2-core machine. `BLAS.sgemm`
    // splits large products over our workers instead.
    openblas_set_num_threads(1)
  }

  /// True while this thread runs a `parallelFor` / `parallelTasks` region or one of its
  /// bodies (nested work runs inline). Per thread: a background thread's regions (the training
  /// loop's sampler) never make the main thread's kernels run inline or split differently.
  public internal(set) static var insideParallel: Bool {
    get { gust_inside_parallel() != 0 }
    set { gust_set_inside_parallel(newValue ? 1 : 0) }
  }

  /// Names the calling thread (debuggers, `/proc/self/task/*/comm`; at most 15 bytes on Linux).
  public static func nameThisThread(_ name: String) { gust_name_this_thread(name) }

  /// Runs `body` with this thread marked inside a parallel region, restoring the mark after
  /// (a worker's nested `parallelFor`, BLAS split or sampler chunking then runs inline).
  @inline(__always)
  static func marked(_ body: () -> Void) {
    let before = gust_inside_parallel()
    gust_set_inside_parallel(1)
    body()
    gust_set_inside_parallel(before)
  }
}

/// A raw pointer that may cross into `concurrentPerform` closures. The caller guarantees that
/// workers touch disjoint ranges.
public struct SendablePointer<T>: @unchecked Sendable {
  public let p: UnsafeMutablePointer<T>
  public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// Runs `body(lo, hi)` over `0..<n` split into contiguous chunks, in parallel when the work is
/// large enough (`n >= 2 * grain`) and more than one thread is configured. `body` must only
/// touch state owned by its range.
@inline(__always)
public func parallelFor(_ n: Int, grain: Int = 1024, _ body: (Int, Int) -> Void) {
  let threads = Threads.count
  if threads <= 1 || n < 2 * grain {
    if n > 0 { body(0, n) }
    return
  }
  let chunks = min(threads, (n + grain - 1) / grain)
  let per = (n + chunks - 1) / chunks
  if Threads.insideParallel {
    body(0, n)
    return
  }
  Threads.insideParallel = true
  defer { Threads.insideParallel = false }
  withoutActuallyEscaping(body) { escapable in
    let box = UncheckedBox(escapable)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
      let lo = c * per
      let hi = min(n, lo + per)
      if lo < hi { Threads.marked { box.value(lo, hi) } }
    }
  }
}

struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

/// Runs `body(i)` for `i` in `0..<count`, spread over the workers dynamically (an idle worker
/// takes the next index), inline when nested or single-threaded.
public func parallelTasks(_ count: Int, _ body: (Int) -> Void) {
  if count <= 0 { return }
  if count == 1 || Threads.count <= 1 || Threads.insideParallel {
    for i in 0..<count { body(i) }
    return
  }
  Threads.insideParallel = true
  defer { Threads.insideParallel = false }
  withoutActuallyEscaping(body) { escapable in
    let box = UncheckedBox(escapable)
    DispatchQueue.concurrentPerform(iterations: count) { i in Threads.marked { box.value(i) } }
  }
}

/// A read-only raw pointer that may cross into `concurrentPerform` closures.
public struct SendableConstPointer<T>: @unchecked Sendable {
  public let p: UnsafePointer<T>
  public init(_ p: UnsafePointer<T>) { self.p = p }
}
