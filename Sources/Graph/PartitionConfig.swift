import Foundation

/// The partition config `<graph>.json`: everything a server or trainer needs to find and check
/// the arrays of every partition. DGL's keys where they exist (`graph_name`, `num_parts`,
/// `part_method`, `halo_hops`, `num_nodes`, `num_edges`, `ntypes`, `etypes`, `node_map`,
/// `edge_map`, `part-<i>`); Gust's own under `"gust"`.
///
/// Id spaces (docs/ARCHITECTURE.md has the picture):
/// - raw id (the user's) → graph id: per node type, order of first appearance (saved in
///   `raw_id_mappings/<ntype>/part-00000.parquet`, columns `orig`, `new`);
/// - graph id → global id: after partitioning, nodes are renumbered so that each (partition,
///   node type) is one contiguous range, partition-major then type order: `node_map[t][p]`.
///   `node_mapping/<t>.i64` lists, per node type in global order, each node's graph id.
/// Edges are owned by their destination's partition and numbered the same way (`edge_map`),
/// in the order of that partition's in-edge CSR; `edge_mapping/<e>.i64` gives each edge's
/// position in the input tables.
public struct PartitionConfig: Equatable, Sendable {
  public struct IdRange: Equatable, Sendable {
    public var start: Int64
    public var end: Int64
    public init(_ start: Int64, _ end: Int64) { self.start = start; self.end = end }
    public var count: Int { Int(end - start) }
    public func contains(_ id: Int64) -> Bool { id >= start && id < end }
  }

  public struct FileEntry: Equatable, Sendable {
    /// Path relative to the config's folder.
    public var path: String
    public var bytes: Int
    public var crc32: UInt32
    public init(path: String, bytes: Int, crc32: UInt32) {
      self.path = path
      self.bytes = bytes
      self.crc32 = crc32
    }
  }

  public static let formatVersion = 1

  public var graphName: String
  public var numParts: Int
  public var partMethod: String
  public var ntypes: [String]
  public var etypes: [EdgeType]
  /// `[ntype][partition]` global node id ranges.
  public var nodeMap: [[IdRange]]
  /// `[etype][partition]` global edge id ranges.
  public var edgeMap: [[IdRange]]
  /// Named arrays per node type / edge type.
  public var nodeFields: [[FieldInfo]]
  public var edgeFields: [[FieldInfo]]
  /// Per partition: logical name → file. Logical names: `graph/<etype id>/indptr`,
  /// `graph/<etype id>/src`, `node/<ntype>/<field>`, `edge/<etype id>/<field>`.
  public var partFiles: [[String: FileEntry]]
  /// Graph-level files: `node_mapping/<ntype>`, `edge_mapping/<etype id>`.
  public var globalFiles: [String: FileEntry]
  /// The seed construction used (splits, partitioning).
  public var seed: UInt64

  public init(graphName: String, numParts: Int, partMethod: String, ntypes: [String],
              etypes: [EdgeType], nodeMap: [[IdRange]], edgeMap: [[IdRange]],
              nodeFields: [[FieldInfo]], edgeFields: [[FieldInfo]],
              partFiles: [[String: FileEntry]], globalFiles: [String: FileEntry], seed: UInt64) {
    self.graphName = graphName
    self.numParts = numParts
    self.partMethod = partMethod
    self.ntypes = ntypes
    self.etypes = etypes
    self.nodeMap = nodeMap
    self.edgeMap = edgeMap
    self.nodeFields = nodeFields
    self.edgeFields = edgeFields
    self.partFiles = partFiles
    self.globalFiles = globalFiles
    self.seed = seed
  }

  public var numNodes: Int64 { nodeMap.reduce(0) { $0 + $1.reduce(0) { $0 + Int64($1.count) } } }
  public var numEdges: Int64 { edgeMap.reduce(0) { $0 + $1.reduce(0) { $0 + Int64($1.count) } } }

  public func ntypeId(_ name: String) -> Int? { ntypes.firstIndex(of: name) }
  public func etypeId(_ e: EdgeType) -> Int? { etypes.firstIndex(of: e) }
  public func numNodes(ofType t: Int) -> Int { nodeMap[t].reduce(0) { $0 + $1.count } }
  public func numEdges(ofType e: Int) -> Int { edgeMap[e].reduce(0) { $0 + $1.count } }

  public func nodeField(_ t: Int, _ name: String) -> FieldInfo? { nodeFields[t].first { $0.name == name } }
  public func edgeField(_ e: Int, _ name: String) -> FieldInfo? { edgeFields[e].first { $0.name == name } }

  // MARK: Logical file names

  public static func indptrName(etype e: Int) -> String { "graph/\(e)/indptr" }
  public static func srcName(etype e: Int) -> String { "graph/\(e)/src" }
  public static func nodeFieldName(ntype: String, field: String) -> String { "node/\(ntype)/\(field)" }
  public static func edgeFieldName(etype e: Int, field: String) -> String { "edge/\(e)/\(field)" }
  public static func nodeMappingName(ntype: String) -> String { "node_mapping/\(ntype)" }
  public static func edgeMappingName(etype e: Int) -> String { "edge_mapping/\(e)" }
}
