// Graph service messages: partition metadata, neighbour sampling, features, labels and masks.
// Ids are global ids (Int64); type ids index the partition's node/edge type lists.

/// partitionInfo (0x8010), the reply to partitionInfoRequest (0x0010, empty payload):
/// `u32 partitionID` · `u32 numPartitions` · `[string] nodeTypes` · `[string] edgeTypes` ·
/// `[i32] edgeSrcTypes` · `[i32] edgeDstTypes` (one per edge type: node type ids) ·
/// `[i64] nodeRanges` (2 per node type: this partition's global ids `start, end`, half-open) ·
/// `[i64] edgeRanges` (2 per edge type, likewise).
public struct PartitionInfo: PayloadCodable {
  public var partitionID: UInt32
  public var numPartitions: UInt32
  public var nodeTypes: [String]
  public var edgeTypes: [String]
  public var edgeSrcTypes: [Int32]
  public var edgeDstTypes: [Int32]
  public var nodeRanges: [Int64]
  public var edgeRanges: [Int64]

  public init(partitionID: UInt32, numPartitions: UInt32, nodeTypes: [String],
              edgeTypes: [String], edgeSrcTypes: [Int32], edgeDstTypes: [Int32],
              nodeRanges: [Int64], edgeRanges: [Int64]) {
    self.partitionID = partitionID
    self.numPartitions = numPartitions
    self.nodeTypes = nodeTypes
    self.edgeTypes = edgeTypes
    self.edgeSrcTypes = edgeSrcTypes
    self.edgeDstTypes = edgeDstTypes
    self.nodeRanges = nodeRanges
    self.edgeRanges = edgeRanges
  }

  public func encode(into w: inout WireWriter) {
    w.write(partitionID)
    w.write(numPartitions)
    w.write(nodeTypes)
    w.write(edgeTypes)
    w.write(edgeSrcTypes)
    w.write(edgeDstTypes)
    w.write(nodeRanges)
    w.write(edgeRanges)
  }

  public init(from r: inout WireReader) throws {
    partitionID = try r.readUInt32("partition id")
    numPartitions = try r.readUInt32("partition count")
    nodeTypes = try r.readStrings("node types")
    edgeTypes = try r.readStrings("edge types")
    edgeSrcTypes = try r.readInt32s("edge source types")
    edgeDstTypes = try r.readInt32s("edge destination types")
    nodeRanges = try r.readInt64s("node ranges")
    edgeRanges = try r.readInt64s("edge ranges")
    let e = edgeTypes.count
    guard edgeSrcTypes.count == e, edgeDstTypes.count == e, edgeRanges.count == 2 * e,
          nodeRanges.count == 2 * nodeTypes.count
    else {
      throw ProtoError(.malformed, "partition info: \(nodeTypes.count) node types with "
        + "\(nodeRanges.count) range bounds; \(e) edge types with \(edgeSrcTypes.count) source "
        + "types, \(edgeDstTypes.count) destination types, \(edgeRanges.count) range bounds")
    }
  }

  public var estimatedSize: Int {
    8 + stringsSize(nodeTypes) + stringsSize(edgeTypes) + 16 + 4 * 2 * edgeTypes.count
      + 8 * (nodeRanges.count + edgeRanges.count)
  }
}

/// One edge type to sample and how many in-neighbours per seed (`-1` = all of them).
public struct Fanout: Equatable, Sendable {
  public var edgeType: Int32
  public var fanout: Int32
  public init(edgeType: Int32, fanout: Int32) {
    self.edgeType = edgeType
    self.fanout = fanout
  }
}

/// sampleNeighbors (0x0011): `[i64] seeds` · `u32 n` + n × (`i32 edgeType`, `i32 fanout`) ·
/// `string? maskField` (sample only edges whose mask is 1) · `[i64] excludedEdges` (edge ids never
/// returned) · `u64 seed`. A fanout below -1 is malformed.
public struct SampleNeighborsRequest: PayloadCodable {
  public var seeds: [Int64]
  public var fanouts: [Fanout]
  public var maskField: String?
  public var excludedEdges: [Int64]
  public var seed: UInt64

  public init(seeds: [Int64], fanouts: [Fanout], maskField: String? = nil,
              excludedEdges: [Int64] = [], seed: UInt64) {
    self.seeds = seeds
    self.fanouts = fanouts
    self.maskField = maskField
    self.excludedEdges = excludedEdges
    self.seed = seed
  }

  public func encode(into w: inout WireWriter) {
    w.write(seeds)
    w.writeCount(fanouts.count)
    for f in fanouts {
      w.write(f.edgeType)
      w.write(f.fanout)
    }
    w.write(maskField)
    w.write(excludedEdges)
    w.write(seed)
  }

  public init(from r: inout WireReader) throws {
    seeds = try r.readInt64s("seeds")
    let n = try r.readCount(minimumElementSize: 8, "fanouts")
    var fanouts: [Fanout] = []
    fanouts.reserveCapacity(n)
    for i in 0..<n {
      let f = Fanout(edgeType: try r.readInt32("edge type"), fanout: try r.readInt32("fanout"))
      if f.fanout < -1 {
        throw ProtoError(.malformed, "fanouts[\(i)] = \(f.fanout); use -1 for all neighbours")
      }
      fanouts.append(f)
    }
    self.fanouts = fanouts
    maskField = try r.readOptionalString("mask field")
    excludedEdges = try r.readInt64s("excluded edges")
    seed = try r.readUInt64("seed")
  }

