import Foundation
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The training loop's sampling pipeline: one background thread samples the next (step, task)
/// batches, a few ahead (`RunOptions.samplingDepth`), while the main thread runs the current
/// one's fetch, forward, backward and optimiser step.
///
/// Sampling a training batch is a pure function of (task, items, seed) and the graph, so the
/// batch is the one the main thread would have built, bit for bit. The thread has its own
/// `BatchBuilder` (the block sampler's id map and the negative samplers are scratch) over its
/// own `GraphAccess` (`GraphAccess.samplingAccess()`: the same mapped partitions, or a second
/// `GraphClient` with its own connections). Nothing it does touches model state: embedding
/// pulls and pushes stay on the main thread, in order.
///
/// Protocol (main thread only): `submit` queues jobs in batch order; `take(key)` waits for the
/// oldest and returns its batch when it is `key`'s (rethrowing its error, message unchanged),
/// else nil (the caller samples itself). `close()` (also on error paths) drops the queue, lets
/// the job in flight finish and joins the thread.
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
  /// Submitted, not started (in order).
  private var queue: [Job] = []
  /// Finished, not taken (in order).
  private var done: [(key: Key, value: Result<TaskBatch, Error>, seconds: Double)] = []
  /// Submitted and not yet taken.
  private(set) var outstanding = 0
  /// The key submitted last (the caller continues after it).
  private(set) var lastSubmitted: Key?
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

  /// Queues `job` behind the others.
  func submit(_ job: Job) {
    cond.lock()
    defer { cond.unlock() }
    precondition(!closing, "SamplingPipeline: submit after close")
    queue.append(job)
    outstanding += 1
    lastSubmitted = job.key
    cond.broadcast()
  }

  /// The batch of `key` and the seconds it took, if it is the oldest job outstanding (waits
  /// for it). Nil when nothing is outstanding or the oldest is another key: then every job
  /// outstanding is dropped (the caller samples itself and submits afresh).
  func take(_ key: Key) throws -> (TaskBatch, Double)? {
    cond.lock()
    guard outstanding > 0 else {
      cond.unlock()
      return nil
    }
    while done.isEmpty { cond.wait() }
    let r = done.removeFirst()
    outstanding -= 1
    if r.key != key {
      queue.removeAll()
      while done.count < outstanding - queue.count { cond.wait() }  // the one in flight, if any
      outstanding = 0
      done.removeAll()
      lastSubmitted = nil
      cond.unlock()
      return nil
    }
    cond.unlock()
    return (try r.value.get(), r.seconds)
  }

  /// Lets the job in flight finish, drops the others, joins the thread. Idempotent.
  func close() {
    cond.lock()
    closing = true
    queue.removeAll()
    cond.broadcast()
    let t = thread
    thread = nil
    cond.unlock()
    if let t { pthread_join(t, nil) }
    cond.lock()
    done.removeAll()
    outstanding = 0
    builder = nil  // a served access's connections close with its client
    cond.unlock()
  }

  /// The thread's name (`/proc/self/task/*/comm`).
  static let threadName = "gust-sampler"

  private func loop() {
    Threads.nameThisThread(SamplingPipeline.threadName)
    while true {
      cond.lock()
      while queue.isEmpty && !closing { cond.wait() }
      guard !closing, let builder else {
        cond.unlock()
        return
      }
      let j = queue.removeFirst()
      cond.unlock()
      let t0 = DispatchTime.now().uptimeNanoseconds
      let r = Result { try builder.build(task: j.task, items: j.items, training: true, seed: j.seed) }
      let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
      cond.lock()
      done.append((j.key, r, dt))
      cond.broadcast()
      cond.unlock()
    }
  }
}
