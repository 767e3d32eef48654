import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
  private let mutex = Lock()
  private var value = false
  var isSet: Bool { mutex.withLock { value } }
  func set() { mutex.withLock { value = true } }
}
