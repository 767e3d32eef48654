#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with a condition variable on the monotonic clock (so `Deadline`s apply), for
/// the little shared state servers, connections and the collective links keep.
public final class Lock: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  public init() {
    pthread_mutex_init(mutex, nil)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    #if canImport(Glibc)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    #endif
    pthread_cond_init(cond, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    pthread_cond_destroy(cond)
    pthread_mutex_destroy(mutex)
    cond.deallocate()
    mutex.deallocate()
  }

  public func withLock<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// With the lock held: waits until `condition()` holds (woken by `broadcast`).
  public func wait(until condition: () -> Bool) {
    pthread_mutex_lock(mutex)
    while !condition() { pthread_cond_wait(cond, mutex) }
    pthread_mutex_unlock(mutex)
  }

  /// With the lock held: waits until `condition()` holds or the deadline passes; returns whether
  /// it holds.
  public func wait(until deadline: Deadline, _ condition: () -> Bool) -> Bool {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while !condition() {
      if deadline.hasPassed { return false }
      var ts = timespec(tv_sec: Int(deadline.nanoseconds / 1_000_000_000),
                        tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
      _ = pthread_cond_timedwait(cond, mutex, &ts)
    }
    return true
  }

  /// Changes state under the lock and wakes every waiter.
  public func broadcast(_ body: () -> Void) {
    pthread_mutex_lock(mutex)
    body()
    pthread_cond_broadcast(cond)
    pthread_mutex_unlock(mutex)
  }
}

/// Starts `body` on a new pthread (joinable unless `detached`).
@discardableResult
func startThread(detached: Bool, _ body: @escaping @Sendable () -> Void) -> pthread_t {
  let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
  var thread = pthread_t()
  var attributes = pthread_attr_t()
  pthread_attr_init(&attributes)
  if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
  let r = pthread_create(&thread, &attributes, { raw in
    Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
    return nil
  }, context)
  pthread_attr_destroy(&attributes)
  precondition(r == 0, "pthread_create failed: \(errnoText(r))")
  return thread
}

private final class ThreadBody {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
