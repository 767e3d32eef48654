/// Bit unpacking and packing kernels: values of `width` bits stored LSB first, as in the
/// RLE/bit-packed hybrid and DELTA_BINARY_PACKED encodings. Plain functions over raw pointers;
/// nothing allocates. Groups of 8 values (exactly `width` bytes) are unpacked by kernels
/// specialised per width (the switch passes a literal, the kernel is inlined and its 8-value loop
/// unrolled with constant shifts); ragged heads and tails go through the byte-wise `extract`.
enum BitPacking {
  /// The value at bit offset `bit`, `width` (0...64) bits wide; bytes at or past `srcBytes` read as 0.
  @inline(__always)
  static func extract(_ src: UnsafeRawPointer, _ srcBytes: Int, bit: Int, width w: Int) -> UInt64 {
    if w == 0 { return 0 }
    let byte = bit >> 3
    let shift = bit & 7
    let end = min(byte + ((shift + w + 7) >> 3), srcBytes)
    var lo: UInt64 = 0
    var hi: UInt64 = 0
    var k = byte
    while k < end {
      let b = UInt64(src.load(fromByteOffset: k, as: UInt8.self))
      let at = k - byte
      if at < 8 { lo |= b << UInt64(at * 8) } else { hi = b }
      k += 1
    }
    var v = lo >> UInt64(shift)
    if shift > 0 { v |= hi << UInt64(64 - shift) }
    return w == 64 ? v : v & ((1 << UInt64(w)) &- 1)
  }

  /// Unpacks values `first ..< first+count` (width 0...32) of the packed stream at `src`, of which
  /// `srcBytes` bytes are readable. The caller checks that the values lie within those bytes.
  static func unpack32(_ src: UnsafeRawPointer, srcBytes: Int, width w: Int, first: Int, count: Int,
                       into dst: UnsafeMutablePointer<UInt32>) {
    if count <= 0 { return }
    if w == 0 { dst.update(repeating: 0, count: count); return }
    var i = 0
    var index = first
    while i < count && index & 7 != 0 {
      dst[i] = UInt32(truncatingIfNeeded: extract(src, srcBytes, bit: index * w, width: w))
      i += 1; index += 1
    }
    let startByte = (index >> 3) * w
    let safeGroups = max(0, (srcBytes - 8 - startByte) / w)  // 8 bytes of slack for the wide loads
    let groups = min((count - i) >> 3, safeGroups)
    if groups > 0 {
      unpackGroups32(src + startByte, groups, dst + i, width: w)
      i += groups * 8; index += groups * 8
    }
    while i < count {
      dst[i] = UInt32(truncatingIfNeeded: extract(src, srcBytes, bit: index * w, width: w))
      i += 1; index += 1
    }
  }

  /// As `unpack32`, for widths 0...64.
  static func unpack64(_ src: UnsafeRawPointer, srcBytes: Int, width w: Int, first: Int, count: Int,
                       into dst: UnsafeMutablePointer<UInt64>) {
    if count <= 0 { return }
    if w == 0 { dst.update(repeating: 0, count: count); return }
    var i = 0
    var index = first
    while i < count && index & 7 != 0 {
      dst[i] = extract(src, srcBytes, bit: index * w, width: w)
      i += 1; index += 1
    }
    let startByte = (index >> 3) * w
    let safeGroups = max(0, (srcBytes - 8 - startByte) / w)
    let groups = min((count - i) >> 3, safeGroups)
    if groups > 0 {
      unpackGroups64(src + startByte, groups, dst + i, width: w)
      i += groups * 8; index += groups * 8
    }
    while i < count {
      dst[i] = extract(src, srcBytes, bit: index * w, width: w)
      i += 1; index += 1
    }
  }

