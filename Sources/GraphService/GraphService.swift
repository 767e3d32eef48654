import Dispatch
import Rand
import Graph
import Net
import Proto

/// How a graph server behaves beyond its partition.
public struct ServiceOptions: Sendable {
  /// This server's index among the servers of its partition (`--server-id`). Server 0 owns the
  /// partition's learnable embeddings; the others answer embedding requests with `unsupported`
  /// (clients send all embedding traffic of partition p to server 0 of p).
  public var serverID: Int
  /// Width of the learnable embeddings (0: the server keeps none).
  public var embeddingDim: Int
  /// Embeddings for every node type, not only the featureless ones.
  public var embedAllTypes: Bool
  /// The job seed the embeddings are initialised from (nil: the partition config's seed).
  public var seed: UInt64?
  /// Requests executed at once (the rest wait); connections are still one thread each.
  public var threads: Int

  public init(serverID: Int = 0, embeddingDim: Int = 0, embedAllTypes: Bool = false,
              seed: UInt64? = nil, threads: Int = 1) {
    self.serverID = serverID
    self.embeddingDim = embeddingDim
    self.embedAllTypes = embedAllTypes
    self.seed = seed
    self.threads = max(1, threads)
  }
}

/// The server logic of one partition, independent of sockets: `handle` answers one decoded
/// request (Net's `Server` calls it on each connection's thread). Every id and name in a request
/// is checked; a bad one is an `ErrorReply` naming it (`unknownID`, `unknownName`), after which
/// the server carries on.
public final class GraphService: @unchecked Sendable {
  public let partition: Partition
  public let options: ServiceOptions
  let config: PartitionConfig
  let nodes: PartitionBook
  /// `[ntype]`: the embedding table of that type (server 0 only), nil when it has none.
  let embeddings: [EmbeddingTable?]
  private let gate: DispatchSemaphore
  private let shutdownLock = DispatchSemaphore(value: 1)
  private var shutdownFlag = false

  public init(partition: Partition, options: ServiceOptions = ServiceOptions()) {
    self.partition = partition
    self.options = options
    config = partition.config
    nodes = PartitionBook.nodes(partition.config)
    gate = DispatchSemaphore(value: options.threads)
    let seed = options.seed ?? partition.config.seed
    embeddings = partition.config.ntypes.indices.map { t in
      let featureless = !partition.config.nodeFields[t].contains { $0.kind == .feature }
      guard options.serverID == 0, options.embeddingDim > 0, featureless || options.embedAllTypes
      else { return nil }
      return EmbeddingTable(ntype: t, range: partition.nodeRange(t), dim: options.embeddingDim,
                            seed: seed)
    }
  }

  /// Node type ids that have learnable embeddings on this server.
  public var embeddedTypes: [Int] { embeddings.indices.filter { embeddings[$0] != nil } }

  /// True once a shutdown request has been answered.
  public var shutdownRequested: Bool {
    shutdownLock.wait()
    defer { shutdownLock.signal() }
    return shutdownFlag
  }

  /// The initial embedding row of a node: `Rand.EmbeddingInit` (U(−1, 1) from (job seed, node
  /// type, global id)), the rule the trainer's in-process tables use too.
  public static func initialEmbedding(seed: UInt64, ntype: Int, globalID: Int64, dim: Int) -> [Float] {
    EmbeddingInit.row(jobSeed: seed, ntype: ntype, globalID: globalID, dim: dim)
  }

  /// Answers one request (at most `options.threads` at a time).
  public func handle(_ request: Request) throws -> Reply {
    gate.wait()
    defer { gate.signal() }
    switch request.message {
    case .partitionInfoRequest: return .message(.partitionInfo(partitionInfo()))
    case .sampleNeighbors(let r): return .message(.sampledNeighbors(try sample(r)))
    case .pullNodeFeatures(let r): return try nodeFeatures(r)
    case .pullEdgeFeatures(let r): return try edgeFeatures(r)
    case .pullLabelsMasks(let r): return try labelsMasks(r)
    case .pullEmbeddings(let r): return try pullEmbeddings(r)
    case .pushEmbeddingGradients(let r): return .message(.embeddingGradientsApplied(try push(r)))
    case .dumpEmbeddings(let r):
      let rows = try table(r.nodeType).dump(to: try checkedPath(r.path))
      return .message(.embeddingsDumped(RowCount(rows: UInt64(rows))))
    case .loadEmbeddings(let r):
      let rows = try table(r.nodeType).load(from: try checkedPath(r.path))
      return .message(.embeddingsLoaded(RowCount(rows: UInt64(rows))))
    case .dumpEmbeddingOptimizer(let r):
      let rows = try table(r.nodeType).dumpOptimizer(to: try checkedPath(r.path))
      return .message(.embeddingOptimizerDumped(RowCount(rows: UInt64(rows))))
    case .loadEmbeddingOptimizer(let r):
      let rows = try table(r.nodeType).loadOptimizer(from: try checkedPath(r.path))
      return .message(.embeddingOptimizerLoaded(RowCount(rows: UInt64(rows))))
    case .heartbeat(let h): return .message(.heartbeatReply(h))
    case .shutdown:
      shutdownLock.wait()
      shutdownFlag = true
      shutdownLock.signal()
      return .message(.shutdownAck)
    default:
      throw fail(.badRequest, "\(request.message.kind) is not a request a graph server answers")
    }
  }

