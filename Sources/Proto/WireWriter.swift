/// Appends payload fields into one growing `[UInt8]` (layout: the building blocks in Proto.swift).
/// Bulk arrays are copied as one block on little-endian hosts.
public struct WireWriter: Sendable {
  public private(set) var bytes: [UInt8]

  public init(reservingCapacity capacity: Int = 256) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  /// Continues writing at the end of `bytes` (used to put a payload right after a frame header).
  public init(appendingTo bytes: [UInt8]) { self.bytes = bytes }

  /// A writer whose first `Proto.headerSize` bytes are reserved for the header: write the
  /// payload, `take()` the bytes, then `Frame.seal` them — the frame is built once, no copy.
  public static func frame(reservingPayload capacity: Int) -> WireWriter {
    var w = WireWriter(reservingCapacity: Proto.headerSize + capacity)
    w.bytes.append(contentsOf: repeatElement(0, count: Proto.headerSize))
    return w
  }

  /// The bytes written, leaving the writer empty (moves the storage out; no copy).
  public mutating func take() -> [UInt8] {
    var out: [UInt8] = []
    swap(&out, &bytes)
    return out
  }

  /// Appends `count` bytes that `body` fills in place (bulk rows gathered straight into the
  /// payload). `body` must write all of them. When the capacity is already reserved (as
  /// `WireWriter.frame(reservingPayload:)` does for an exact size) nothing is zero-filled.
  public mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Void)
    rethrows
  {
    let start = bytes.count
    if bytes.capacity - start >= count {
      // Reallocate uninitialised instead of zero-filling: only the bytes written so far (a
      // header) are copied, and `body` writes the rest once.
      let total = start + count
      let old = bytes
      bytes = [UInt8](unsafeUninitializedCapacity: total) { buf, n in
        if start > 0 {
          old.withUnsafeBufferPointer { buf.baseAddress!.initialize(from: $0.baseAddress!, count: start) }
        }
        n = total
      }
      try bytes.withUnsafeMutableBytes { raw in
        try body(UnsafeMutableRawBufferPointer(rebasing: raw[start..<total]))
      }
      return
    }
    bytes.append(contentsOf: repeatElement(0, count: count))
    try bytes.withUnsafeMutableBytes { raw in
      try body(UnsafeMutableRawBufferPointer(rebasing: raw[start..<start + count]))
    }
  }

  public mutating func reserve(_ additional: Int) {
    bytes.reserveCapacity(bytes.count + additional)
  }

  /// Overwrites already-written bytes starting at `offset` (a frame header written last).
  public mutating func patch(_ data: [UInt8], at offset: Int) {
    precondition(offset >= 0 && offset + data.count <= bytes.count, "patch outside the bytes")
    bytes.withUnsafeMutableBufferPointer { dst in
      for i in 0..<data.count { dst[offset + i] = data[i] }
    }
  }

  // MARK: scalars

  public mutating func write(_ v: UInt8) { bytes.append(v) }
  public mutating func write(_ v: UInt16) { appendLE(v) }
  public mutating func write(_ v: UInt32) { appendLE(v) }
  public mutating func write(_ v: UInt64) { appendLE(v) }
  public mutating func write(_ v: Int32) { appendLE(v) }
  public mutating func write(_ v: Int64) { appendLE(v) }
  public mutating func write(_ v: Float) { appendLE(v.bitPattern) }
  public mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }

  private mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
    var le = v.littleEndian
    withUnsafeBytes(of: &le) { bytes.append(contentsOf: $0) }
  }

  /// A `u32` count. Counts above UInt32.max cannot be framed at all (the payload length is a
  /// u32), so that is a programmer error.
  public mutating func writeCount(_ n: Int) {
    precondition(n >= 0 && n <= Int(UInt32.max), "count \(n) does not fit a frame")
    write(UInt32(n))
  }

  // MARK: blocks

  public mutating func writeBytes(_ v: [UInt8]) {
    writeCount(v.count)
    bytes.append(contentsOf: v)
  }

  public mutating func write(_ s: String) {
    var s = s
    s.withUTF8 { utf8 in
      writeCount(utf8.count)
      bytes.append(contentsOf: utf8)
    }
  }

  public mutating func write(_ s: String?) {
    if let s {
      write(UInt8(1))
      write(s)
    } else {
      write(UInt8(0))
    }
  }

  public mutating func write(_ v: [String]) {
    writeCount(v.count)
    for s in v { write(s) }
  }

  public mutating func write(_ v: [Int32]) { writeBlock(v) }
  public mutating func write(_ v: [Int64]) { writeBlock(v) }
  public mutating func write(_ v: [UInt8]) { writeBytes(v) }
  public mutating func write(_ v: [Float]) {
    writeCount(v.count)
    #if _endian(little)
    v.withUnsafeBytes { bytes.append(contentsOf: $0) }
    #else
    for x in v { appendLE(x.bitPattern) }
    #endif
  }

  private mutating func writeBlock<T: FixedWidthInteger>(_ v: [T]) {
    writeCount(v.count)
    #if _endian(little)
    v.withUnsafeBytes { bytes.append(contentsOf: $0) }
    #else
    for x in v { appendLE(x) }
    #endif
  }
}
