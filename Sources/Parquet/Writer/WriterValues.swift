/// Value encodings and statistics used by the writer.

/// PLAIN encoding of selected slots (non-null values only, in order).
enum PlainValues {
  static func encode(_ v: ColumnValues, slots: [Int], into out: inout [UInt8]) throws {
    func fixed<T>(_ a: [T]) {
      var tmp = [T]()
      tmp.reserveCapacity(slots.count)
      for s in slots { tmp.append(a[s]) }
      tmp.withUnsafeBytes { out.append(contentsOf: $0) }  // little-endian hosts only
    }
    switch v {
    case .int32(let a): fixed(a)
    case .int64(let a): fixed(a)
    case .float(let a): fixed(a)
    case .double(let a): fixed(a)
    case .bool(let a):
      var byte: UInt8 = 0
      for (k, s) in slots.enumerated() {
        if a[s] { byte |= 1 << UInt8(k & 7) }
        if k & 7 == 7 { out.append(byte); byte = 0 }
      }
      if slots.count & 7 != 0 { out.append(byte) }
    case .string(let o, let b), .binary(let o, let b):
      for s in slots {
        let n = UInt32(o[s + 1] - o[s])
        out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
        out += b[Int(o[s])..<Int(o[s + 1])]
      }
    default:
      throw ParquetError(.invalidArgument, "the writer cannot encode \(v) values")
    }
  }
}

/// Distinct strings of a chunk in first-seen order, and each slot's index.
struct StringDictionary {
  private var index: [ArraySlice<UInt8>: Int32] = [:]
  private var values: [ArraySlice<UInt8>] = []
  private let offsets: [Int32]
  private let bytes: [UInt8]
  private let base: Int
  private var ids: [Int32] = []

  var count: Int { values.count }

  /// nil when the dictionary would exceed `limit` bytes (the caller writes PLAIN instead).
  init?(offsets: [Int32], bytes: [UInt8], slots: Range<Int>, valid: (Int) -> Bool, limit: Int) {
    self.offsets = offsets
    self.bytes = bytes
    self.base = slots.lowerBound
    var size = 0
    ids.reserveCapacity(slots.count)
    for s in slots {
      guard valid(s) else { ids.append(-1); continue }
      let v = bytes[Int(offsets[s])..<Int(offsets[s + 1])]
      if let i = index[v] {
        ids.append(i)
      } else {
        let i = Int32(values.count)
        index[v] = i
        values.append(v)
        ids.append(i)
        size += v.count + 4
        if size > limit { return nil }
      }
    }
  }

  func plainValues() -> [UInt8] {
    var out: [UInt8] = []
    for v in values {
      let n = UInt32(v.count)
      out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
      out += v
    }
    return out
  }

  /// RLE_DICTIONARY page values: a bit-width byte, then the hybrid-encoded indices.
  func indices(for slots: [Int]) -> [UInt8] {
    let width = max(1, ChunkDecoder.bitWidth(max(0, values.count - 1)))
    var enc = RLEHybridEncoder(bitWidth: width)
    for s in slots { enc.append(ids[s - base]) }
    return [UInt8(width)] + enc.finish()
  }
}

/// min/max (PLAIN-encoded, as `min_value`/`max_value`) and null count of a chunk.
enum ColumnStatistics {
  static func compute(_ v: ColumnValues, slots: Range<Int>, valid: (Int) -> Bool, nulls: Int64)
    -> Statistics
  {
    var st = Statistics(nullCount: nulls)
    func le<T>(_ x: T) -> [UInt8] { withUnsafeBytes(of: x) { Array($0) } }
    func minMax<T: Comparable>(_ a: [T], skip: (T) -> Bool = { _ in false }) -> (T, T)? {
      var lo: T?, hi: T?
      for s in slots where valid(s) && !skip(a[s]) {
        let x = a[s]
        if lo == nil || x < lo! { lo = x }
        if hi == nil || x > hi! { hi = x }
      }
      guard let lo, let hi else { return nil }
      return (lo, hi)
    }
    switch v {
    case .int32(let a):
      if let (lo, hi) = minMax(a) { st.minValue = le(lo); st.maxValue = le(hi) }
    case .int64(let a):
      if let (lo, hi) = minMax(a) { st.minValue = le(lo); st.maxValue = le(hi) }
    case .float(let a):
      if let (lo, hi) = minMax(a, skip: { $0.isNaN }) {
        // Spec: a zero minimum is written as -0.0, a zero maximum as +0.0.
        st.minValue = le(lo == 0 ? -Float(0) : lo)
        st.maxValue = le(hi == 0 ? Float(0) : hi)
      }
    case .double(let a):
      if let (lo, hi) = minMax(a, skip: { $0.isNaN }) {
        st.minValue = le(lo == 0 ? -Double(0) : lo)
        st.maxValue = le(hi == 0 ? Double(0) : hi)
      }
    case .bool(let a):
      let m = minMax(a.map { $0 ? 1 : 0 } as [UInt8])
      if let (lo, hi) = m { st.minValue = [lo]; st.maxValue = [hi] }
    case .string(let o, let b), .binary(let o, let b):
      var lo: ArraySlice<UInt8>?, hi: ArraySlice<UInt8>?
      for s in slots where valid(s) {
        let x = b[Int(o[s])..<Int(o[s + 1])]
        if lo == nil || x.lexicographicallyPrecedes(lo!) { lo = x }
        if hi == nil || hi!.lexicographicallyPrecedes(x) { hi = x }
      }
      if let lo, let hi { st.minValue = Array(lo); st.maxValue = Array(hi) }
    default: break
    }
    return st
  }
}
