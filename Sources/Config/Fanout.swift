import Foundation

/// Neighbours sampled per layer: one number per layer for every edge type (`"10,5"`), or per
/// edge type (`"paper/citing/paper:10@paper/written_by/author:5,…"`, layers split by `,`,
/// edge types by `@`). `-1` means every neighbour.
public enum Fanout: Equatable, Sendable, CustomStringConvertible {
  case uniform([Int])
  case perEdgeType([[EdgeType: Int]])

  /// `-1` (every neighbour) for `layers` layers: GraphStorm's default `eval_fanout`.
  public static func full(layers: Int) -> Fanout { .uniform([Int](repeating: -1, count: layers)) }

  public var numLayers: Int {
    switch self {
    case .uniform(let v): return v.count
    case .perEdgeType(let v): return v.count
    }
  }

  /// The fanout of `edgeType` at `layer` (0 = the layer next to the input); an edge type a
  /// per-edge-type layer does not list gets 0.
  public func fanout(layer: Int, edgeType: EdgeType) -> Int {
    switch self {
    case .uniform(let v): return v[layer]
    case .perEdgeType(let v): return v[layer][edgeType] ?? 0
    }
  }

  /// Every edge type named (per-edge-type form), sorted.
  public var edgeTypes: [EdgeType] {
    guard case .perEdgeType(let layers) = self else { return [] }
    return Array(Set(layers.flatMap { $0.keys })).sorted()
  }

  public var description: String {
    switch self {
    case .uniform(let v): return v.map(String.init).joined(separator: ",")
    case .perEdgeType(let layers):
      return layers.map { layer in
        layer.sorted { $0.key < $1.key }.map {
          "\($0.key.src)/\($0.key.rel)/\($0.key.dst):\($0.value)"
        }.joined(separator: "@")
      }.joined(separator: ",")
    }
  }

  static func parse(_ node: YNode, path: String) throws -> Fanout {
    let line = node.line
    func number(_ s: String) throws -> Int {
      guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else {
        throw ConfigError(
          .wrongType, path: path, "fanout entry '\(s)' is not an integer", line: line)
      }
      guard v >= -1 else {
        throw ConfigError(
          .invalidValue, path: path,
          "fanout \(v) is negative: use a count ≥ 0, or -1 for every neighbour", line: line)
      }
      return v
    }
    let text: String
    switch node {
    case .sequence(let items, _):
      // A YAML list of numbers, one per layer.
      return .uniform(try items.enumerated().map { i, n in try number(n.string("\(path)[\(i)]")) })
    default:
      text = try node.string(path)
    }
    let layers = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    if !text.contains(":") {
      return .uniform(try layers.map(number))
    }
    var out: [[EdgeType: Int]] = []
    for layer in layers {
      var m: [EdgeType: Int] = [:]
      for item in layer.split(separator: "@", omittingEmptySubsequences: false) {
        let kv = item.split(separator: ":", omittingEmptySubsequences: false)
        guard kv.count == 2 else {
          throw ConfigError(
            .invalidValue, path: path,
            "fanout entry '\(item)' must be src/rel/dst:count (layers split by ',', edge types by '@')",
            line: line)
        }
        let et = try EdgeType.parse(String(kv[0]), separator: "/", path: path, line: line)
        if m[et] != nil {
          throw ConfigError(
            .duplicateKey, path: path, "edge type \(et) appears twice in one fanout layer",
            line: line)
        }
        m[et] = try number(String(kv[1]))
      }
      out.append(m)
    }
    return .perEdgeType(out)
  }
}

/// `node_feat_name`: `["feat"]` (the same feature names for every node type that has them) or
/// `["paper:feat", "author:f1,f2", …]` (per node type; a node type listed twice gets two
/// feature groups, each projected on its own).
public enum NodeFeatureNames: Equatable, Sendable {
  case sameForAll([String])
  case perType([FeatureGroup])

  public struct FeatureGroup: Equatable, Sendable {
    public var nodeType: String
    public var fields: [String]
    public init(nodeType: String, fields: [String]) {
      self.nodeType = nodeType
      self.fields = fields
    }
  }

  /// The feature groups of `nodeType`, each a list of fields concatenated in order; empty when
  /// the type has no features (it then gets a learnable embedding).
  public func groups(for nodeType: String) -> [[String]] {
    switch self {
    case .sameForAll(let f): return [f]
    case .perType(let g): return g.filter { $0.nodeType == nodeType }.map(\.fields)
    }
  }

  static func parse(_ node: YNode, path: String) throws -> NodeFeatureNames {
    let entries = try node.stringList(path)
    func fields(_ s: Substring, _ p: String) throws -> [String] {
      let f = s.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard !f.isEmpty, f.allSatisfy({ !$0.isEmpty }) else {
        throw ConfigError(.invalidValue, path: p, "empty feature name in '\(s)'", line: node.line)
      }
      return f
    }
    guard !entries.isEmpty else {
      throw ConfigError(.invalidValue, path: path, "empty list", line: node.line)
    }
    let typed = entries.filter { $0.contains(":") }.count
    if typed == 0 {
      return .sameForAll(try entries.enumerated().flatMap { i, e in
        try fields(Substring(e), node.isSequence ? "\(path)[\(i)]" : path)
      })
    }
    guard typed == entries.count else {
      throw ConfigError(
        .invalidValue, path: path,
        "mixes 'name' and 'ntype:name' entries: use one form (e.g. [\"paper:feat\", \"author:feat\"])",
        line: node.line)
    }
    var groups: [FeatureGroup] = []
    for (i, e) in entries.enumerated() {
      let p = node.isSequence ? "\(path)[\(i)]" : path
      let parts = e.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      let nt = parts[0].trimmingCharacters(in: .whitespaces)
      guard !nt.isEmpty else {
        throw ConfigError(.invalidValue, path: p, "'\(e)' has no node type", line: node.line)
      }
      groups.append(FeatureGroup(nodeType: nt, fields: try fields(parts[1], p)))
    }
    return .perType(groups)
  }
}
