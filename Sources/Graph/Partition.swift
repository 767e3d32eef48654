/// One partition of a constructed graph, memory-mapped read-only and verified against the
/// config's sizes and crc32s. What a graph server serves, and what a trainer on the same host
/// reads directly. Buffers it hands out stay valid while the `Partition` is alive (keep it
/// alive with `withExtendedLifetime` where the last use is a buffer, not the partition).
public final class Partition: @unchecked Sendable {
  public let config: PartitionConfig
  public let partId: Int
  public let folder: String
  private var files: [String: MappedFile] = [:]

  /// Maps every file of partition `partId` of the graph whose config is at `configPath`.
  public init(configPath: String, partId: Int, verify: Bool = true) throws {
    let config = try PartitionConfig.load(path: configPath)
    guard partId >= 0 && partId < config.numParts else {
      throw GraphError(.invalidArgument, "partition \(partId) does not exist (the graph has \(config.numParts))", path: configPath)
    }
    self.config = config
    self.partId = partId
    let slash = configPath.lastIndex(of: "/")
    folder = slash.map { String(configPath[..<$0]) } ?? "."
    for (name, entry) in config.partFiles[partId] {
      files[name] = try MappedFile(path: folder + "/" + entry.path, expectedBytes: entry.bytes,
                                   crc32: entry.crc32, verify: verify)
    }
    // Every array the config promises must be present and of the right size.
    for (e, et) in config.etypes.enumerated() {
      guard let dt = config.ntypeId(et.dst) else {
        throw GraphError(.badConfig, "edge type \(et) names an unknown node type", path: configPath)
      }
      let indptr = try file(PartitionConfig.indptrName(etype: e)).typed(Int64.self)
      guard indptr.count == config.nodeMap[dt][partId].count + 1,
            Int(indptr.last ?? -1) == config.edgeMap[e][partId].count else {
        throw GraphError(.corrupt, "in-edge CSR of \(et) does not match node_map/edge_map", path: folder)
      }
      _ = try file(PartitionConfig.srcName(etype: e))
      for f in config.edgeFields[e] {
        try checkRows(PartitionConfig.edgeFieldName(etype: e, field: f.name), f, rows: config.edgeMap[e][partId].count)
      }
    }
    for (t, name) in config.ntypes.enumerated() {
      for f in config.nodeFields[t] {
        try checkRows(PartitionConfig.nodeFieldName(ntype: name, field: f.name), f, rows: config.nodeMap[t][partId].count)
      }
    }
  }

  private func checkRows(_ name: String, _ f: FieldInfo, rows: Int) throws {
    let m = try file(name)
    guard m.count == rows * f.width * f.dtype.size else {
      throw GraphError(.corrupt, "\(m.count) bytes, expected \(rows) rows × \(f.width) × \(f.dtype.size)", path: m.path)
    }
  }

  private func file(_ name: String) throws -> MappedFile {
    guard let f = files[name] else {
      throw GraphError(.corrupt, "partition \(partId) has no file for '\(name)'", path: folder)
    }
    return f
  }

  /// Global id range of node type `t` in this partition.
  public func nodeRange(_ t: Int) -> PartitionConfig.IdRange { config.nodeMap[t][partId] }
  public func edgeRange(_ e: Int) -> PartitionConfig.IdRange { config.edgeMap[e][partId] }

  /// In-edge CSR of edge type `e` over this partition's destination nodes (of type `e.dst`):
  /// destination `d` (offset in `nodeRange(dst)`) owns edges `indptr[d] ..< indptr[d + 1]`;
  /// `src` holds global source ids; edge `k` of the partition has global id
  /// `edgeRange(e).start + k`.
  public func inCSR(_ e: Int) -> (indptr: UnsafeBufferPointer<Int64>, src: UnsafeBufferPointer<Int64>) {
    (files[PartitionConfig.indptrName(etype: e)]!.typed(Int64.self),
     files[PartitionConfig.srcName(etype: e)]!.typed(Int64.self))
  }

  /// Raw rows of a node field (`nodeRange(t).count × width` elements of its dtype).
  public func nodeField(_ t: Int, _ name: String) -> (info: FieldInfo, data: UnsafeRawBufferPointer)? {
    guard let info = config.nodeField(t, name),
          let f = files[PartitionConfig.nodeFieldName(ntype: config.ntypes[t], field: name)] else { return nil }
    return (info, f.bytes)
  }

  /// Raw rows of an edge field, in this partition's CSR edge order.
  public func edgeField(_ e: Int, _ name: String) -> (info: FieldInfo, data: UnsafeRawBufferPointer)? {
    guard let info = config.edgeField(e, name),
          let f = files[PartitionConfig.edgeFieldName(etype: e, field: name)] else { return nil }
    return (info, f.bytes)
  }
}
