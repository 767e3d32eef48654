#if canImport(Glibc)
import Glibc
#endif

/// Decoded physical values of one column chunk, appended page by page. INT96 is stored as
/// nanoseconds since the epoch in `i64`. Null slots are filled in by `expandTail` after each
/// page so the arrays stay dense (one entry per slot).
struct ValueStore {
  let type: PhysicalType
  /// FIXED_LEN_BYTE_ARRAY width in bytes.
  let width: Int
  var bools: [Bool] = []
  var i32: [Int32] = []
  var i64: [Int64] = []
  var f32: [Float] = []
  var f64: [Double] = []
  /// BYTE_ARRAY: value i is `data[offsets[i]..<offsets[i+1]]`; FLBA: `data[i*width...]`.
  var offsets: [Int32] = [0]
  var data: [UInt8] = []

  init(type: PhysicalType, width: Int) {
    self.type = type
    self.width = width
  }

  var count: Int {
    switch type {
    case .boolean: bools.count
    case .int32: i32.count
    case .int64, .int96: i64.count
    case .float: f32.count
    case .double: f64.count
    case .byteArray: offsets.count - 1
    case .fixedLenByteArray: width == 0 ? 0 : data.count / width
    }
  }

  /// After a page appended `nonNull` values at `base`, spreads them over the page's slots
  /// (`valid`, one per slot) with zero values in null slots, in place, back to front.
  mutating func expandTail(base: Int, valid: ArraySlice<Bool>) {
    let slots = valid.count
    let first = valid.startIndex
    func spread<T>(_ a: inout [T], zero: T) {
      let nonNull = a.count - base
      if nonNull == slots { return }
      a.append(contentsOf: repeatElement(zero, count: slots - nonNull))
      var src = base + nonNull - 1
      var dst = base + slots - 1
      while dst >= base {
        if valid[first + (dst - base)] {
          a[dst] = a[src]
          src -= 1
        } else {
          a[dst] = zero
        }
        dst -= 1
      }
    }
    switch type {
    case .boolean: spread(&bools, zero: false)
    case .int32: spread(&i32, zero: 0)
    case .int64, .int96: spread(&i64, zero: 0)
    case .float: spread(&f32, zero: 0)
    case .double: spread(&f64, zero: 0)
    case .byteArray:
      // offsets has base+1+nonNull entries; null slots repeat the previous end offset.
      let nonNull = offsets.count - 1 - base
      if nonNull == slots { return }
      offsets.append(contentsOf: repeatElement(0, count: slots - nonNull))
      var src = base + nonNull  // index of the end offset of the last non-null value
      var dst = base + slots
      while dst > base {
        if valid[first + (dst - base - 1)] {
          offsets[dst] = offsets[src]
          src -= 1
        } else {
          offsets[dst] = offsets[src]  // empty: end = start = previous value's end
        }
        dst -= 1
      }
    case .fixedLenByteArray:
      let nonNull = width == 0 ? 0 : data.count / width - base
      if nonNull == slots || width == 0 { return }
      data.append(contentsOf: repeatElement(0, count: (slots - nonNull) * width))
      var src = base + nonNull - 1
      var dst = base + slots - 1
      while dst >= base {
        if valid[first + (dst - base)] {
          if src != dst {
            for k in 0..<width { data[dst * width + k] = data[src * width + k] }
          }
          src -= 1
        } else {
          for k in 0..<width { data[dst * width + k] = 0 }
        }
        dst -= 1
      }
    }
  }

  /// Reserves room for `values` more values (and `bytes` more bytes of byte-array data); up to
  /// `prefaultBytes` of a fixed-width value array are mapped in at once (see `reserveFaulted`).
  mutating func reserve(values n: Int, bytes: Int, prefaultBytes: Int = 0) {
    let limit = prefaultBytes
    let n = max(0, n)
    switch type {
    case .boolean: bools.reserveCapacity(bools.count + n)
    case .int32: Self.reserveFaulted(&i32, n, limit)
    case .int64, .int96: Self.reserveFaulted(&i64, n, limit)
    case .float: Self.reserveFaulted(&f32, n, limit)
    case .double: Self.reserveFaulted(&f64, n, limit)
    case .byteArray:
      offsets.reserveCapacity(offsets.count + n)
      data.reserveCapacity(data.count + max(0, bytes))
    case .fixedLenByteArray: data.reserveCapacity(data.count + n * width)
    }
  }

  /// Reserves room for `n` more fixed-width values and, for a large buffer, has the kernel map
  /// its pages in one call (`MADV_POPULATE_WRITE`) instead of taking one page fault per 4 KiB as
  /// values arrive (a quarter of the time of reading a dictionary-encoded double column). At most
  /// `limit` bytes are populated: the caller bounds it by the bytes the column really has in the
  /// file, so a footer that over-claims values cannot make memory resident that is never used.
  private static func reserveFaulted<T>(_ a: inout [T], _ n: Int, _ limit: Int) {
    a.reserveCapacity(a.count + n)
    let bytes = min((a.capacity - a.count) * MemoryLayout<T>.stride, limit)
    guard bytes >= 4 << 20 else { return }
    let start = a.count
    a.withUnsafeMutableBufferPointer {
      prefault(UnsafeMutableRawPointer($0.baseAddress.map { $0 + start }), bytes)
    }
  }

