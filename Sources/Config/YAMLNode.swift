import Foundation
import Yams

/// A YAML value as the config reads it. Scalars keep their text and whether they were quoted:
/// the key decides the type, not YAML's tag guess (PyYAML reads `1e-2` as a string and
/// GraphStorm then calls `float()` on it, so Gust must accept it as a number too).
indirect enum YNode: Equatable, Sendable {
  struct Pair: Equatable, Sendable {
    var key: String
    var value: YNode
    var line: Int?
  }

  case scalar(String, quoted: Bool, line: Int?)
  case sequence([YNode], line: Int?)
  case mapping([Pair], line: Int?)

  var line: Int? {
    switch self {
    case .scalar(_, _, let l), .sequence(_, let l), .mapping(_, let l): return l
    }
  }

  /// A plain `null`, `~` or empty scalar (quoted ones are strings).
  var isNull: Bool {
    if case .scalar(let s, false, _) = self { return YNode.nullWords.contains(s) }
    return false
  }

  static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

  var kindName: String {
    switch self {
    case .scalar: return isNull ? "null" : "a scalar"
    case .sequence: return "a list"
    case .mapping: return "a mapping"
    }
  }
}

// MARK: - From Yams

extension YNode {
  /// Parses a whole document. An empty document is an empty mapping.
  static func parse(yaml: String, file: String) throws -> YNode {
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch let e as YamlError {
      if case .duplicatedKeysInMapping(let keys, let context) = e {
        throw ConfigError(
          .duplicateKey, path: file,
          "key \(keys.map { "'\($0)'" }.joined(separator: ", ")) appears twice in one mapping",
          line: context.mark.line)
      }
      throw ConfigError(.yamlSyntax, path: file, "not valid YAML: \(e)")
    }
    guard let root else { return .mapping([], line: nil) }
    return try YNode(root, path: file)
  }

  init(_ node: Node, path: String) throws {
    switch node {
    case .scalar(let s):
      self = .scalar(s.string, quoted: s.style != .plain && s.style != .any, line: s.mark?.line)
    case .sequence(let seq):
      var items: [YNode] = []
      for (i, n) in seq.enumerated() { items.append(try YNode(n, path: "\(path)[\(i)]")) }
      self = .sequence(items, line: seq.mark?.line)
    case .mapping(let map):
      var pairs: [Pair] = []
      for (k, v) in map {
        guard case .scalar(let ks) = k else {
          throw ConfigError(
            .wrongType, path: path, "mapping keys must be plain names", line: k.mark?.line)
        }
        pairs.append(
          Pair(key: ks.string, value: try YNode(v, path: "\(path).\(ks.string)"), line: ks.mark?.line))
      }
      self = .mapping(pairs, line: map.mark?.line)
    case .alias(let a):
      throw ConfigError(.wrongType, path: path, "YAML aliases are not supported", line: a.mark?.line)
    }
  }
}

// MARK: - Typed reads (each error names `path`)

extension YNode {
  func typeError(_ path: String, _ expected: String) -> ConfigError {
    var shown = ""
    if case .scalar(let s, _, _) = self, !isNull { shown = " '\(s)'" }
    return ConfigError(
      .wrongType, path: path, "expected \(expected), found \(kindName)\(shown)", line: line)
  }

  /// Any non-null scalar, as text.
  func string(_ path: String) throws -> String {
    guard case .scalar(let s, _, _) = self, !isNull else { throw typeError(path, "a string") }
    return s
  }

  func int(_ path: String) throws -> Int {
    guard case .scalar(let s, _, _) = self, !isNull,
      let v = Int(s.replacingOccurrences(of: "_", with: ""))
    else { throw typeError(path, "an integer") }
    return v
  }

  func double(_ path: String) throws -> Double {
    guard case .scalar(let s, _, _) = self, !isNull,
      let v = Double(s.replacingOccurrences(of: "_", with: "")), v.isFinite
    else { throw typeError(path, "a number") }
    return v
  }

  func bool(_ path: String) throws -> Bool {
    guard case .scalar(let s, _, _) = self else { throw typeError(path, "true or false") }
    switch s.lowercased() {
    case "true", "yes", "on", "1": return true
    case "false", "no", "off", "0": return false
    default: throw typeError(path, "true or false")
    }
  }

  /// A list of non-null scalars; a single scalar is a one-element list.
  func stringList(_ path: String) throws -> [String] {
    switch self {
    case .scalar:
      return [try string(path)]
    case .sequence(let items, _):
      return try items.enumerated().map { i, n in try n.string("\(path)[\(i)]") }
    case .mapping:
      throw typeError(path, "a list of strings")
    }
  }
}
