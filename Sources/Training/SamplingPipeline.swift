import Foundation
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The training loop's one-deep sampling pipeline: one background thread samples the next
/// (step, task) batch while the main thread runs the current one's fetch, forward, backward
/// and optimiser step.
///
/// Sampling a training batch is a pure function of (task, items, seed) and the graph, so the
/// batch is the one the main thread would have built, bit for bit. The thread has its own
/// `BatchBuilder` (the block sampler's id map and the negative samplers are scratch) over its
/// own `GraphAccess` (`GraphAccess.samplingAccess()`: the same mapped partitions, or a second
/// `GraphClient` with its own connections). Nothing it does touches model state: embedding
/// pulls and pushes stay on the main thread, in order.
///
/// Protocol (main thread only): `take(key)` waits for the job in flight and returns its batch
/// when it was `key`'s (rethrowing its error, message unchanged), else nil (the caller samples
/// itself); `submit` hands over the next job (at most one outstanding). `close()` (also on
/// error paths) lets the job in flight finish and joins the thread.
final class SamplingPipeline: @unchecked Sendable {
  /// Which batch: epoch, step within it, task index.
  struct Key: Equatable {
    var epoch: Int
    var step: Int
    var task: Int
  }

  struct Job {
    var key: Key
    var task: TaskPlan
    var items: TaskItems
    var seed: UInt64
  }

  private var builder: BatchBuilder?
  private let cond = NSCondition()
  private var job: Job?
  /// A job submitted whose result is not in yet.
  private var busy = false
  private var result: (key: Key, value: Result<TaskBatch, Error>, seconds: Double)?
  private var closing = false
  private var thread: pthread_t?

  /// Starts the thread; `builder` must be used by nothing else.
  init(builder: BatchBuilder) {
    self.builder = builder
    let context = Unmanaged.passRetained(self).toOpaque()
    var t = pthread_t()
    #if canImport(Glibc)
    let r = pthread_create(&t, nil, { raw in
      Unmanaged<SamplingPipeline>.fromOpaque(raw!).takeRetainedValue().loop()
      return nil
    }, context)
    #else
    let r = pthread_create(&t, nil, { raw in
      Unmanaged<SamplingPipeline>.fromOpaque(raw).takeRetainedValue().loop()
      return nil
    }, context)
    #endif
    precondition(r == 0, "pthread_create failed (\(r))")
    thread = t
  }

  /// Queues `job`; nothing may be outstanding (call `take` first).
  func submit(_ job: Job) {
    cond.lock()
    defer { cond.unlock() }
    precondition(!busy && result == nil && !closing, "SamplingPipeline: a job is already outstanding")
    self.job = job
    busy = true
    cond.broadcast()
  }

  /// The batch of `key` and the seconds it took, if it was the job outstanding (waits for
  /// it); nil when nothing was outstanding or it was another key (its result is dropped).
  func take(_ key: Key) throws -> (TaskBatch, Double)? {
    cond.lock()
    while busy { cond.wait() }
    let r = result
    result = nil
    cond.unlock()
    guard let r, r.key == key else { return nil }
    return (try r.value.get(), r.seconds)
  }

  /// Lets the job in flight finish, drops one not started, joins the thread. Idempotent.
  func close() {
    cond.lock()
    closing = true
    if job != nil { job = nil; busy = false }
    cond.broadcast()
    let t = thread
    thread = nil
    cond.unlock()
    if let t { pthread_join(t, nil) }
    cond.lock()
    result = nil
    builder = nil  // a served access's connections close with its client
    cond.unlock()
  }

  /// The thread's name (`/proc/self/task/*/comm`).
  static let threadName = "gust-sampler"

  private func loop() {
    Threads.nameThisThread(SamplingPipeline.threadName)
    while true {
      cond.lock()
      while job == nil && !closing { cond.wait() }
      guard !closing, let j = job, let builder else {
        cond.unlock()
        return
      }
      job = nil
      cond.unlock()
      let t0 = DispatchTime.now().uptimeNanoseconds
      let r = Result { try builder.build(task: j.task, items: j.items, training: true, seed: j.seed) }
      let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
      cond.lock()
      result = (j.key, r, dt)
      busy = false
      cond.broadcast()
      cond.unlock()
    }
  }
}
