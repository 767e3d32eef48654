/// CRC-32 as zlib computes it (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and
/// final xor 0xFFFFFFFF): `CRC32.checksum("123456789") == 0xCBF43926`. Pure Swift, slicing-by-8
/// over eight 256-entry tables, so Proto imports no C library.
public enum CRC32 {
  /// tables[k][b]: the CRC of byte b followed by k zero bytes. Flattened: index k * 256 + b.
  static let tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for b in 0..<256 {
      var c = UInt32(b)
      for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) }
      t[b] = c
    }
    for k in 1..<8 {
      for b in 0..<256 {
        let prev = t[(k - 1) * 256 + b]
        t[k * 256 + b] = t[Int(prev & 0xFF)] ^ (prev >> 8)
      }
    }
    return t
  }()

  /// Continues a running CRC (`crc` = the value returned for the bytes so far; 0 to start).
  public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return tables.withUnsafeBufferPointer { table in
      // Locals only inside the closure, so the loop state stays in registers.
      let t = table.baseAddress!
      let n = bytes.count
      var c = ~crc
      var i = 0
      while i + 8 <= n {
        let lo = base.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ c
        let hi = base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
        c = t[1792 + Int(lo & 0xFF)] ^ t[1536 + Int((lo >> 8) & 0xFF)]
          ^ t[1280 + Int((lo >> 16) & 0xFF)] ^ t[1024 + Int(lo >> 24)]
          ^ t[768 + Int(hi & 0xFF)] ^ t[512 + Int((hi >> 8) & 0xFF)]
          ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
        i &+= 8
      }
      while i < n {
        c = t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
        i &+= 1
      }
      return ~c
    }
  }

  public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }

  public static func checksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { update(0, $0) }
  }

  public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.withUnsafeBytes { update(0, $0) }
  }
}
