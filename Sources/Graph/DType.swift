/// Element types of the arrays a partition stores. Files carry the dtype as their extension
/// (`.f32`, `.i64`, …) and hold `rows × width` little-endian elements with no header.
public enum DType: String, Codable, Sendable, CaseIterable {
  case f32, f64, i32, i64, u8

  public var size: Int {
    switch self {
    case .f32, .i32: return 4
    case .f64, .i64: return 8
    case .u8: return 1
    }
  }
}

/// What a named array of a node or edge type is.
public enum FieldKind: String, Codable, Sendable {
  case feature, label, mask
}

/// One named array per node (or edge) of a type: its role, element type and row width.
public struct FieldInfo: Codable, Sendable, Equatable {
  public var name: String
  public var kind: FieldKind
  public var dtype: DType
  public var width: Int

  public init(name: String, kind: FieldKind, dtype: DType, width: Int) {
    self.name = name
    self.kind = kind
    self.dtype = dtype
    self.width = width
  }
}

/// A canonical edge type `(src, rel, dst)`, spelled `src:rel:dst` in JSON keys (DGL's form).
public struct EdgeType: Hashable, Codable, Sendable, CustomStringConvertible, Comparable {
  public var src: String
  public var rel: String
  public var dst: String

  public init(_ src: String, _ rel: String, _ dst: String) {
    self.src = src
    self.rel = rel
    self.dst = dst
  }

  /// Parses `src:rel:dst` (or GraphStorm's `src,rel,dst` when `separator` is ",").
  public init?(parsing s: String, separator: Character = ":") {
    let parts = s.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3, !parts.contains(where: \.isEmpty) else { return nil }
    self.init(parts[0], parts[1], parts[2])
  }

  public var key: String { "\(src):\(rel):\(dst)" }
  public var description: String { key }
  public static func < (a: EdgeType, b: EdgeType) -> Bool { a.key < b.key }
}
