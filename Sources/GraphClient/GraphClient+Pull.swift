import Graph
import Net
import Proto

/// Rows of floats: `rows × width`, row-major.
public struct FloatMatrix: Equatable, Sendable {
  public var rows: Int
  public var width: Int
  public var values: [Float]
  public init(rows: Int, width: Int, values: [Float]) {
    precondition(values.count == rows * width)
    self.rows = rows
    self.width = width
    self.values = values
  }
}

extension GraphClient {
  // MARK: features

  /// Rows of node fields (any dtype, as Float) for `ids` (all of node type `ntype`), one matrix
  /// per field, row i for `ids[i]`.
  public func pullNodeFeatures(ntype: Int, fields: [String], ids: [Int64]) throws -> [FloatMatrix] {
    try checkNodeType(ntype)
    return try pullFeatures(node: true, type: ntype, fields: fields, ids: ids, split: splitNodes(ids, type: ntype))
  }

  public func pullNodeFeatures(ntype: Int, field: String, ids: [Int64]) throws -> FloatMatrix {
    try pullNodeFeatures(ntype: ntype, fields: [field], ids: ids)[0]
  }

  /// Rows of edge fields for edge ids of type `etype`.
  public func pullEdgeFeatures(etype: Int, fields: [String], ids: [Int64]) throws -> [FloatMatrix] {
    try checkEdgeType(etype)
    return try pullFeatures(node: false, type: etype, fields: fields, ids: ids, split: splitEdges(ids, type: etype))
  }

  /// The node or edge feature pull: widths from the config when there is one (so replies are
  /// read straight into the result), the request per partition, and the local partition's rows
  /// gathered from its mapped fields.
  private func pullFeatures(node: Bool, type: Int, fields: [String], ids: [Int64], split: Split) throws -> [FloatMatrix] {
    let widths = try fields.map { name -> Int? in
      guard let config else { return nil }
      guard let f = node ? config.nodeField(type, name) : config.edgeField(type, name) else {
        let typeName = node ? "node type \(layout.ntypes[type])" : "edge type \(layout.etypes[type])"
        throw GraphClientError(.invalidArgument, "\(typeName) has no field '\(name)'")
      }
      return f.width
    }
    return try pullRows(split: split, count: ids.count, widths: widths,
                        kind: node ? .pullNodeFeatures : .pullEdgeFeatures) { _, ids in
      let body = PullFeatures(typeID: Int32(type), fields: fields, ids: ids)
      return node ? .pullNodeFeatures(body) : .pullEdgeFeatures(body)
    } local: { part, rows, positions, outs in
      let start = node ? part.nodeRange(type).start : part.edgeRange(type).start
      let offsets = rows.map { Int($0 - start) }
      for (k, name) in fields.enumerated() {
        let f = node ? part.nodeField(type, name)! : part.edgeField(type, name)!
        Partition.gatherFloatRows(f.info, f.data, rows: offsets, positions: positions, into: outs[k])
      }
    }
  }

