/// Row gathers shared by the graph server (rows into a reply) and a client reading a partition
/// mapped on its own host (rows straight into the merged result).
extension Partition {
  /// Converts rows of a field of any dtype to `Float` and writes row `i` (`rows[i]`, an offset
  /// in the field) at `out + positions[i] × width` (`positions == nil`: at `i × width`).
  /// Offsets must be in range (callers check ids from the network first).
  public static func gatherFloatRows(_ info: FieldInfo, _ data: UnsafeRawBufferPointer,
                                     rows: [Int], positions: [Int]? = nil,
                                     into out: UnsafeMutablePointer<Float>) {
    let w = info.width
    guard let base = data.baseAddress else { return }
    @inline(__always) func dst(_ i: Int) -> UnsafeMutablePointer<Float> {
      out + (positions?[i] ?? i) * w
    }
    switch info.dtype {
    case .f32:
      let src = base.assumingMemoryBound(to: Float.self)
      let bytes = w * 4
      for (i, r) in rows.enumerated() {
        UnsafeMutableRawPointer(dst(i)).copyMemory(from: src + r * w, byteCount: bytes)
      }
    case .f64:
      let src = base.assumingMemoryBound(to: Double.self)
      for (i, r) in rows.enumerated() { let d = dst(i); for j in 0..<w { d[j] = Float(src[r * w + j]) } }
    case .i32:
      let src = base.assumingMemoryBound(to: Int32.self)
      for (i, r) in rows.enumerated() { let d = dst(i); for j in 0..<w { d[j] = Float(src[r * w + j]) } }
    case .i64:
      let src = base.assumingMemoryBound(to: Int64.self)
      for (i, r) in rows.enumerated() { let d = dst(i); for j in 0..<w { d[j] = Float(src[r * w + j]) } }
    case .u8:
      let src = base.assumingMemoryBound(to: UInt8.self)
      for (i, r) in rows.enumerated() { let d = dst(i); for j in 0..<w { d[j] = Float(src[r * w + j]) } }
    }
  }

  /// The wire column type of a field: f32 and f64 travel as f32, i32 and i64 as i64, u8 as u8.
  public enum ColumnType: UInt8, Sendable { case float32 = 1, int64 = 2, uint8 = 3 }

  public static func columnType(_ d: DType) -> ColumnType {
    switch d {
    case .f32, .f64: return .float32
    case .i32, .i64: return .int64
    case .u8: return .uint8
    }
  }

  /// Gathers rows of a label or mask field as its column type: element `j` of row `i` goes to
  /// element `(positions?[i] ?? i) × width + j` of `out`, which holds `Float`, `Int64` or
  /// `UInt8` per `columnType(info.dtype)`.
  public static func gatherColumnRows(_ info: FieldInfo, _ data: UnsafeRawBufferPointer,
                                      rows: [Int], positions: [Int]? = nil,
                                      into out: UnsafeMutableRawPointer) {
    let w = info.width
    guard let base = data.baseAddress else { return }
    switch info.dtype {
    case .f32, .f64:
      gatherFloatRows(info, data, rows: rows, positions: positions,
                      into: out.assumingMemoryBound(to: Float.self))
    case .i64:
      let src = base.assumingMemoryBound(to: Int64.self), o = out.assumingMemoryBound(to: Int64.self)
      for (i, r) in rows.enumerated() { let p = (positions?[i] ?? i) * w; for j in 0..<w { o[p + j] = src[r * w + j] } }
    case .i32:
      let src = base.assumingMemoryBound(to: Int32.self), o = out.assumingMemoryBound(to: Int64.self)
      for (i, r) in rows.enumerated() { let p = (positions?[i] ?? i) * w; for j in 0..<w { o[p + j] = Int64(src[r * w + j]) } }
    case .u8:
      let src = base.assumingMemoryBound(to: UInt8.self), o = out.assumingMemoryBound(to: UInt8.self)
      for (i, r) in rows.enumerated() { let p = (positions?[i] ?? i) * w; for j in 0..<w { o[p + j] = src[r * w + j] } }
    }
  }
}
