import CKernels
import Proto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pieces of memory that one frame's payload is read into (`readv`), in payload order: bulk rows
/// go from the socket straight to where they belong (the caller's result rows) without passing
/// through a payload array. Adjacent pieces are merged. Small fields (a count, a width) go to
/// scratch memory owned by the segments (`appendScratch`); everything else must stay valid
/// while the segments are used — `keepAlive` holds what owns it. Reading consumes the segments
/// (they are single-use).
public final class IOSegments: @unchecked Sendable {
  private(set) var iov: UnsafeMutablePointer<iovec>
  private var capacity: Int
  /// Number of pieces (after merging).
  public private(set) var count = 0
  /// Bytes in all pieces.
  public private(set) var totalBytes = 0
  /// Objects owning the memory the pieces point into (a mapped partition), kept alive here.
  public var keepAlive: [AnyObject] = []
  private var owned: [UnsafeMutableRawPointer] = []
  /// The first piece not yet (completely) read into.
  var cursor = 0

  public init(capacity: Int = 16) {
    self.capacity = max(capacity, 1)
    iov = .allocate(capacity: self.capacity)
  }

  deinit {
    iov.deallocate()
    for p in owned { p.deallocate() }
  }

  /// Appends `byteCount` bytes at `base` (merged with the previous piece when they touch).
  public func append(_ base: UnsafeRawPointer, byteCount: Int) {
    guard byteCount > 0 else { return }
    totalBytes += byteCount
    if count > 0, let last = iov[count - 1].iov_base,
       UnsafeRawPointer(last) + iov[count - 1].iov_len == base {
      iov[count - 1].iov_len += byteCount
      return
    }
    if count == capacity {
      let bigger = UnsafeMutablePointer<iovec>.allocate(capacity: capacity * 2)
      bigger.update(from: iov, count: count)
      iov.deallocate()
      iov = bigger
      capacity *= 2
    }
    iov[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: byteCount)
    count += 1
  }

  /// Appends `positions.count` rows of `rowBytes` bytes, row i at `base + positions[i] ×
  /// rowBytes` (rows that follow each other in memory become one piece).
  public func appendRows(base: UnsafeMutableRawPointer, rowBytes: Int, positions: UnsafeBufferPointer<Int>) {
    guard rowBytes > 0, !positions.isEmpty else { return }
    if count + positions.count > capacity {
      let bigger = UnsafeMutablePointer<iovec>.allocate(capacity: count + positions.count)
      bigger.update(from: iov, count: count)
      iov.deallocate()
      iov = bigger
      capacity = count + positions.count
    }
    var n = count
    let v = iov
    var lastEnd: UnsafeMutableRawPointer? = n > 0 ? v[n - 1].iov_base.map { $0 + v[n - 1].iov_len } : nil
    for pos in positions {
      let p = base + pos &* rowBytes
      if p == lastEnd {
        v[n &- 1].iov_len &+= rowBytes
      } else {
        v[n] = iovec(iov_base: p, iov_len: rowBytes)
        n &+= 1
      }
      lastEnd = p + rowBytes
    }
    count = n
    totalBytes += rowBytes * positions.count
  }

  /// Appends a copy of `bytes` (owned by the segments).
  public func appendCopy(_ bytes: [UInt8]) {
    guard !bytes.isEmpty else { return }
    let p = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 8)
    bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    owned.append(p)
    append(p, byteCount: bytes.count)
  }

  /// Appends `byteCount` bytes of scratch memory owned by the segments (for small fields a
  /// reader checks after the payload has arrived) and returns it.
  public func appendScratch(byteCount: Int) -> UnsafeMutableRawPointer {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 8)
    owned.append(p)
    append(p, byteCount: byteCount)
    return p
  }

  // MARK: whole outgoing frames

  /// The header scratch of segments made by `frame(capacity:)`.
  private var header: UnsafeMutableRawPointer? = nil

  /// Segments for a whole outgoing frame (`Connection.send(segments:)`): the first
  /// `Proto.headerSize` bytes are scratch for the header (`sealFrame` fills them), the payload
  /// pieces follow — bulk rows pointing straight into a mapped partition, no payload array.
  public static func frame(capacity: Int = 16) -> IOSegments {
    let s = IOSegments(capacity: capacity + 1)
    s.header = s.appendScratch(byteCount: Proto.headerSize)
    return s
  }

  /// Bytes after the header (segments made by `frame(capacity:)`).
  public var payloadBytes: Int { totalBytes - (header == nil ? 0 : Proto.headerSize) }

  /// Writes the header of a frame made by `frame(capacity:)` (the crc32 over the payload pieces
  /// unless `flags` has `uncheckedPayload`).
  public func sealFrame(kind: MessageKind, requestID: UInt64, flags: UInt32) {
    guard let header else { preconditionFailure("sealFrame on segments not made by IOSegments.frame()") }
    var crc: UInt32 = 0
    if flags & Proto.Flags.uncheckedPayload == 0 {
      var skip = Proto.headerSize
      for i in 0..<count {
        let len = iov[i].iov_len
        let from = min(skip, len)
        skip -= from
        if from < len {
          crc = CRC32.update(crc, UnsafeRawBufferPointer(start: iov[i].iov_base! + from, count: len - from))
        }
      }
    }
    let bytes = Frame.headerBytes(kind: kind, flags: flags, requestID: requestID,
                                  payloadLength: payloadBytes, crc: crc)
    header.copyMemory(from: bytes, byteCount: Proto.headerSize)
  }

  /// Calls `body` with every piece in order (from the cursor on), prefetching the first 512
  /// bytes of the piece 8 ahead (pieces are often rows scattered over a mapped file: without
  /// it, copying them cost twice the kernel's copy of the same bytes to the socket).
  func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    let ahead = 8
    for i in cursor..<count {
      if i + ahead < count, let p = iov[i + ahead].iov_base {
        let n = min(iov[i + ahead].iov_len, 512)
        var off = 0
        while off < n {
          gust_prefetch_read(p + off)
          off &+= 64
        }
      }
      try body(UnsafeRawBufferPointer(start: iov[i].iov_base, count: iov[i].iov_len))
    }
  }

  /// CRC-32 of the bytes of every piece, in order (before any is consumed).
  public func crc32() -> UInt32 {
    var crc: UInt32 = 0
    for i in 0..<count { crc = CRC32.update(crc, UnsafeRawBufferPointer(start: iov[i].iov_base, count: iov[i].iov_len)) }
    return crc
  }

  /// Marks `n` bytes from the cursor as done (read into or written), folding them into `crc`
  /// when given.
  func consume(_ n: Int, crc: inout UInt32?) {
    var left = n
    while left > 0 {
      let piece = iov[cursor]
      let take = min(left, piece.iov_len)
      if let c = crc { crc = CRC32.update(c, UnsafeRawBufferPointer(start: piece.iov_base, count: take)) }
      if take == piece.iov_len {
        cursor += 1
      } else {
        iov[cursor].iov_base = piece.iov_base! + take
        iov[cursor].iov_len -= take
      }
      left -= take
    }
  }

  /// Pieces from the cursor on, at most `IOV_MAX` of them (one readv/writev call's worth).
  var window: (UnsafeMutablePointer<iovec>, Int32) {
    (iov + cursor, Int32(min(count - cursor, 1024)))
  }
}