  /// `groups` groups of 8 values; needs `groups * w + 8` readable bytes at `src`.
  static func unpackGroups32(_ src: UnsafeRawPointer, _ groups: Int, _ dst: UnsafeMutablePointer<UInt32>,
                             width: Int) {
    switch width {
    case 1: unpackGroups32(src, groups, dst, 1)
    case 2: unpackGroups32(src, groups, dst, 2)
    case 3: unpackGroups32(src, groups, dst, 3)
    case 4: unpackGroups32(src, groups, dst, 4)
    case 5: unpackGroups32(src, groups, dst, 5)
    case 6: unpackGroups32(src, groups, dst, 6)
    case 7: unpackGroups32(src, groups, dst, 7)
    case 8: unpackGroups32(src, groups, dst, 8)
    case 9: unpackGroups32(src, groups, dst, 9)
    case 10: unpackGroups32(src, groups, dst, 10)
    case 11: unpackGroups32(src, groups, dst, 11)
    case 12: unpackGroups32(src, groups, dst, 12)
    case 13: unpackGroups32(src, groups, dst, 13)
    case 14: unpackGroups32(src, groups, dst, 14)
    case 15: unpackGroups32(src, groups, dst, 15)
    case 16: unpackGroups32(src, groups, dst, 16)
    case 17: unpackGroups32(src, groups, dst, 17)
    case 18: unpackGroups32(src, groups, dst, 18)
    case 19: unpackGroups32(src, groups, dst, 19)
    case 20: unpackGroups32(src, groups, dst, 20)
    case 21: unpackGroups32(src, groups, dst, 21)
    case 22: unpackGroups32(src, groups, dst, 22)
    case 23: unpackGroups32(src, groups, dst, 23)
    case 24: unpackGroups32(src, groups, dst, 24)
    case 25: unpackGroups32(src, groups, dst, 25)
    case 26: unpackGroups32(src, groups, dst, 26)
    case 27: unpackGroups32(src, groups, dst, 27)
    case 28: unpackGroups32(src, groups, dst, 28)
    case 29: unpackGroups32(src, groups, dst, 29)
    case 30: unpackGroups32(src, groups, dst, 30)
    case 31: unpackGroups32(src, groups, dst, 31)
    case 32: unpackGroups32(src, groups, dst, 32)
    default: preconditionFailure("bit width \(width) > 32")
    }
  }

  static func unpackGroups64(_ src: UnsafeRawPointer, _ groups: Int, _ dst: UnsafeMutablePointer<UInt64>,
                             width: Int) {
    switch width {
    case 1: unpackGroups64(src, groups, dst, 1)
    case 2: unpackGroups64(src, groups, dst, 2)
    case 3: unpackGroups64(src, groups, dst, 3)
    case 4: unpackGroups64(src, groups, dst, 4)
    case 5: unpackGroups64(src, groups, dst, 5)
    case 6: unpackGroups64(src, groups, dst, 6)
    case 7: unpackGroups64(src, groups, dst, 7)
    case 8: unpackGroups64(src, groups, dst, 8)
    case 9: unpackGroups64(src, groups, dst, 9)
    case 10: unpackGroups64(src, groups, dst, 10)
    case 11: unpackGroups64(src, groups, dst, 11)
    case 12: unpackGroups64(src, groups, dst, 12)
    case 13: unpackGroups64(src, groups, dst, 13)
    case 14: unpackGroups64(src, groups, dst, 14)
    case 15: unpackGroups64(src, groups, dst, 15)
    case 16: unpackGroups64(src, groups, dst, 16)
    case 17: unpackGroups64(src, groups, dst, 17)
    case 18: unpackGroups64(src, groups, dst, 18)
    case 19: unpackGroups64(src, groups, dst, 19)
    case 20: unpackGroups64(src, groups, dst, 20)
    case 21: unpackGroups64(src, groups, dst, 21)
    case 22: unpackGroups64(src, groups, dst, 22)
    case 23: unpackGroups64(src, groups, dst, 23)
    case 24: unpackGroups64(src, groups, dst, 24)
    case 25: unpackGroups64(src, groups, dst, 25)
    case 26: unpackGroups64(src, groups, dst, 26)
    case 27: unpackGroups64(src, groups, dst, 27)
    case 28: unpackGroups64(src, groups, dst, 28)
    case 29: unpackGroups64(src, groups, dst, 29)
    case 30: unpackGroups64(src, groups, dst, 30)
    case 31: unpackGroups64(src, groups, dst, 31)
    case 32: unpackGroups64(src, groups, dst, 32)
    case 33: unpackGroups64(src, groups, dst, 33)
    case 34: unpackGroups64(src, groups, dst, 34)
    case 35: unpackGroups64(src, groups, dst, 35)
    case 36: unpackGroups64(src, groups, dst, 36)
    case 37: unpackGroups64(src, groups, dst, 37)
    case 38: unpackGroups64(src, groups, dst, 38)
    case 39: unpackGroups64(src, groups, dst, 39)
    case 40: unpackGroups64(src, groups, dst, 40)
    case 41: unpackGroups64(src, groups, dst, 41)
    case 42: unpackGroups64(src, groups, dst, 42)
    case 43: unpackGroups64(src, groups, dst, 43)
    case 44: unpackGroups64(src, groups, dst, 44)
    case 45: unpackGroups64(src, groups, dst, 45)
    case 46: unpackGroups64(src, groups, dst, 46)
    case 47: unpackGroups64(src, groups, dst, 47)
    case 48: unpackGroups64(src, groups, dst, 48)
    case 49: unpackGroups64(src, groups, dst, 49)
    case 50: unpackGroups64(src, groups, dst, 50)
    case 51: unpackGroups64(src, groups, dst, 51)
    case 52: unpackGroups64(src, groups, dst, 52)
    case 53: unpackGroups64(src, groups, dst, 53)
    case 54: unpackGroups64(src, groups, dst, 54)
    case 55: unpackGroups64(src, groups, dst, 55)
    case 56: unpackGroups64(src, groups, dst, 56)
    case 57: unpackGroups64(src, groups, dst, 57)
    case 58: unpackGroups64(src, groups, dst, 58)
    case 59: unpackGroups64(src, groups, dst, 59)
    case 60: unpackGroups64(src, groups, dst, 60)
    case 61: unpackGroups64(src, groups, dst, 61)
    case 62: unpackGroups64(src, groups, dst, 62)
    case 63: unpackGroups64(src, groups, dst, 63)
    case 64: unpackGroups64(src, groups, dst, 64)
    default: preconditionFailure("bit width \(width) > 64")
    }
  }

