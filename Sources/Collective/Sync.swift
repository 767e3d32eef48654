import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex and a condition variable on the monotonic clock (so `Deadline`s apply).
final class Mutex: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  init() {
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

  func withLock<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// With the lock held: waits until `condition()` holds or the deadline passes; returns whether
  /// it holds.
  func wait(until deadline: Deadline, _ condition: () -> Bool) -> Bool {
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
  func broadcast(_ body: () -> Void) {
    pthread_mutex_lock(mutex)
    body()
    pthread_cond_broadcast(cond)
    pthread_mutex_unlock(mutex)
  }
}

/// A joinable pthread running `body`; `join()` returns its result.
final class Worker<T>: @unchecked Sendable {
  private var thread = pthread_t()
  private let slot: Slot

  final class Slot: @unchecked Sendable {
    var result: Result<T, Error>? = nil
  }

  init(_ body: @escaping () throws -> T) {
    let slot = Slot()
    self.slot = slot
    let run: () -> Void = { slot.result = Result { try body() } }
    let box = Unmanaged.passRetained(ThreadBox(run)).toOpaque()
    thread = startJoinable(box)
  }

  func join() -> Result<T, Error> {
    pthread_join(thread, nil)
    return slot.result!
  }
}

final class ThreadBox {
  let body: () -> Void
  init(_ body: @escaping () -> Void) { self.body = body }
}

private func startJoinable(_ box: UnsafeMutableRawPointer) -> pthread_t {
  var thread = pthread_t()
  #if canImport(Glibc)
  let r = pthread_create(&thread, nil, { raw in
    Unmanaged<ThreadBox>.fromOpaque(raw!).takeRetainedValue().body()
    return nil
  }, box)
  #else
  let r = pthread_create(&thread, nil, { raw in
    Unmanaged<ThreadBox>.fromOpaque(raw).takeRetainedValue().body()
    return nil
  }, box)
  #endif
  precondition(r == 0, "pthread_create failed (\(r))")
  return thread
}

/// A one-way flag shared between threads.
final class Flag: @unchecked Sendable {
  private let mutex = Mutex()
  private var value = false
  var isSet: Bool { mutex.withLock { value } }
  func set() { mutex.withLock { value = true } }
}
