import Foundation
import Graph

/// Named arrays in one file (checkpoints, embedding dumps):
///
///     offset 0   8 bytes   magic "GUSTBLOB"
///     offset 8   u32 LE    format version (1)
///     offset 12  u32 LE    header length H
///     offset 16  H bytes   JSON: {"sections": [{"name", "dtype" (f32|f64|i32|i64|u8),
///                           "count" (elements), "width" (elements per row), "offset"
///                           (bytes from the start of the data)}]}
///     16 + H     data      each section's elements, little-endian, in header order
///     end − 4    u32 LE    (version 2) CRC-32 (zlib's) of every byte before it
///
/// Written to `<path>.tmp` and renamed, so a file is complete or absent. Version 1 files
/// (no checksum) still read.
public enum BinaryBlob {
  static let magic = Array("GUSTBLOB".utf8)

  public static func write(path: String, sections: [(name: String, data: ArrayData, width: Int)]) throws {
    var index: [[String: Any]] = []
    var offset = 0
    for s in sections {
      index.append(["name": s.name, "dtype": s.data.dtype.rawValue, "count": s.data.count,
                    "width": s.width, "offset": offset])
      offset += s.data.count * s.data.dtype.size
    }
    let header = try JSONSerialization.data(withJSONObject: ["sections": index], options: [.sortedKeys])
    var out = Data(magic)
    func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
    u32(2)
    u32(header.count)
    out.append(header)
    out.reserveCapacity(out.count + offset)
    for s in sections { s.data.withUnsafeBytes { out.append(contentsOf: $0) } }
    u32(Int(out.withUnsafeBytes { MappedFile.crc32($0.baseAddress, $0.count) }))
    let tmp = path + ".tmp"
    guard FileManager.default.createFile(atPath: tmp, contents: out) else {
      throw TrainingError(.runtime, "cannot write \(tmp)")
    }
    if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    try FileManager.default.moveItem(atPath: tmp, toPath: path)
  }

  /// Every section by name.
  public static func read(path: String) throws -> [String: ArrayData] {
    try readWithWidths(path: path).mapValues(\.data)
  }

  public static func readWithWidths(path: String) throws -> [String: (data: ArrayData, width: Int)] {
    guard let d = FileManager.default.contents(atPath: path) else {
      throw TrainingError(.badInput, "cannot read \(path)")
    }
    func bad(_ why: String) -> TrainingError { TrainingError(.badInput, "\(path): \(why)") }
    guard d.count >= 16, Array(d[0..<8]) == magic else { throw bad("not a Gust blob (bad magic)") }
    func u32(_ at: Int) -> Int { Int(d[at..<(at + 4)].enumerated().reduce(UInt32(0)) { $0 | (UInt32($1.element) << (8 * UInt32($1.offset))) }) }
    let version = u32(8)
    guard version == 1 || version == 2 else { throw bad("unsupported version \(version)") }
    var end = d.count
    if version == 2 {
      guard d.count >= 20 else { throw bad("truncated") }
      end -= 4
      let stored = u32(end)
      let actual = Int(d.withUnsafeBytes { MappedFile.crc32($0.baseAddress, end) })
      guard stored == actual else { throw bad("checksum mismatch: the file is corrupt (crc32 \(String(actual, radix: 16)), stored \(String(stored, radix: 16)))") }
    }
    let h = u32(12)
    guard 16 + h <= end,
          let json = try? JSONSerialization.jsonObject(with: d[16..<(16 + h)]) as? [String: Any],
          let secs = json["sections"] as? [[String: Any]] else { throw bad("bad header") }
    let base = 16 + h
    var out: [String: (ArrayData, Int)] = [:]
    for s in secs {
      guard let name = s["name"] as? String, let dts = s["dtype"] as? String, let dt = DType(rawValue: dts),
            let count = s["count"] as? Int, let width = s["width"] as? Int, let off = s["offset"] as? Int,
            count >= 0, off >= 0, base + off + count * dt.size <= end else { throw bad("bad section entry") }
      let lo = base + off, hi = lo + count * dt.size
      let bytes = d[lo..<hi]
      func arr<T>(_: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buf, n in
          _ = bytes.copyBytes(to: buf)
          n = count
        }
      }
      let data: ArrayData
      switch dt {
      case .f32: data = .f32(arr(Float.self))
      case .f64: data = .f64(arr(Double.self))
      case .i32: data = .i32(arr(Int32.self))
      case .i64: data = .i64(arr(Int64.self))
      case .u8: data = .u8(Array(bytes))
      }
      out[name] = (data, width)
    }
    return out.mapValues { (data: $0.0, width: $0.1) }
  }
}