  @inline(__always)
  static func unpackGroups32(_ src: UnsafeRawPointer, _ groups: Int, _ dst: UnsafeMutablePointer<UInt32>,
                             _ w: Int) {
    let mask: UInt64 = (1 << UInt64(w)) &- 1
    var s = src
    var d = dst
    for _ in 0..<groups {
      for j in 0..<8 {
        let bit = j * w
        let x = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self))
        d[j] = UInt32(truncatingIfNeeded: (x >> UInt64(bit & 7)) & mask)
      }
      s += w
      d += 8
    }
  }

  @inline(__always)
  static func unpackGroups64(_ src: UnsafeRawPointer, _ groups: Int, _ dst: UnsafeMutablePointer<UInt64>,
                             _ w: Int) {
    let mask: UInt64 = w == 64 ? ~0 : (1 << UInt64(w)) &- 1
    var s = src
    var d = dst
    for _ in 0..<groups {
      for j in 0..<8 {
        let bit = j * w
        let byte = bit >> 3
        let shift = bit & 7
        var v = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) >> UInt64(shift)
        if shift + w > 64 {
          v |= UInt64(s.load(fromByteOffset: byte + 8, as: UInt8.self)) << UInt64(64 - shift)
        }
        d[j] = v & mask
      }
      s += w
      d += 8
    }
  }
}

/// Packs values LSB first into bytes (the encoders' side of `BitPacking`).
struct BitWriter {
  private var acc: UInt64 = 0
  private var bits = 0

  /// Appends the low `width` (0...64) bits of `value`.
  @inline(__always)
  mutating func write(_ value: UInt64, width w: Int, to out: inout [UInt8]) {
    if w == 0 { return }
    let v = w == 64 ? value : value & ((1 << UInt64(w)) &- 1)
    acc |= v << UInt64(bits)
    let total = bits + w
    if total >= 64 {
      withUnsafeBytes(of: acc.littleEndian) { out.append(contentsOf: $0) }
      acc = bits == 0 ? 0 : v >> UInt64(64 - bits)
      bits = total - 64
    } else {
      bits = total
    }
  }

  /// Writes the partial last byte(s), zero-padded, and resets.
  mutating func flush(to out: inout [UInt8]) {
    var a = acc
    var n = (bits + 7) >> 3
    while n > 0 {
      out.append(UInt8(truncatingIfNeeded: a))
      a >>= 8
      n -= 1
    }
    acc = 0
    bits = 0
  }
}
