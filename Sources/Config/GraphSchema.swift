/// What config validation needs to know about a graph: its node and edge types, the fields
/// (features, labels, masks) each has, and, where known, the largest label of each
/// classification label field. The trainer fills it from the partition config; this target
/// does not import `Graph`.
public struct GraphSchema: Equatable, Sendable {
  public struct NodeTypeInfo: Equatable, Sendable {
    public var name: String
    public var fields: Set<String>
    /// Largest label value per label field (the caller computes it; absent = unknown).
    public var maxLabel: [String: Int]
    public init(name: String, fields: Set<String>, maxLabel: [String: Int] = [:]) {
      self.name = name
      self.fields = fields
      self.maxLabel = maxLabel
    }
  }

  public struct EdgeTypeInfo: Equatable, Sendable {
    public var edgeType: EdgeType
    public var fields: Set<String>
    public var maxLabel: [String: Int]
    public init(edgeType: EdgeType, fields: Set<String>, maxLabel: [String: Int] = [:]) {
      self.edgeType = edgeType
      self.fields = fields
      self.maxLabel = maxLabel
    }
  }

  public var nodeTypes: [String: NodeTypeInfo]
  public var edgeTypes: [EdgeType: EdgeTypeInfo]

  public init(nodeTypes: [NodeTypeInfo], edgeTypes: [EdgeTypeInfo]) {
    self.nodeTypes = Dictionary(nodeTypes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    self.edgeTypes = Dictionary(
      edgeTypes.map { ($0.edgeType, $0) }, uniquingKeysWith: { a, _ in a })
  }
}

extension GustConfig {
  /// Every mismatch between the config and `graph`, in task order: a target node/edge type or
  /// field the graph lacks, a missing train mask (training), a mask field the graph lacks,
  /// labels ≥ `num_classes`, feature names or per-edge-type fanouts naming what is not there.
  /// Empty when the config fits. Each error names the YAML path, the task id and the closest
  /// valid name.
  public func validate(against graph: GraphSchema, mode: ConfigMode = .train) -> [ConfigError] {
    var v = GraphValidator(graph: graph, mode: mode)
    v.checkGlobal(training)
    for t in tasks { v.check(t) }
    return v.errors
  }

  /// `validate(against:mode:)`, throwing the first error.
  public func validateOrThrow(against graph: GraphSchema, mode: ConfigMode = .train) throws {
    if let e = validate(against: graph, mode: mode).first { throw e }
  }
}
