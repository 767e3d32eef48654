#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the monotonic clock by which an operation must finish.
public struct Deadline: Sendable, Comparable, CustomStringConvertible {
  /// Nanoseconds on CLOCK_MONOTONIC.
  public var nanoseconds: UInt64

  public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

  public static var now: Deadline {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Deadline(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
  }

  public static func after(seconds: Double) -> Deadline {
    precondition(seconds >= 0 && seconds.isFinite, "timeout \(seconds) s")
    return Deadline(nanoseconds: now.nanoseconds &+ UInt64(seconds * 1e9))
  }

  public static func after(milliseconds: Int) -> Deadline {
    after(seconds: Double(milliseconds) / 1000)
  }

  public var hasPassed: Bool { Deadline.now >= self }

  /// Nanoseconds left (0 once passed).
  public var remainingNanoseconds: UInt64 {
    let n = Deadline.now.nanoseconds
    return nanoseconds > n ? nanoseconds - n : 0
  }

  /// Milliseconds left for poll(2), rounded up so a wait never ends before the deadline.
  var pollTimeout: Int32 {
    let ms = (remainingNanoseconds + 999_999) / 1_000_000
    return Int32(min(ms, UInt64(Int32.max)))
  }

  public static func < (a: Deadline, b: Deadline) -> Bool { a.nanoseconds < b.nanoseconds }

  public var description: String {
    let ms = Double(Int64(bitPattern: nanoseconds &- Deadline.now.nanoseconds)) / 1e6
    return ms >= 0 ? "deadline in \(Int(ms)) ms" : "deadline passed \(Int(-ms)) ms ago"
  }
}

/// "200 ms", "1.5 s": for error messages.
func describe(seconds: Double) -> String {
  seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : "\(seconds) s"
}
