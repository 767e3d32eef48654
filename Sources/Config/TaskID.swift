import COpenSSL

/// Task ids exactly as GraphStorm forms them (reference §3.5, `config.py:get_mttask_id`):
/// `"-".join([task_type, ntype | etype part, label])`, each part only where it applies.
enum TaskID {
  /// `link_prediction-ALL_ETYPE` when `train_etype` is unset.
  static let allEdgeTypes = "ALL_ETYPE"
  /// Longest etype part kept whole.
  static let maxEdgeTypePart = 64

  static func make(_ kind: TaskKind) -> String {
    var parts = [kind.name.rawValue]
    switch kind {
    case .nodeClassification(let t): parts += [t.targetNodeType, t.labelField]
    case .nodeRegression(let t): parts += [t.targetNodeType, t.labelField]
    case .edgeClassification(let t): parts += [edgeTypePart([t.targetEdgeType]), t.labelField]
    case .edgeRegression(let t): parts += [edgeTypePart([t.targetEdgeType]), t.labelField]
    case .linkPrediction(let t):
      parts.append(t.trainEdgeTypes.map(edgeTypePart) ?? allEdgeTypes)
    case .reconstructNodeFeature(let t): parts += [t.targetNodeType, t.featureName]
    case .reconstructEdgeFeature(let t): parts += [edgeTypePart([t.targetEdgeType]), t.featureName]
    }
    return parts.joined(separator: "-")
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