  /// Appends `count` values whose dictionary indices `decoder` yields, a chunk of indices at a
  /// time (every index checked against the dictionary size).
  mutating func appendDictionary(_ decoder: inout RLEHybridDecoder, count: Int,
                                 dictionary dict: ValueStore) throws {
    switch type {
    case .int32: try Self.gather(&i32, dict.i32, &decoder, count)
    case .int64, .int96: try Self.gather(&i64, dict.i64, &decoder, count)
    case .float: try Self.gather(&f32, dict.f32, &decoder, count)
    case .double: try Self.gather(&f64, dict.f64, &decoder, count)
    case .byteArray:
      try dict.offsets.withUnsafeBufferPointer { o in
        try dict.data.withUnsafeBytes { b in
          try DictionaryGather.decodeByteArray(&decoder, count: count, dictionaryOffsets: o,
                                               dictionaryBytes: b, offsets: &offsets, bytes: &data)
        }
      }
    case .boolean, .fixedLenByteArray:
      var idx = [Int32](repeating: 0, count: count)
      try idx.withUnsafeMutableBufferPointer { try decoder.decode(into: $0.baseAddress!, count: count) }
      try idx.withUnsafeBufferPointer { try gather(from: dict, indices: $0) }
    }
  }

  /// Indices and values go through two small stack buffers, 1024 at a time, and are appended
  /// from there: the output is written once (growing it first would mean zeroing it first).
  private static func gather<T: Numeric>(_ a: inout [T], _ dict: [T], _ decoder: inout RLEHybridDecoder,
                                         _ count: Int) throws {
    let chunk = DictionaryGather.chunk
    let base = a.count
    do {
      try dict.withUnsafeBufferPointer { d in
        try withUnsafeTemporaryAllocation(of: Int32.self, capacity: chunk) { idx in
          try withUnsafeTemporaryAllocation(of: T.self, capacity: chunk) { vals in
            var done = 0
            while done < count {
              let n = min(chunk, count - done)
              try decoder.decode(into: idx.baseAddress!, count: n)
              try DictionaryGather.gather(indices: idx.baseAddress!, count: n, dictionary: d,
                                          into: vals.baseAddress!)
              a.append(contentsOf: UnsafeBufferPointer(rebasing: vals[0..<n]))
              done += n
            }
          }
        }
      }
    } catch {
      a.removeLast(a.count - base)
      throw error
    }
  }

  /// Appends `dict[idx]` for each index; indices are checked against the dictionary size.
  mutating func gather(from dict: ValueStore, indices: UnsafeBufferPointer<Int32>) throws {
    let n = dict.count
    for i in indices where i < 0 || Int(i) >= n {
      throw ParquetError(.corrupt, "dictionary index \(i) outside a dictionary of \(n) values")
    }
    switch type {
    case .boolean: for i in indices { bools.append(dict.bools[Int(i)]) }
    case .int32: for i in indices { i32.append(dict.i32[Int(i)]) }
    case .int64, .int96: for i in indices { i64.append(dict.i64[Int(i)]) }
    case .float: for i in indices { f32.append(dict.f32[Int(i)]) }
    case .double: for i in indices { f64.append(dict.f64[Int(i)]) }
    case .byteArray:
      var end = offsets[offsets.count - 1]
      for i in indices {
        let s = Int(dict.offsets[Int(i)]), e = Int(dict.offsets[Int(i) + 1])
        data.append(contentsOf: dict.data[s..<e])
        end += Int32(e - s)
        offsets.append(end)
      }
      guard data.count <= Int(Int32.max) else {
        throw ParquetError(.unsupported, "more than 2 GiB of byte-array data in one row group")
      }
    case .fixedLenByteArray:
      for i in indices {
        let s = Int(i) * width
        data.append(contentsOf: dict.data[s..<s + width])
      }
    }
  }
}

/// Populates the whole pages inside `[p, p + bytes)` writable in one system call (Linux ≥ 5.14;
/// elsewhere, or if refused, nothing happens and pages fault in on first write as usual).
func prefault(_ p: UnsafeMutableRawPointer?, _ bytes: Int) {
  #if os(Linux)
  guard let p else { return }
  let page = 4096
  let start = (Int(bitPattern: p) + page - 1) & ~(page - 1)
  let end = (Int(bitPattern: p) + bytes) & ~(page - 1)
  guard end > start, let s = UnsafeMutableRawPointer(bitPattern: start) else { return }
  _ = madvise(s, end - start, 23)  // MADV_POPULATE_WRITE
  #endif
}
