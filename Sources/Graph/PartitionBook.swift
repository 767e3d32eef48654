/// Routes global node (or edge) ids to their owning partition and type with a binary search over
/// the few (partition, type) ranges of the config — no per-id table, no hashing.
public struct PartitionBook: Sendable {
  public struct Owner: Equatable, Sendable {
    public let part: Int
    public let type: Int
    /// Offset of the id inside its (partition, type) range.
    public let offset: Int
  }

  /// Non-empty ranges sorted by start: (start, end, part, type).
  private let starts: [Int64]
  private let ends: [Int64]
  private let parts: [Int32]
  private let types: [Int32]
  public let total: Int64

  /// `ranges[type][part]`.
  public init(ranges: [[PartitionConfig.IdRange]]) {
    var rows: [(Int64, Int64, Int32, Int32)] = []
    for (t, perPart) in ranges.enumerated() {
      for (p, r) in perPart.enumerated() where r.end > r.start {
        rows.append((r.start, r.end, Int32(p), Int32(t)))
      }
    }
    rows.sort { $0.0 < $1.0 }
    starts = rows.map(\.0)
    ends = rows.map(\.1)
    parts = rows.map(\.2)
    types = rows.map(\.3)
    total = rows.reduce(0) { $0 + ($1.1 - $1.0) }
  }

  public static func nodes(_ c: PartitionConfig) -> PartitionBook { PartitionBook(ranges: c.nodeMap) }
  public static func edges(_ c: PartitionConfig) -> PartitionBook { PartitionBook(ranges: c.edgeMap) }

  /// The owner of `id`, or nil when no range holds it.
  @inline(__always)
  public func owner(of id: Int64) -> Owner? {
    var lo = 0, hi = starts.count
    while lo < hi {
      let mid = (lo + hi) >> 1
      if starts[mid] <= id { lo = mid + 1 } else { hi = mid }
    }
    let i = lo - 1
    guard i >= 0, id < ends[i] else { return nil }
    return Owner(part: Int(parts[i]), type: Int(types[i]), offset: Int(id - starts[i]))
  }
}