  public var estimatedSize: Int {
    21 + 8 * seeds.count + 8 * fanouts.count + (maskField?.utf8.count ?? 0)
      + 8 * excludedEdges.count
  }
}

/// The edges sampled for one edge type, as parallel arrays in global ids: edge k goes from
/// `src[k]` to the seed `dst[k]` and has id `edgeIDs[k]`.
public struct SampledEdges: PayloadCodable {
  public var edgeType: Int32
  public var dst: [Int64]
  public var src: [Int64]
  public var edgeIDs: [Int64]

  public init(edgeType: Int32, dst: [Int64], src: [Int64], edgeIDs: [Int64]) {
    precondition(dst.count == src.count && src.count == edgeIDs.count,
                 "dst, src and edge ids must have equal lengths")
    self.edgeType = edgeType
    self.dst = dst
    self.src = src
    self.edgeIDs = edgeIDs
  }

  /// `i32 edgeType` · `[i64] dst` · `[i64] src` · `[i64] edgeIDs` (equal lengths).
  public func encode(into w: inout WireWriter) {
    w.write(edgeType)
    w.write(dst)
    w.write(src)
    w.write(edgeIDs)
  }

  public init(from r: inout WireReader) throws {
    edgeType = try r.readInt32("edge type")
    dst = try r.readInt64s("dst")
    src = try r.readInt64s("src")
    edgeIDs = try r.readInt64s("edge ids")
    guard dst.count == src.count, src.count == edgeIDs.count else {
      throw ProtoError(.malformed, "edge type \(edgeType): \(dst.count) dst, \(src.count) src, "
        + "\(edgeIDs.count) edge ids; they must be equal")
    }
  }

  public var estimatedSize: Int { 16 + 24 * dst.count }
}

/// sampledNeighbors (0x8011): `u32 n` + n × SampledEdges, in the request's fanout order.
public struct SampleNeighborsReply: PayloadCodable {
  public var edges: [SampledEdges]
  public init(edges: [SampledEdges]) { self.edges = edges }
  public func encode(into w: inout WireWriter) { w.write(edges) }
  public init(from r: inout WireReader) throws {
    edges = try r.readList(SampledEdges.self, minimumSize: 16, "edge types")
  }
  public var estimatedSize: Int { edges.reduce(4) { $0 + $1.estimatedSize } }
}

/// pullNodeFeatures (0x0012): `i32 nodeType` · `[string] fields` · `[i64] ids`.
/// pullEdgeFeatures (0x0013) has the same layout with an edge type id and edge ids.
public struct PullFeatures: PayloadCodable {
  /// A node type id (pullNodeFeatures) or an edge type id (pullEdgeFeatures).
  public var typeID: Int32
  public var fields: [String]
  public var ids: [Int64]

  public init(typeID: Int32, fields: [String], ids: [Int64]) {
    self.typeID = typeID
    self.fields = fields
    self.ids = ids
  }

  public func encode(into w: inout WireWriter) {
    w.write(typeID)
    w.write(fields)
    w.write(ids)
  }

  public init(from r: inout WireReader) throws {
    typeID = try r.readInt32("type id")
    fields = try r.readStrings("fields")
    ids = try r.readInt64s("ids")
  }

  public var estimatedSize: Int { 8 + stringsSize(fields) + 8 * ids.count }
}

/// nodeFeatures (0x8012) / edgeFeatures (0x8013): `u32 n` + n × FloatRows, one per requested
/// field in request order, each with one row per requested id.
public struct FeatureRows: PayloadCodable {
  public var fields: [FloatRows]
  public init(fields: [FloatRows]) { self.fields = fields }
  public func encode(into w: inout WireWriter) { w.write(fields) }
  public init(from r: inout WireReader) throws {
    fields = try r.readList(FloatRows.self, minimumSize: 8, "fields")
  }
  public var estimatedSize: Int { fields.reduce(4) { $0 + $1.estimatedSize } }
}

/// pullLabelsMasks (0x0014): `[string] fields` · `[i64] ids` (node ids; the field names say
/// which node type's labels or masks).
public struct PullLabelsMasks: PayloadCodable {
  public var fields: [String]
  public var ids: [Int64]

  public init(fields: [String], ids: [Int64]) {
    self.fields = fields
    self.ids = ids
  }

  public func encode(into w: inout WireWriter) {
    w.write(fields)
    w.write(ids)
  }

  public init(from r: inout WireReader) throws {
    fields = try r.readStrings("fields")
    ids = try r.readInt64s("ids")
  }

  public var estimatedSize: Int { stringsSize(fields) + 4 + 8 * ids.count }
}

/// labelsMasks (0x8014): `u32 n` + n × Column, one per requested field in request order.
public struct LabelsMasks: PayloadCodable {
  public var columns: [Column]
  public init(columns: [Column]) { self.columns = columns }
  public func encode(into w: inout WireWriter) { w.write(columns) }
  public init(from r: inout WireReader) throws {
    columns = try r.readList(Column.self, minimumSize: 9, "columns")
  }
  public var estimatedSize: Int { columns.reduce(4) { $0 + $1.estimatedSize } }
}
