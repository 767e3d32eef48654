import COpenSSL

/// Task ids exactly as GraphStorm forms them (reference §3.5, `config.py:get_mttask_id`):
/// `"-".join([task_type, ntype | etype part, label])`, each part only where it applies.
enum TaskID {
  /// `link_prediction-ALL_ETYPE` when `train_etype` is unset.
  static let allEdgeTypes = "ALL_ETYPE"
  /// Longest etype part kept whole.
  static let maxEdgeTypePart = 64

  static func make(_ kind: TaskKind) -> String {
    switch kind {
    case .nodeClassification(let t):
      return make(kind.name, nodeType: t.targetNodeType, label: t.labelField)
    case .nodeRegression(let t):
      return make(kind.name, nodeType: t.targetNodeType, label: t.labelField)
    case .edgeClassification(let t):
      return make(kind.name, edgeTypes: t.listedEdgeTypes, label: t.labelField)
    case .edgeRegression(let t):
      return make(kind.name, edgeTypes: t.listedEdgeTypes, label: t.labelField)
    case .linkPrediction(let t):
      return make(kind.name, edgeTypes: t.trainEdgeTypes, allEdgeTypes: t.trainEdgeTypes == nil)
    case .reconstructNodeFeature(let t):
      return make(kind.name, nodeType: t.targetNodeType, label: t.featureName)
    case .reconstructEdgeFeature(let t):
      return make(kind.name, edgeTypes: t.listedEdgeTypes, label: t.featureName)
    }
  }

  /// The id from its parts: `kind[-ntype | -etype part | -ALL_ETYPE][-label]`.
  static func make(
    _ kind: TaskKind.Name, nodeType: String? = nil, edgeTypes: [EdgeType]? = nil,
    allEdgeTypes: Bool = false, label: String? = nil
  ) -> String {
    var parts = [kind.rawValue]
    if let nodeType { parts.append(nodeType) }
    if let edgeTypes { parts.append(edgeTypePart(edgeTypes)) }
    if allEdgeTypes { parts.append(Self.allEdgeTypes) }
    if let label { parts.append(label) }
    return parts.joined(separator: "-")
  }

  /// The id of a task block before it is typed (for `--task <id>.<key>` overrides, so an
  /// override can fix a value the full parse would reject); nil when the id keys are unusable.
  static func make(raw t: RawTask, globals: [String: Entry]) -> String? {
    let r = Reader(globals: globals, task: t)
    enum Got<T> { case absent, bad, value(T) }
    func got<T>(_ k: String, _ read: (YNode, String) throws -> T) -> Got<T> {
      do {
        guard let v = try r.get(k, read) else { return .absent }
        return .value(v.0)
      } catch { return .bad }
    }
    let nodeType: String?
    switch got("target_ntype", Read.string) {
    case .absent: nodeType = "_N"
    case .bad: nodeType = nil
    case .value(let v): nodeType = v
    }
    let edgeType: [EdgeType]?
    switch got("target_etype", EdgeType.parseList) {
    case .absent: edgeType = [EdgeType("_N", "_E", "_N")]
    case .bad: edgeType = nil
    case .value(let v): edgeType = v.isEmpty ? nil : v
    }
    func need(_ k: String) -> String? {
      if case .value(let v) = got(k, Read.string) { return v }
      return nil
    }
    switch t.name {
    case .nodeClassification, .nodeRegression:
      guard let nodeType, let l = need("label_field") else { return nil }
      return make(t.name, nodeType: nodeType, label: l)
    case .edgeClassification, .edgeRegression:
      guard let edgeType, let l = need("label_field") else { return nil }
      return make(t.name, edgeTypes: edgeType, label: l)
    case .linkPrediction:
      switch got("train_etype", EdgeType.parseList) {
      case .absent: return make(t.name, allEdgeTypes: true)
      case .bad: return nil
      case .value(let v): return make(t.name, edgeTypes: v)
      }
    case .reconstructNodeFeature:
      guard let nodeType, let f = need("reconstruct_nfeat_name") else { return nil }
      return make(t.name, nodeType: nodeType, label: f)
    case .reconstructEdgeFeature:
      guard let edgeType, let f = need("reconstruct_efeat_name") else { return nil }
      return make(t.name, edgeTypes: edgeType, label: f)
    }
  }

  /// Edge types joined by `_` inside a type and `__` between types. Longer than 64 characters:
  /// the first 64, then the first 8 hex digits of the SHA-256 of the whole (UTF-8) part.
  static func edgeTypePart(_ etypes: [EdgeType]) -> String {
    let part = etypes.map(\.joined).joined(separator: "__")
    guard part.count > maxEdgeTypePart else { return part }
    return String(part.prefix(maxEdgeTypePart)) + String(sha256Hex(part).prefix(8))
  }

  static func sha256Hex(_ s: String) -> String {
    let bytes = Array(s.utf8)
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    bytes.withUnsafeBufferPointer { b in
      digest.withUnsafeMutableBufferPointer { d in
        _ = SHA256(b.baseAddress, b.count, d.baseAddress)
      }
    }
    let hex: [Character] = Array("0123456789abcdef")
    return String(digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] })
  }
}