  /// The shared fan-out/merge of row pulls. When the widths are known up front (a config), the
  /// result arrays are allocated first and every remote reply's rows are read from the socket
  /// straight into their rows of the result (readv into one piece per row, in the reply's
  /// order; `Connection.Scatter`), while the local part is gathered into them from the mapped
  /// partition: no payload array, no copy after the kernel's. Otherwise (widths learnt from
  /// the replies) rows are copied from each received payload to their rows of the result.
  func pullRows(split: Split, count: Int, widths: [Int?], kind: MessageKind, embeddings: Bool = false,
                request: (Int, [Int64]) -> Message,
                local: (Partition, [Int64], [Int], [UnsafeMutablePointer<Float>]) throws -> Void) throws -> [FloatMatrix] {
    let known = widths.compactMap { $0 }
    guard known.count == widths.count, count > 0 else {
      return try pullRowsCopying(split: split, count: count, widths: widths, kind: kind, embeddings: embeddings, request: request)
    }
    let replyKind = kind.replyKind!
    let fields = known.count
    let values = try GraphClient.uninitialisedArrays(known.map { count * $0 }) { outs in
      var requests: [Outgoing] = []
      var parts: [Int] = []
      var scratch: [[UnsafeMutableRawPointer]] = []  // per request, per field: the u32s before its rows
      let localPart = embeddings ? nil : self.localPart
      for p in 0..<layout.numParts where !split.ids[p].isEmpty && p != localPart {
        let rows = split.ids[p].count
        let segments = IOSegments(capacity: rows * fields + 2 * fields + 1)
        var heads: [UnsafeMutableRawPointer] = []
        for (j, width) in known.enumerated() {
          // nodeFeatures / edgeFeatures: u32 n + n × (u32 width, [f32]); embeddings: one FloatRows.
          let prefix = (j == 0 && replyKind != .embeddings) ? 12 : 8
          heads.append(segments.appendScratch(byteCount: prefix))
          let rowBytes = 4 * width
          split.positions[p].withUnsafeBufferPointer {
            segments.appendRows(base: UnsafeMutableRawPointer(outs[j]), rowBytes: rowBytes, positions: $0)
          }
        }
        requests.append(Outgoing(part: p, server: embeddings ? 0 : graphServer(p), message: request(p, split.ids[p]),
                                 scatter: Connection.Scatter(kind: replyKind, segments: segments)))
        parts.append(p)
        scratch.append(heads)
      }
      let replies = try exchangeAll(requests) {
        if let lp = localPart, !split.ids[lp].isEmpty {
          try local(self.local!, split.ids[lp], split.positions[lp], outs)
        }
      }
      for (k, reply) in replies.enumerated() {
        let p = parts[k], s = requests[k].server
        let server = "partition \(p) server \(s) at \(servers[p][s])"
        let rows = split.ids[p].count
        if reply.scattered {
          // The rows are in place; check the counts that came with them.
          for (j, width) in known.enumerated() {
            var at = scratch[k][j]
            if j == 0 && replyKind != .embeddings {
              let n = Int(UInt32(littleEndian: at.loadUnaligned(as: UInt32.self)))
              guard n == fields else {
                throw GraphClientError(.protocolError, "\(n) fields in the reply for \(fields) asked", server: server)
              }
              at += 4
            }
            let w = Int(UInt32(littleEndian: at.loadUnaligned(as: UInt32.self)))
            let values = Int(UInt32(littleEndian: at.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            guard w == width, values == rows * width else {
              throw GraphClientError(.protocolError, "field \(j): \(values) values of width \(w) for \(rows) ids of width \(width)", server: server)
            }
          }
          continue
        }
        // Another frame of the reply kind (not the size asked for): read it from its payload.
        try copyRows(reply.frame, kind: kind, rows: rows, widths: widths, positions: split.positions[p], server: server) { j, width, copy in
          copy(outs[j])
        }
      }
    }
    return zip(known, values).map { FloatMatrix(rows: count, width: $0, values: $1) }
  }

  /// Arrays of the given sizes, uninitialised, whose storage `body` fills through pointers
  /// (every element of each must be written).
  static func uninitialisedArrays(_ sizes: [Int], _ body: ([UnsafeMutablePointer<Float>]) throws -> Void) throws -> [[Float]] {
    var result: [[Float]] = []
    func nest(_ i: Int, _ pointers: [UnsafeMutablePointer<Float>]) throws {
      if i == sizes.count {
        try body(pointers)
        return
      }
      var inner: [[Float]] = []
      let a = try [Float](unsafeUninitializedCapacity: sizes[i]) { buf, n in
        // An empty array may have no storage: a pointer nothing is ever written through.
        let base = buf.baseAddress ?? UnsafeMutablePointer<Float>(bitPattern: MemoryLayout<Float>.alignment)!
        try nest(i + 1, pointers + [base])
        inner = result
        n = sizes[i]
      }
      result = [a] + inner
    }
    try nest(0, [])
    return result
  }

  /// Copies the rows of a feature or embedding reply payload to their positions: `destination`
  /// (field j, its width, the copy) runs the copy on field j's result storage.
  func copyRows(_ frame: Frame, kind: MessageKind, rows: Int, widths: [Int?], positions: [Int], server: String,
                destination: (Int, Int, (UnsafeMutablePointer<Float>) -> Void) throws -> Void) throws {
    var r = WireReader(frame.payload)
    do {
      let n = kind == .pullEmbeddings ? 1 : Int(try r.readUInt32("fields"))
      guard n == widths.count else {
        throw GraphClientError(.protocolError, "\(n) fields in the reply for \(widths.count) asked", server: server)
      }
      for j in 0..<n {
        let width = Int(try r.readUInt32("width"))
        let (values, offset) = try r.skipBlock(elementSize: 4, "rows")
        guard values == rows * width, widths[j] == nil || widths[j] == width else {
          throw GraphClientError(.protocolError, "field \(j): \(values) values of width \(width) for \(rows) ids", server: server)
        }
        try destination(j, width) { base in
          let out = UnsafeMutableRawPointer(base)
          frame.payload.withUnsafeBytes { src in
            let rowBytes = width * 4
            for (i, pos) in positions.enumerated() {
              (out + pos * rowBytes).copyMemory(from: src.baseAddress! + offset + i * rowBytes, byteCount: rowBytes)
            }
          }
        }
      }
      try r.expectEnd()
    } catch let e as ProtoError {
      throw GraphClientError(.protocolError, e.description, server: server)
    }
  }

  /// Row pulls whose widths are learnt from the replies (no config, or embeddings): each
  /// reply's rows are copied from its payload to their rows of the result.
  func pullRowsCopying(split: Split, count: Int, widths: [Int?], kind: MessageKind, embeddings: Bool,
                       request: (Int, [Int64]) -> Message) throws -> [FloatMatrix] {
    func uninitialised(_ n: Int) -> [Float] { [Float](unsafeUninitializedCapacity: n) { _, k in k = n } }
    var requests: [Outgoing] = []
    var parts: [Int] = []
    let localPart = embeddings ? nil : self.localPart
    for p in 0..<layout.numParts where !split.ids[p].isEmpty && p != localPart {
      requests.append(Outgoing(part: p, server: embeddings ? 0 : graphServer(p), message: request(p, split.ids[p])))
      parts.append(p)
    }
    let frames = try exchange(requests)
    var outs: [FloatMatrix]? = nil
    for (k, frame) in frames.enumerated() {
      let p = parts[k], s = requests[k].server
      let server = "partition \(p) server \(s) at \(servers[p][s])"
      try copyRows(frame, kind: kind, rows: split.ids[p].count, widths: widths, positions: split.positions[p], server: server) { j, width, copy in
        if outs == nil { outs = widths.map { _ in FloatMatrix(rows: count, width: 0, values: []) } }
        if outs![j].width != width {
          // Every row of the result is written exactly once (each id has one owner): no zero-fill.
          outs![j] = FloatMatrix(rows: count, width: width, values: uninitialised(count * width))
        }
        outs![j].values.withUnsafeMutableBufferPointer { copy($0.baseAddress!) }
      }
    }
    return outs ?? widths.map { FloatMatrix(rows: count, width: $0 ?? 0, values: count == 0 ? [] : [Float](repeating: 0, count: count * ($0 ?? 0))) }
  }

  // MARK: labels and masks

  /// Label or mask columns of node type `ntype` for `ids`, one per field (f32 and f64 fields as
  /// `.float32`, i32 and i64 as `.int64`, u8 as `.uint8`), row i for `ids[i]`.
  public func pullLabelsMasks(ntype: Int, fields: [String], ids: [Int64]) throws -> [Column] {
    try checkNodeType(ntype)
    let split = try splitNodes(ids, type: ntype)
    var requests: [Outgoing] = []
    var parts: [Int] = []
    for p in 0..<layout.numParts where !split.ids[p].isEmpty && p != localPart {
      requests.append(Outgoing(part: p, server: graphServer(p),
                               message: .pullLabelsMasks(PullLabelsMasks(fields: fields, ids: split.ids[p]))))
      parts.append(p)
    }
    var pieces: [(positions: [Int], columns: [Column])] = []
    let frames = try exchange(requests) {
      guard let lp = localPart, let part = local, !split.ids[lp].isEmpty else { return }
      let range = part.nodeRange(ntype)
      let offsets = split.ids[lp].map { Int($0 - range.start) }
      let columns = try fields.map { name -> Column in
        guard let f = part.nodeField(ntype, name) else {
          throw GraphClientError(.invalidArgument, "node type \(layout.ntypes[ntype]) has no field '\(name)'")
        }
        let n = offsets.count * f.info.width
        switch Partition.columnType(f.info.dtype) {
        case .float32:
          var v = [Float](repeating: 0, count: n)
          v.withUnsafeMutableBytes { Partition.gatherColumnRows(f.info, f.data, rows: offsets, into: $0.baseAddress!) }
          return .float32(width: f.info.width, values: v)
        case .int64:
          var v = [Int64](repeating: 0, count: n)
          v.withUnsafeMutableBytes { Partition.gatherColumnRows(f.info, f.data, rows: offsets, into: $0.baseAddress!) }
          return .int64(width: f.info.width, values: v)
        case .uint8:
          var v = [UInt8](repeating: 0, count: n)
          v.withUnsafeMutableBytes { Partition.gatherColumnRows(f.info, f.data, rows: offsets, into: $0.baseAddress!) }
          return .uint8(width: f.info.width, values: v)
        }
      }
      pieces.append((split.positions[lp], columns))
    }
    for (k, frame) in frames.enumerated() {
      let p = parts[k]
      guard case .labelsMasks(let lm) = try decode(frame, from: p, requests[k].server), lm.columns.count == fields.count else {
        throw GraphClientError(.protocolError, "reply does not hold \(fields.count) columns", server: "partition \(p)")
      }
      pieces.append((split.positions[p], lm.columns))
    }
    return try fields.indices.map { j in
      guard let first = pieces.first?.columns[j] else {
        // No ids: an empty column of the field's type when the config says it.
        let f = config?.nodeField(ntype, fields[j])
        switch f.map({ Partition.columnType($0.dtype) }) {
        case .int64: return .int64(width: f!.width, values: [])
        case .uint8: return .uint8(width: f!.width, values: [])
        default: return .float32(width: f?.width ?? 0, values: [])
        }
      }
      let w = first.width
      func merge<T>(_ zero: T, _ get: (Column) -> [T]?) throws -> [T] {
        var out = [T](repeating: zero, count: ids.count * w)
        for piece in pieces {
          guard piece.columns[j].width == w, let v = get(piece.columns[j]) else {
            throw GraphClientError(.protocolError, "field '\(fields[j])' differs in type or width between partitions")
          }
          for (i, pos) in piece.positions.enumerated() {
            for c in 0..<w { out[pos * w + c] = v[i * w + c] }
          }
        }
        return out
      }
      switch first {
      case .float32: return .float32(width: w, values: try merge(0) { if case .float32(_, let v) = $0 { v } else { nil } })
      case .int64: return .int64(width: w, values: try merge(0) { if case .int64(_, let v) = $0 { v } else { nil } })
      case .uint8: return .uint8(width: w, values: try merge(0) { if case .uint8(_, let v) = $0 { v } else { nil } })
      }
    }
  }

  // MARK: embeddings (always server 0 of the owning partition)

  /// Embedding rows of node type `ntype` for `ids`.
  public func pullEmbeddings(ntype: Int, ids: [Int64]) throws -> FloatMatrix {
    try checkNodeType(ntype)
    let split = try splitNodes(ids, type: ntype)
    return try pullRows(split: split, count: ids.count, widths: [nil], kind: .pullEmbeddings, embeddings: true) { _, ids in
      .pullEmbeddings(PullEmbeddings(nodeType: Int32(ntype), ids: ids))
    } local: { _, _, _, _ in }[0]
  }

  /// Pushes gradient rows (`gradients[i × width ..< (i+1) × width]` for `ids[i]`; repeated ids
  /// are summed by the server) and has each owner apply one SparseAdam step at `learningRate`.
  /// Returns the number of distinct rows updated.
  @discardableResult
  public func pushEmbeddingGradients(ntype: Int, ids: [Int64], gradients: [Float], width: Int,
                                     learningRate: Float) throws -> Int {
    try checkNodeType(ntype)
    guard gradients.count == ids.count * width else {
      throw GraphClientError(.invalidArgument, "\(gradients.count) gradient values for \(ids.count) ids × width \(width)")
    }
    let split = try splitNodes(ids, type: ntype)
    var requests: [Outgoing] = []
    for p in 0..<layout.numParts where !split.ids[p].isEmpty {
      var g = [Float]()
      g.reserveCapacity(split.ids[p].count * width)
      for i in split.positions[p] { g.append(contentsOf: gradients[(i * width)..<((i + 1) * width)]) }
      requests.append(Outgoing(part: p, server: 0, message: .pushEmbeddingGradients(PushEmbeddingGradients(
        nodeType: Int32(ntype), ids: split.ids[p], gradients: FloatRows(width: width, values: g),
        learningRate: learningRate))))
    }
    return try rowCounts(try exchange(requests), requests)
  }

  /// Has server 0 of every partition write its rows of `ntype` to
  /// `directory/<ntype>-part<p>.emb` (on that server's host; temporary name, then rename).
  /// Returns the total number of rows written.
  @discardableResult
  public func dumpEmbeddings(ntype: Int, directory: String) throws -> Int {
    try fileRequestToEveryPartition(ntype: ntype, path: { embeddingPath(ntype, $0, directory) }, Message.dumpEmbeddings)
  }

  /// Loads rows written by `dumpEmbeddings` back into every partition's server 0.
  @discardableResult
  public func loadEmbeddings(ntype: Int, directory: String) throws -> Int {
    try fileRequestToEveryPartition(ntype: ntype, path: { embeddingPath(ntype, $0, directory) }, Message.loadEmbeddings)
  }

  /// Has server 0 of every partition write the sparse Adam state of its rows of `ntype` to
  /// `directory/<ntype>-part<p>.adam` (`GUSTADM1`; temporary name, then rename). Returns the
  /// number of rows with state.
  @discardableResult
  public func dumpEmbeddingOptimizer(ntype: Int, directory: String) throws -> Int {
    try fileRequestToEveryPartition(ntype: ntype, path: { optimizerPath(ntype, $0, directory) }, Message.dumpEmbeddingOptimizer)
  }

  /// Makes the state written by `dumpEmbeddingOptimizer` every partition's server 0's sparse Adam
  /// state for `ntype` (load the rows with `loadEmbeddings`).
  @discardableResult
  public func loadEmbeddingOptimizer(ntype: Int, directory: String) throws -> Int {
    try fileRequestToEveryPartition(ntype: ntype, path: { optimizerPath(ntype, $0, directory) }, Message.loadEmbeddingOptimizer)
  }

  /// One file request (`message` of partition `p`'s file `path(p)`) to server 0 of every
  /// partition; the total of the row counts they reply.
  private func fileRequestToEveryPartition(ntype: Int, path: (Int) -> String,
                                           _ message: (EmbeddingFile) -> Message) throws -> Int {
    try checkNodeType(ntype)
    let requests = (0..<layout.numParts).map { p in
      Outgoing(part: p, server: 0, message: message(EmbeddingFile(nodeType: Int32(ntype), path: path(p))))
    }
    return try rowCounts(try exchange(requests), requests)
  }

  /// The file partition `p`'s sparse Adam state of `ntype` is dumped to.
  public func optimizerPath(_ ntype: Int, _ p: Int, _ directory: String) -> String {
    "\(directory)/\(layout.ntypes[ntype])-part\(p).adam"
  }

  /// The file partition `p`'s rows of `ntype` are dumped to.
  public func embeddingPath(_ ntype: Int, _ p: Int, _ directory: String) -> String {
    "\(directory)/\(layout.ntypes[ntype])-part\(p).emb"
  }

  private func rowCounts(_ frames: [Frame], _ requests: [Outgoing]) throws -> Int {
    var total = 0
    for (k, f) in frames.enumerated() {
      switch try decode(f, from: requests[k].part, requests[k].server) {
      case .embeddingGradientsApplied(let c), .embeddingsDumped(let c), .embeddingsLoaded(let c),
           .embeddingOptimizerDumped(let c), .embeddingOptimizerLoaded(let c): total += Int(c.rows)
      default: throw GraphClientError(.protocolError, "unexpected reply \(f.kind)", server: "partition \(requests[k].part)")
      }
    }
    return total
  }

  // MARK: control

  /// A heartbeat to every server of every partition (also opens every connection).
  public func heartbeatAll() throws {
    var requests: [Outgoing] = []
    for (p, list) in servers.enumerated() {
      for s in list.indices { requests.append(Outgoing(part: p, server: s, message: .heartbeat(Heartbeat(token: UInt64(p * 1024 + s))))) }
    }
    _ = try exchange(requests)
  }

  /// Asks every server to stop. A server that closes the connection before its acknowledgement
  /// arrives has stopped too.
  public func shutdownAll() throws {
    var requests: [Outgoing] = []
    for (p, list) in servers.enumerated() {
      for s in list.indices { requests.append(Outgoing(part: p, server: s, message: .shutdown)) }
    }
    do { _ = try exchange(requests) } catch let e as GraphClientError where e.code == .serverClosed {}
    disconnect()
  }
}

/// Rows of one field for a request's ids, grouped by owning partition: each partition's rows
/// together (partitions in order; within one, its ids in request order), so every server's
/// reply is read from the socket into one contiguous block and the local partition's rows are
/// gathered into theirs — no per-row pieces, no reassembly copy. `rowOf` is the permutation the
/// consumer applies in the gather it does anyway.
public struct GroupedRows: Equatable, Sendable {
  public var width: Int
  /// `rowOf.count × width` values.
  public var values: [Float]
  /// `rowOf[i]`: the row of `values` holding the request's `ids[i]`.
  public var rowOf: [Int32]

  public init(width: Int, values: [Float], rowOf: [Int32]) {
    precondition(values.count == rowOf.count * width)
    self.width = width
    self.values = values
    self.rowOf = rowOf
  }

  /// Writes the rows in request order to `out` (`rowOf.count × width` floats).
  public func gather(into out: UnsafeMutablePointer<Float>) {
    let w = width
    values.withUnsafeBufferPointer { v in
      rowOf.withUnsafeBufferPointer { r in
        for i in 0..<r.count { (out + i &* w).update(from: v.baseAddress! + Int(r[i]) &* w, count: w) }
      }
    }
  }

  /// The rows in request order (what `pullNodeFeatures` returns).
  public func inRequestOrder() -> FloatMatrix {
    let n = rowOf.count * width
    let v = [Float](unsafeUninitializedCapacity: n) { buf, k in
      if n > 0 { gather(into: buf.baseAddress!) }
      k = n
    }
    return FloatMatrix(rows: rowOf.count, width: width, values: v)
  }
}

extension GraphClient {
  /// Rows of node field `field` for `ids` (all of node type `ntype`), grouped by owner
  /// (`GroupedRows`): the same values as `pullNodeFeatures`, permuted by `rowOf`. Without a
  /// config (widths unknown up front) the rows come in request order (`rowOf` the identity).
  public func pullNodeFeatureRows(ntype: Int, field: String, ids: [Int64]) throws -> GroupedRows {
    try checkNodeType(ntype)
    guard let config else {
      let m = try pullNodeFeatures(ntype: ntype, fields: [field], ids: ids)[0]
      return GroupedRows(width: m.width, values: m.values, rowOf: (0..<ids.count).map { Int32($0) })
    }
    guard let info = config.nodeField(ntype, field) else {
      throw GraphClientError(.invalidArgument, "node type \(layout.ntypes[ntype]) has no field '\(field)'")
    }
    let split = try splitNodes(ids, type: ntype)
    let width = info.width, rowBytes = 4 * width, P = layout.numParts
    guard ids.count < Int(Int32.max) else {
      throw GraphClientError(.invalidArgument, "\(ids.count) ids in one pull; at most \(Int32.max - 1)")
    }
    var start = [Int](repeating: 0, count: P + 1)
    for p in 0..<P { start[p + 1] = start[p] + split.ids[p].count }
    let rowOf = [Int32](unsafeUninitializedCapacity: ids.count) { buf, n in
      for p in 0..<P {
        for (i, pos) in split.positions[p].enumerated() { buf[pos] = Int32(start[p] + i) }
      }
      n = ids.count
    }
    if ids.isEmpty { return GroupedRows(width: width, values: [], rowOf: []) }
    let values = try GraphClient.uninitialisedArrays([ids.count * width]) { outs in
      let out = outs[0]
      var requests: [Outgoing] = []
      var heads: [UnsafeMutableRawPointer] = []
      let lp = localPart
      for p in 0..<P where !split.ids[p].isEmpty && p != lp {
        // nodeFeatures reply: u32 n (1) · u32 width · u32 count · rows.
        let segments = IOSegments(capacity: 2)
        heads.append(segments.appendScratch(byteCount: 12))
        segments.append(out + start[p] * width, byteCount: split.ids[p].count * rowBytes)
        requests.append(Outgoing(part: p, server: graphServer(p),
                                 message: .pullNodeFeatures(PullFeatures(typeID: Int32(ntype), fields: [field], ids: split.ids[p])),
                                 scatter: Connection.Scatter(kind: .nodeFeatures, segments: segments)))
      }
      let replies = try exchangeAll(requests) {
        guard let lp, let part = local, !split.ids[lp].isEmpty else { return }
        guard let f = part.nodeField(ntype, field) else {
          throw GraphClientError(.invalidArgument, "node type \(layout.ntypes[ntype]) has no field '\(field)'")
        }
        let range = part.nodeRange(ntype)
        Partition.gatherFloatRows(f.info, f.data, rows: split.ids[lp].map { Int($0 - range.start) },
                                  into: out + start[lp] * width)
      }
      for (k, reply) in replies.enumerated() {
        let p = requests[k].part, s = requests[k].server
        let server = "partition \(p) server \(s) at \(servers[p][s])"
        let rows = split.ids[p].count
        if reply.scattered {
          let h = heads[k]
          let n = Int(UInt32(littleEndian: h.loadUnaligned(as: UInt32.self)))
          let w = Int(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
          let c = Int(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
          guard n == 1, w == width, c == rows * width else {
            throw GraphClientError(.protocolError, "\(n) field(s), \(c) values of width \(w) for \(rows) ids of width \(width)", server: server)
          }
          continue
        }
        let base = out + start[p] * width
        try copyRows(reply.frame, kind: .pullNodeFeatures, rows: rows, widths: [width], positions: Array(0..<rows),
                     server: server) { _, _, copy in copy(base) }
      }
    }[0]
    return GroupedRows(width: width, values: values, rowOf: rowOf)
  }
}
