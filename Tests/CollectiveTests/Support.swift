import Collective
import Foundation
import Net
import XCTest

/// Runs `body(rank)` for every rank on its own thread (ranks block on each other, so a pool
/// sized to the cores would deadlock) and returns the results in rank order.
final class Slots<T>: @unchecked Sendable {
  var results: [Result<T, Error>?]
  let lock = NSLock()
  init(_ n: Int) { results = Array(repeating: nil, count: n) }
}

func onThreads<T>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) -> [Result<T, Error>] {
  let slots = Slots<T>(count)
  let done = DispatchSemaphore(value: 0)
  for r in 0..<count {
    let t = Thread {
      let result = Result { try body(r) }
      slots.lock.lock()
      slots.results[r] = result
      slots.lock.unlock()
      done.signal()
    }
    t.stackSize = 1 << 20
    t.start()
  }
  for _ in 0..<count { done.wait() }
  return slots.results.map { $0! }
}

/// A value box that may cross threads (the communicators are used by one thread each).
final class Shared<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

/// Rank r's test value at index i: small integers, so every order of summation is exact.
@inline(__always) func testValue(_ i: Int, _ r: Int) -> Float { Float((i &* 7 &+ r &* 13) % 17) - 8 }

func expectedSum(_ i: Int, _ w: Int) -> Float {
  var s: Float = 0
  for r in 0..<w { s += testValue(i, r) }
  return s
}

/// Rank r's n test values, filled by repeating one period (the values cycle every 17).
func testValues(_ n: Int, rank r: Int) -> [Float] {
  let period = (0..<17).map { testValue($0, r) }
  var out = [Float](repeating: 0, count: n)
  out.withUnsafeMutableBufferPointer { p in
    var i = 0
    while i < n {
      let k = min(17, n - i)
      period.withUnsafeBufferPointer { UnsafeMutableRawPointer(p.baseAddress! + i).copyMemory(from: $0.baseAddress!, byteCount: k * 4) }
      i += k
    }
  }
  return out
}

/// The index of the first element that differs from the plain sum over `w` ranks (nil: none).
func firstMismatch(_ buf: [Float], worldSize w: Int, divideBy d: Float = 1) -> Int? {
  let period = (0..<17).map { expectedSum($0, w) / d }
  return buf.withUnsafeBufferPointer { p -> Int? in
    var i = 0
    while i < p.count {
      let k = min(17, p.count - i)
      if memcmp(p.baseAddress! + i, period, k * 4) != 0 {
        return (i..<(i + k)).first { p[$0] != period[$0 - i] }
      }
      i += k
    }
    return nil
  }
}

/// How a test ring's ranks are linked: `TCPRing` on 127.0.0.1 with shared-memory links (the
/// default there; `group`: the group segment for all-reduce and broadcast) or with TCP links (`sharedMemory: false`), or `InMemoryGroup`.
enum LinkKind: String, CaseIterable, Sendable {
  case sharedMemory, tcp, memory
  /// Shared memory with the group segment for all-reduce and broadcast (`sharedMemoryGroup`,
  /// the default on one host); `sharedMemory` above keeps the ring for them.
  case group
}

func withRing<T>(_ kind: LinkKind, _ w: Int, options: CollectiveOptions = .init(timeout: 10),
                 _ body: @escaping @Sendable (Communicator) throws -> T) -> [Result<T, Error>] {
  var options = options
  switch kind {
  case .memory: return withMemoryGroup(w, options: options, body)
  case .sharedMemory:
    options.sharedMemory = true
    options.sharedMemoryGroup = false
  case .group:
    options.sharedMemory = true
    options.sharedMemoryGroup = true
    options.groupMinWorldSize = 2  // the group path at every world size the tests use
  case .tcp: options.sharedMemory = false
  }
  return withTCPRing(w, options: options, body)
}

/// The shared-memory ring objects `pid` created (any job tag) still in /dev/shm (they are
/// unlinked as soon as both neighbours have mapped them, so none outlives a rendezvous).
func ringObjects(of pid: Int32 = getpid()) -> [String] {
  let all = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
  return all.filter { $0.hasPrefix("gust-ring-") && SharedMemoryObjects.creator(of: $0) == pid }
}

/// A ring of `w` ranks on 127.0.0.1 (ephemeral ports bound first), each rank connected on its
/// own thread with `TCPRing` (shared-memory links unless `options.sharedMemory` is false);
/// `body` then runs on that thread with the rank's communicator.
func withTCPRing<T>(_ w: Int, options: CollectiveOptions = .init(timeout: 10), secrets: [Secret]? = nil,
                    _ body: @escaping @Sendable (Communicator) throws -> T) -> [Result<T, Error>] {
  let listeners = (0..<w).map { _ in try! TCPRing.listen(on: try! Endpoint(parsing: "127.0.0.1:0")) }
  let endpoints = listeners.map(\.endpoint)
  let shared = Shared(listeners)
  let secret = try! Secret(bytes: Array("collective-test-secret".utf8))
  let perRank = Shared(secrets ?? Array(repeating: secret, count: w))
  return onThreads(w) { r in
    let c = try TCPRing.connect(rank: r, endpoints: endpoints, secret: perRank.value[r], options: options,
                                listener: shared.value[r])
    defer { c.close() }
    return try body(c)
  }
}

func withMemoryGroup<T>(_ w: Int, options: CollectiveOptions = .init(timeout: 10),
                        _ body: @escaping @Sendable (Communicator) throws -> T) -> [Result<T, Error>] {
  let comms = Shared(InMemoryGroup.make(worldSize: w, options: options))
  return onThreads(w) { r in
    defer { comms.value[r].close() }
    return try body(comms.value[r])
  }
}

func values<T>(_ results: [Result<T, Error>], file: StaticString = #filePath, line: UInt = #line) -> [T]? {
  var out: [T] = []
  for (r, res) in results.enumerated() {
    switch res {
    case .success(let v): out.append(v)
    case .failure(let e):
      XCTFail("rank \(r): \(e)", file: file, line: line)
      return nil
    }
  }
  return out
}