  // MARK: checks

  func fail(_ code: ErrorCode, _ message: String) -> ErrorReply {
    ErrorReply(code: code, message: "partition \(partition.partId) server \(options.serverID): \(message)",
               requestID: 0)
  }

  func checkedNodeType(_ t: Int32) throws -> Int {
    guard t >= 0 && Int(t) < config.ntypes.count else {
      throw fail(.unknownName, "node type id \(t) does not exist (the graph has \(config.ntypes.count): \(config.ntypes.joined(separator: ", ")))")
    }
    return Int(t)
  }

  func checkedEdgeType(_ e: Int32) throws -> Int {
    guard e >= 0 && Int(e) < config.etypes.count else {
      throw fail(.unknownName, "edge type id \(e) does not exist (the graph has \(config.etypes.count))")
    }
    return Int(e)
  }

  /// Offsets in this partition's range of `range` for `ids`, or an error naming the first id
  /// outside it (and where it does belong).
  func offsets(_ ids: [Int64], in range: PartitionConfig.IdRange, what: String,
               book: PartitionBook? = nil) throws -> [Int] {
    var out = [Int](repeating: 0, count: ids.count)
    for (i, id) in ids.enumerated() {
      guard range.contains(id) else {
        var whereItIs = ""
        if let book, let o = book.owner(of: id) { whereItIs = ", it belongs to partition \(o.part)" }
        else if book != nil { whereItIs = ", no such node" }
        throw fail(.unknownID, "ids[\(i)] = \(id) is not a \(what) of this partition (ids \(range.start)..<\(range.end)\(whereItIs))")
      }
      out[i] = Int(id - range.start)
    }
    return out
  }

  func table(_ t: Int32) throws -> EmbeddingTable {
    guard options.serverID == 0 else {
      throw fail(.unsupported, "embeddings of partition \(partition.partId) are served by its server 0; send embedding requests there")
    }
    let t = try checkedNodeType(t)
    guard let table = embeddings[t] else {
      throw fail(.unknownName, "node type \(config.ntypes[t]) has no learnable embeddings on this server"
        + (options.embeddingDim == 0 ? " (started without --embed-dim)" : " (it has features; start with --embed-all-types)"))
    }
    return table
  }

