import Foundation
import Graph
import Parquet

/// Turns global node ids into the ids users see in outputs: their raw ids (from
/// `raw_id_mappings/<ntype>/*.parquet`, columns `orig`, `new`) or, with `keepIntegerIds`, graph
/// ids (the `new` column; `gust remap` converts those later). Global id → graph id goes
/// through `node_mapping/<ntype>.i64` (one graph id per node, in global-id order). Each type's
/// tables load on first use and stay (one int64 or one string per node).
public final class NodeIds {
  public let root: String
  public let config: PartitionConfig
  public let keepIntegerIds: Bool
  struct TypeIds {
    /// Graph id of each node of the type, in global-id order (per-partition ranges concatenated).
    var graphOf: [Int64]
    /// `[start, end)` global ranges with the type-local index of their first node.
    var ranges: [(start: Int64, end: Int64, base: Int)]
  }
  private var types: [Int: TypeIds] = [:]
  private var raws: [Int: RawIds] = [:]

  /// `partConfigPath`: the graph's `<graph>.json` (its folder holds the mappings).
  public init(partConfigPath: String, config: PartitionConfig, keepIntegerIds: Bool) {
    root = (partConfigPath as NSString).deletingLastPathComponent
    self.config = config
    self.keepIntegerIds = keepIntegerIds
  }

  /// Whether node type `t`'s output ids are strings (raw string ids) or int64.
  public func isString(_ t: Int) throws -> Bool {
    if keepIntegerIds { return false }
    return try rawIds(t).isString
  }

  public func columnKind(_ t: Int) throws -> ColumnBuffer.Kind { try isString(t) ? .string : .int64 }

  /// Appends the output ids of global ids `ids` (all of node type `t`) to `column`.
  public func append(ntype t: Int, globalIds ids: UnsafeBufferPointer<Int64>, to column: inout ColumnBuffer) throws {
    let ti = try load(t)
    let raw = keepIntegerIds ? nil : try rawIds(t)
    for g in ids {
      guard let r = ti.ranges.first(where: { g >= $0.start && g < $0.end }) else {
        throw OutputError(.badInput, "node id \(g) is not a '\(config.ntypes[t])' node")
      }
      let graphId = ti.graphOf[r.base + Int(g - r.start)]
      if keepIntegerIds { column.append(int: graphId); continue }
      try raw!.append(graphId, to: &column)
    }
  }

  public func append(ntype t: Int, globalIds ids: [Int64], to column: inout ColumnBuffer) throws {
    try ids.withUnsafeBufferPointer { try append(ntype: t, globalIds: $0, to: &column) }
  }

  private func load(_ t: Int) throws -> TypeIds {
    if let x = types[t] { return x }
    let name = config.ntypes[t]
    guard let entry = config.globalFiles[PartitionConfig.nodeMappingName(ntype: name)] else {
      throw OutputError(.badInput, "\(root): the partition config lists no node_mapping file for '\(name)'")
    }
    let path = root + "/" + entry.path
    guard let d = FileManager.default.contents(atPath: path), d.count == entry.bytes,
          d.count == config.numNodes(ofType: t) * 8 else {
      throw OutputError(.badInput, "\(path): missing or not \(config.numNodes(ofType: t)) int64 graph ids")
    }
    let graphOf = d.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }.map { Int64(littleEndian: $0) }
    var ranges: [(Int64, Int64, Int)] = []
    var base = 0
    for r in config.nodeMap[t] where r.count > 0 {
      ranges.append((r.start, r.end, base))
      base += r.count
    }
    let x = TypeIds(graphOf: graphOf, ranges: ranges.map { (start: $0.0, end: $0.1, base: $0.2) })
    types[t] = x
    return x
  }

  /// Node type `t`'s raw ids by graph id.
  public func rawIds(_ t: Int) throws -> RawIds {
    if let r = raws[t] { return r }
    let r = try RawIds.load(root: root, ntype: config.ntypes[t], count: config.numNodes(ofType: t))
    raws[t] = r
    return r
  }
}

