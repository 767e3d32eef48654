/// A typed column of `rows × width` elements.
public enum ArrayData: Equatable, Sendable {
  case f32([Float])
  case f64([Double])
  case i32([Int32])
  case i64([Int64])
  case u8([UInt8])

  public var dtype: DType {
    switch self {
    case .f32: return .f32
    case .f64: return .f64
    case .i32: return .i32
    case .i64: return .i64
    case .u8: return .u8
    }
  }

  public var count: Int {
    switch self {
    case .f32(let a): return a.count
    case .f64(let a): return a.count
    case .i32(let a): return a.count
    case .i64(let a): return a.count
    case .u8(let a): return a.count
    }
  }

  /// Rows picked by `order` (row `i` of the result is row `order[i]` of self), `width` wide.
  public func gatherRows(_ order: [Int], width: Int) -> ArrayData {
    func g<T>(_ a: [T]) -> [T] {
      var out: [T] = []
      out.reserveCapacity(order.count * width)
      for r in order { out.append(contentsOf: a[(r * width)..<((r + 1) * width)]) }
      return out
    }
    switch self {
    case .f32(let a): return .f32(g(a))
    case .f64(let a): return .f64(g(a))
    case .i32(let a): return .i32(g(a))
    case .i64(let a): return .i64(g(a))
    case .u8(let a): return .u8(g(a))
    }
  }

  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    switch self {
    case .f32(let a): return try a.withUnsafeBytes(body)
    case .f64(let a): return try a.withUnsafeBytes(body)
    case .i32(let a): return try a.withUnsafeBytes(body)
    case .i64(let a): return try a.withUnsafeBytes(body)
    case .u8(let a): return try a.withUnsafeBytes(body)
    }
  }
}

/// A named field with its data, one row per node (or edge) in graph-id order.
public struct Field: Equatable, Sendable {
  public var info: FieldInfo
  public var data: ArrayData

  public init(name: String, kind: FieldKind, width: Int, data: ArrayData) {
    precondition(width > 0 && data.count % width == 0, "field '\(name)': \(data.count) values for width \(width)")
    info = FieldInfo(name: name, kind: kind, dtype: data.dtype, width: width)
    self.data = data
  }

  public var rows: Int { data.count / info.width }
}

/// A whole heterogeneous graph in graph ids, before partitioning: what construction produces and
/// `GraphWriter` lays out as partitions.
public struct GraphData: Sendable {
  public var ntypes: [String]
  /// Nodes per type; graph ids of type `t` are `0..<numNodes[t]`.
  public var numNodes: [Int]
  public var nodeFields: [[Field]]
  public var etypes: [EdgeType]
  /// Per edge type, endpoints in graph ids of the source and destination types, input order.
  public var src: [[Int64]]
  public var dst: [[Int64]]
  public var edgeFields: [[Field]]

  public init(ntypes: [String], numNodes: [Int], nodeFields: [[Field]], etypes: [EdgeType],
              src: [[Int64]], dst: [[Int64]], edgeFields: [[Field]]) {
    self.ntypes = ntypes
    self.numNodes = numNodes
    self.nodeFields = nodeFields
    self.etypes = etypes
    self.src = src
    self.dst = dst
    self.edgeFields = edgeFields
  }

  /// Checks every count and endpoint; construction calls this before writing anything.
  public func validate() throws {
    guard ntypes.count == numNodes.count, ntypes.count == nodeFields.count else {
      throw GraphError(.invalidArgument, "node types, counts and fields disagree")
    }
    guard etypes.count == src.count, etypes.count == dst.count, etypes.count == edgeFields.count else {
      throw GraphError(.invalidArgument, "edge types, endpoints and fields disagree")
    }
    for (t, fields) in nodeFields.enumerated() {
      for f in fields where f.rows != numNodes[t] {
        throw GraphError(.invalidArgument, "node field \(ntypes[t]).\(f.info.name) has \(f.rows) rows for \(numNodes[t]) nodes")
      }
    }
    for (e, et) in etypes.enumerated() {
      guard let s = ntypes.firstIndex(of: et.src), let d = ntypes.firstIndex(of: et.dst) else {
        throw GraphError(.invalidArgument, "edge type \(et) names an unknown node type")
      }
      guard src[e].count == dst[e].count else { throw GraphError(.invalidArgument, "edge type \(et): endpoint counts differ") }
      for (i, v) in src[e].enumerated() where v < 0 || v >= numNodes[s] {
        throw GraphError(.invalidArgument, "edge type \(et) edge \(i): source \(v) outside 0..<\(numNodes[s])")
      }
      for (i, v) in dst[e].enumerated() where v < 0 || v >= numNodes[d] {
        throw GraphError(.invalidArgument, "edge type \(et) edge \(i): destination \(v) outside 0..<\(numNodes[d])")
      }
      for f in edgeFields[e] where f.rows != src[e].count {
        throw GraphError(.invalidArgument, "edge field \(et).\(f.info.name) has \(f.rows) rows for \(src[e].count) edges")
      }
    }
  }
}