  func checkedPath(_ path: String) throws -> String {
    guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
      throw fail(.badRequest, "embedding file path '\(path)' must be absolute, without '..'")
    }
    return path
  }

  // MARK: requests

  func partitionInfo() -> PartitionInfo {
    let p = partition.partId
    return PartitionInfo(
      partitionID: UInt32(p), numPartitions: UInt32(config.numParts), nodeTypes: config.ntypes,
      edgeTypes: config.etypes.map(\.key),
      edgeSrcTypes: config.etypes.map { Int32(config.ntypeId($0.src)!) },
      edgeDstTypes: config.etypes.map { Int32(config.ntypeId($0.dst)!) },
      nodeRanges: config.nodeMap.flatMap { [$0[p].start, $0[p].end] },
      edgeRanges: config.edgeMap.flatMap { [$0[p].start, $0[p].end] })
  }

  func sample(_ r: SampleNeighborsRequest) throws -> SampleNeighborsReply {
    // Names and types first, then ids.
    let etypes = try r.fanouts.map { try checkedEdgeType($0.edgeType) }
    if let mask = r.maskField {
      for e in etypes where r.fanouts[etypes.firstIndex(of: e)!].fanout != 0 {
        guard let f = partition.edgeField(e, mask), f.info.dtype == .u8, f.info.width == 1 else {
          throw fail(.unknownName, "edge type \(config.etypes[e]) has no u8 mask field '\(mask)'")
        }
      }
    }
    var types = [Int32](repeating: -1, count: r.seeds.count)
    for (i, s) in r.seeds.enumerated() {
      guard let o = nodes.owner(of: s), o.part == partition.partId else {
        let whereItIs = nodes.owner(of: s).map { "it belongs to partition \($0.part)" } ?? "no such node"
        throw fail(.unknownID, "seeds[\(i)] = \(s) is not a node of this partition (\(whereItIs))")
      }
      types[i] = Int32(o.type)
    }
    let excluded = r.excludedEdges.sorted()
    var out: [WireSampledEdges] = []
    out.reserveCapacity(etypes.count)
    for (k, e) in etypes.enumerated() {
      let fanout = Int(r.fanouts[k].fanout)
      let dt = Int32(config.ntypeId(config.etypes[e].dst)!)
      if fanout == 0 {
        out.append(WireSampledEdges(edgeType: Int32(e), dst: [], src: [], edgeIDs: []))
        continue
      }
      var seeds: [Int64] = []
      seeds.reserveCapacity(r.seeds.count)
      for (i, s) in r.seeds.enumerated() where types[i] == dt { seeds.append(s) }
      let got: Graph.SampledEdges
      do {
        got = try partition.sampleInNeighbors(seeds: seeds, etype: e, fanout: fanout,
                                              maskField: r.maskField, excluded: excluded, seed: r.seed)
      } catch let g as GraphError {
        throw fail(.badRequest, g.message)
      }
      out.append(WireSampledEdges(edgeType: Int32(e), dst: got.dst, src: got.src, edgeIDs: got.eid))
    }
    return SampleNeighborsReply(edges: out)
  }

  /// Replies whose rows are at least this many bytes are sent from the mapped rows themselves
  /// (f32 fields; `Reply.segments`), smaller ones are gathered into one frame.
  static let segmentedReplyBytes = 64 << 10

  /// `u32 n` + per field `u32 width` · `u32 count` · rows. Large replies of f32 fields go out as
  /// pieces pointing into the mapped partition (one per run of adjacent rows), packed into the
  /// connection's staging buffer chunk by chunk as they are sent; others are gathered straight
  /// into the frame.
  private func floatRowsFrame(kind: MessageKind, fields: [(FieldInfo, UnsafeRawBufferPointer)],
                              rows: [Int]) -> Reply {
    let total = fields.reduce(4) { $0 + 8 + 4 * rows.count * $1.0.width }
    if total >= GraphService.segmentedReplyBytes, fields.allSatisfy({ $0.0.dtype == .f32 && $0.1.baseAddress != nil }) {
      let segments = IOSegments.frame(capacity: fields.count * (rows.count + 1) + 1)
      segments.keepAlive = [partition]
      var head = UInt32(fields.count).littleEndian
      segments.appendScratch(byteCount: 4).copyMemory(from: &head, byteCount: 4)
      for (info, data) in fields {
        var counts = (UInt32(info.width).littleEndian, UInt32(rows.count * info.width).littleEndian)
        segments.appendScratch(byteCount: 8).copyMemory(from: &counts, byteCount: 8)
        rows.withUnsafeBufferPointer {
          segments.appendRows(base: UnsafeMutableRawPointer(mutating: data.baseAddress!), rowBytes: 4 * info.width, positions: $0)
        }
      }
      return .segments(kind: kind, segments)
    }
    var w = WireWriter.frame(reservingPayload: total)
    w.writeCount(fields.count)
    for (info, data) in fields {
      w.write(UInt32(info.width))
      w.writeCount(rows.count * info.width)
      w.append(count: 4 * rows.count * info.width) { out in
        Partition.gatherFloatRows(info, data, rows: rows,
                                  into: out.baseAddress!.assumingMemoryBound(to: Float.self))
      }
    }
    return withExtendedLifetime(partition) { .frame(kind: kind, bytes: w.take()) }
  }

  func nodeFeatures(_ r: PullFeatures) throws -> Reply {
    let t = try checkedNodeType(r.typeID)
    let fields = try r.fields.map { name -> (FieldInfo, UnsafeRawBufferPointer) in
      guard let f = partition.nodeField(t, name) else {
        throw fail(.unknownName, "node type \(config.ntypes[t]) has no field '\(name)' (it has: \(config.nodeFields[t].map(\.name).joined(separator: ", ")))")
      }
      return (f.info, f.data)
    }
    let rows = try offsets(r.ids, in: partition.nodeRange(t), what: "\(config.ntypes[t]) node", book: nodes)
    return floatRowsFrame(kind: .nodeFeatures, fields: fields, rows: rows)
  }

  func edgeFeatures(_ r: PullFeatures) throws -> Reply {
    let e = try checkedEdgeType(r.typeID)
    let fields = try r.fields.map { name -> (FieldInfo, UnsafeRawBufferPointer) in
      guard let f = partition.edgeField(e, name) else {
        throw fail(.unknownName, "edge type \(config.etypes[e]) has no field '\(name)' (it has: \(config.edgeFields[e].map(\.name).joined(separator: ", ")))")
      }
      return (f.info, f.data)
    }
    let rows = try offsets(r.ids, in: partition.edgeRange(e), what: "\(config.etypes[e]) edge")
    return floatRowsFrame(kind: .edgeFeatures, fields: fields, rows: rows)
  }

  func labelsMasks(_ r: PullLabelsMasks) throws -> Reply {
    // The node type is the one of the ids (all of one type); with no ids, the first type that
    // has the first field.
    var t: Int
    if let first = r.ids.first {
      guard let o = nodes.owner(of: first), o.part == partition.partId else {
        throw fail(.unknownID, "ids[0] = \(first) is not a node of this partition")
      }
      t = o.type
    } else {
      guard let name = r.fields.first, let any = config.ntypes.indices.first(where: { config.nodeField($0, name) != nil }) else {
        return .message(.labelsMasks(LabelsMasks(columns: [])))
      }
      t = any
    }
    let rows = try offsets(r.ids, in: partition.nodeRange(t), what: "\(config.ntypes[t]) node", book: nodes)
    var columns: [Column] = []
    for name in r.fields {
      guard let f = partition.nodeField(t, name) else {
        throw fail(.unknownName, "node type \(config.ntypes[t]) has no field '\(name)'")
      }
      let w = f.info.width, n = rows.count * w
      switch Partition.columnType(f.info.dtype) {
      case .float32:
        var v = [Float](repeating: 0, count: n)
        v.withUnsafeMutableBytes { Partition.gatherColumnRows(f.info, f.data, rows: rows, into: $0.baseAddress!) }
        columns.append(.float32(width: w, values: v))
      case .int64:
        var v = [Int64](repeating: 0, count: n)
        v.withUnsafeMutableBytes { Partition.gatherColumnRows(f.info, f.data, rows: rows, into: $0.baseAddress!) }
        columns.append(.int64(width: w, values: v))
      case .uint8:
        var v = [UInt8](repeating: 0, count: n)
        v.withUnsafeMutableBytes { Partition.gatherColumnRows(f.info, f.data, rows: rows, into: $0.baseAddress!) }
        columns.append(.uint8(width: w, values: v))
      }
    }
    return withExtendedLifetime(partition) { .message(.labelsMasks(LabelsMasks(columns: columns))) }
  }

  func pullEmbeddings(_ r: PullEmbeddings) throws -> Reply {
    let table = try table(r.nodeType)
    let rows = try offsets(r.ids, in: table.range, what: "\(config.ntypes[table.ntype]) node", book: nodes)
    var w = WireWriter.frame(reservingPayload: 8 + 4 * rows.count * table.dim)
    w.write(UInt32(table.dim))
    w.writeCount(rows.count * table.dim)
    w.append(count: 4 * rows.count * table.dim) { out in
      table.gather(rows, into: out.baseAddress!.assumingMemoryBound(to: Float.self))
    }
    return .frame(kind: .embeddings, bytes: w.take())
  }

  func push(_ r: PushEmbeddingGradients) throws -> RowCount {
    let table = try table(r.nodeType)
    guard r.gradients.width == table.dim || r.ids.isEmpty else {
      throw fail(.badRequest, "gradient rows are \(r.gradients.width) wide; \(config.ntypes[table.ntype]) embeddings are \(table.dim)")
    }
    guard r.learningRate.isFinite && r.learningRate >= 0 else {
      throw fail(.badRequest, "learning rate \(r.learningRate) is not a finite non-negative number")
    }
    let rows = try offsets(r.ids, in: table.range, what: "\(config.ntypes[table.ntype]) node", book: nodes)
    if rows.isEmpty { return RowCount(rows: 0) }
    return RowCount(rows: UInt64(table.apply(rows, grads: r.gradients.values, lr: r.learningRate)))
  }
}
