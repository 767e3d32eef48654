/// Bytes received but not yet decoded: a byte array with a reader index (consumed bytes) and a
/// writer index (end of received bytes). Sockets read straight into its tail
/// (`writeWithUnsafeMutableBytes`), the `FrameDecoder` consumes from its head. Space before the
/// reader index is reclaimed by moving the unread bytes to the front when more room is needed.
public struct InboundBuffer: Sendable {
  private var storage: [UInt8]
  public private(set) var readerIndex = 0
  public private(set) var writerIndex = 0

  public init(capacity: Int = 64 << 10) {
    storage = [UInt8](repeating: 0, count: max(capacity, 0))
  }

  public init(_ bytes: [UInt8]) {
    storage = bytes
    writerIndex = bytes.count
  }

  /// Bytes received and not yet consumed.
  public var readableBytes: Int { writerIndex - readerIndex }

  /// Bytes that can be written without moving or growing.
  public var writableBytes: Int { storage.count - writerIndex }

  public mutating func write(_ bytes: UnsafeRawBufferPointer) {
    let n = bytes.count
    guard n > 0 else { return }
    ensureWritable(n)
    storage.withUnsafeMutableBytes { dst in
      (dst.baseAddress! + writerIndex).copyMemory(from: bytes.baseAddress!, byteCount: n)
    }
    writerIndex += n
  }

  public mutating func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write($0) } }
  public mutating func write(_ bytes: ArraySlice<UInt8>) { bytes.withUnsafeBytes { write($0) } }

  public mutating func write(_ bytes: some Collection<UInt8>) {
    let n = bytes.count
    ensureWritable(n)
    storage.withUnsafeMutableBufferPointer { dst in
      _ = UnsafeMutableBufferPointer(rebasing: dst[writerIndex..<writerIndex + n])
        .initialize(from: bytes)
    }
    writerIndex += n
  }

  /// Makes room for `minimumWritableBytes`, lets `body` fill the tail and returns what it says it
  /// wrote (0 ... the buffer's count).
  @discardableResult
  public mutating func writeWithUnsafeMutableBytes(
    minimumWritableBytes: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Int
  ) rethrows -> Int {
    ensureWritable(max(minimumWritableBytes, 1))
    let start = writerIndex
    let written = try storage.withUnsafeMutableBytes { raw in
      try body(UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
    }
    precondition(written >= 0 && written <= storage.count - start, "wrote outside the tail")
    writerIndex += written
    return written
  }

  /// Ensures `n` writable bytes, first by moving unread bytes to the front, then by growing.
  public mutating func ensureWritable(_ n: Int) {
    if writableBytes >= n { return }
    if readerIndex > 0 {
      let unread = readableBytes
      if unread > 0 {
        storage.withUnsafeMutableBytes { raw in
          raw.baseAddress!.copyMemory(from: raw.baseAddress! + readerIndex, byteCount: unread)
        }
      }
      readerIndex = 0
      writerIndex = unread
      if writableBytes >= n { return }
    }
    let needed = writerIndex + n
    let grown = max(needed, storage.count * 2)
    storage.append(contentsOf: repeatElement(0, count: grown - storage.count))
  }

  // MARK: reading (the decoder's side)

  func peekUInt8(at i: Int) -> UInt8 { storage[readerIndex + i] }

  func peekLE<T: FixedWidthInteger>(_: T.Type, at i: Int) -> T {
    precondition(i >= 0 && i + MemoryLayout<T>.size <= readableBytes)
    let v = storage.withUnsafeBytes {
      $0.loadUnaligned(fromByteOffset: readerIndex + i, as: T.self)
    }
    return T(littleEndian: v)
  }

  /// Copies out and consumes `n` bytes.
  mutating func readBytes(_ n: Int) -> [UInt8] {
    precondition(n >= 0 && n <= readableBytes)
    let out = Array(storage[readerIndex..<readerIndex + n])
    moveReaderIndex(forwardBy: n)
    return out
  }

  /// Copies up to `destination.count` unread bytes into `destination`, consumes them and
  /// returns how many (a receiver moving a large payload's first bytes into its own array).
  public mutating func read(into destination: UnsafeMutableRawBufferPointer) -> Int {
    let n = min(destination.count, readableBytes)
    if n > 0 {
      storage.withUnsafeBytes { src in
        destination.baseAddress!.copyMemory(from: src.baseAddress! + readerIndex, byteCount: n)
      }
      moveReaderIndex(forwardBy: n)
    }
    return n
  }

  public mutating func moveReaderIndex(forwardBy n: Int) {
    precondition(n >= 0 && n <= readableBytes)
    readerIndex += n
    if readerIndex == writerIndex {
      readerIndex = 0
      writerIndex = 0
    }
  }

  /// Unread bytes as an array (tests and diagnostics).
  public var readableBytesView: [UInt8] { Array(storage[readerIndex..<writerIndex]) }
}