/// One node type's raw ids indexed by graph id.
public struct RawIds: Sendable {
  public var ints: [Int64] = []
  public var offsets: [Int32] = []
  public var bytes: [UInt8] = []
  public var isString: Bool

  public var count: Int { isString ? offsets.count - 1 : ints.count }

  /// Appends the raw id of graph id `g` to `column` (int64 or string, as stored).
  public func append(_ g: Int64, to column: inout ColumnBuffer) throws {
    guard g >= 0 && Int(g) < count else { throw OutputError(.badInput, "graph id \(g) has no raw id (the mapping has \(count))") }
    if isString {
      column.append(string: bytes[Int(offsets[Int(g)])..<Int(offsets[Int(g) + 1])])
    } else {
      column.append(int: ints[Int(g)])
    }
  }

  /// Reads `<root>/raw_id_mappings/<ntype>/*.parquet` (`orig`, `new`); `count` graph ids
  /// expected, each exactly once.
  public static func load(root: String, ntype: String, count: Int) throws -> RawIds {
    let dir = root + "/raw_id_mappings/" + ntype
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
      throw OutputError(.badInput, "\(dir) does not exist: the graph has no raw id mapping for '\(ntype)' (use --keep-integer-ids to write graph ids)")
    }
    let files = names.filter { $0.hasSuffix(".parquet") }.sorted().map { dir + "/" + $0 }
    guard !files.isEmpty else { throw OutputError(.badInput, "\(dir) holds no parquet file") }
    var out: RawIds?
    var seen = [Bool](repeating: false, count: count)
    var strings: [[UInt8]] = []
    for f in files {
      let cols: [ColumnData]
      do { cols = try ParquetFile.open(f).readAll(columns: ["orig", "new"]) } catch {
        throw OutputError(.badInput, "\(f): \(error)")
      }
      guard case .int64(let new) = cols[1].values else { throw OutputError(.badInput, "\(f): column 'new' is not int64") }
      switch cols[0].values {
      case .int64(let v):
        if out == nil { out = RawIds(ints: [Int64](repeating: 0, count: count), isString: false) }
        guard out!.isString == false else { throw OutputError(.badInput, "\(f): 'orig' is int64, other files of \(dir) hold strings") }
        for (k, g) in new.enumerated() {
          guard g >= 0 && Int(g) < count, !seen[Int(g)] else { throw OutputError(.badInput, "\(f) row \(k): graph id \(g) is outside 0..<\(count) or repeated") }
          seen[Int(g)] = true
          out!.ints[Int(g)] = v[k]
        }
      case .int32(let v):
        if out == nil { out = RawIds(ints: [Int64](repeating: 0, count: count), isString: false) }
        for (k, g) in new.enumerated() {
          guard g >= 0 && Int(g) < count, !seen[Int(g)] else { throw OutputError(.badInput, "\(f) row \(k): graph id \(g) is outside 0..<\(count) or repeated") }
          seen[Int(g)] = true
          out!.ints[Int(g)] = Int64(v[k])
        }
      case .string(let o, let b):
        if out == nil { out = RawIds(isString: true); strings = [[UInt8]](repeating: [], count: count) }
        guard out!.isString else { throw OutputError(.badInput, "\(f): 'orig' holds strings, other files of \(dir) int64") }
        for (k, g) in new.enumerated() {
          guard g >= 0 && Int(g) < count, !seen[Int(g)] else { throw OutputError(.badInput, "\(f) row \(k): graph id \(g) is outside 0..<\(count) or repeated") }
          seen[Int(g)] = true
          strings[Int(g)] = Array(b[Int(o[k])..<Int(o[k + 1])])
        }
      default:
        throw OutputError(.badInput, "\(f): column 'orig' must be int64 or string")
      }
    }
    if let missing = seen.firstIndex(of: false) {
      throw OutputError(.badInput, "\(dir): graph id \(missing) has no row (expected \(count) nodes)")
    }
    var r = out ?? RawIds(isString: false)
    if r.isString {
      r.offsets.reserveCapacity(count + 1)
      r.offsets.append(0)
      for s in strings { r.bytes += s; r.offsets.append(Int32(r.bytes.count)) }
    }
    return r
  }
}
