import Net

/// A rank's two ring links as non-blocking byte streams: `right` to rank r+1 (data goes out
/// there; only abort notices come back), `left` from rank r−1 (data comes in; only abort notices
/// go back). `TCPLinks`, `ShmLinks` and `MemoryLinks` implement it; `RingDriver` is the only user.
enum LinkSide { case left, right }

enum LinkIO {
  /// Bytes moved; 0 = would block.
  case bytes(Int)
  /// The other end closed or reset the link (the text says which, for the error).
  case closed(String)
}

struct LinkReady: OptionSet {
  let rawValue: UInt8
  static let leftIn = LinkReady(rawValue: 1)
  static let leftOut = LinkReady(rawValue: 2)
  static let rightIn = LinkReady(rawValue: 4)
  static let rightOut = LinkReady(rawValue: 8)
}

protocol RingLinks: AnyObject {
  /// Writes what it can of `a` then `b` without blocking.
  func write(_ side: LinkSide, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> LinkIO
  /// Reads what it can (at most `into.count` bytes) without blocking; `.closed` at end of stream.
  func read(_ side: LinkSide, into: UnsafeMutableRawBufferPointer) -> LinkIO
  /// For links whose incoming bytes already sit in this process's memory (shared-memory rings):
  /// calls `body` with the next contiguous readable bytes of `side` (1...max of them, without
  /// copying) and consumes as many as it returns; `.bytes(0)` when nothing is readable. nil: the
  /// link has no such view (use `read`).
  func readInPlace(_ side: LinkSide, max: Int, _ body: (UnsafeRawBufferPointer) -> Int) -> LinkIO?
  /// Waits until one of `want` can make progress (or has failed: a closed link counts as ready),
  /// or the deadline; returns what is ready (empty = the deadline passed).
  func wait(_ want: LinkReady, until deadline: Deadline) -> LinkReady
  /// "host:port" of a rank, for errors (nil in memory).
  func peerName(_ rank: Int) -> String?
  /// Ends both links (the neighbours see end of stream); idempotent, safe from another thread.
  func shutdown()
  /// shutdown() and release; idempotent.
  func close()
}

extension RingLinks {
  func readInPlace(_ side: LinkSide, max: Int, _ body: (UnsafeRawBufferPointer) -> Int) -> LinkIO? { nil }
}
