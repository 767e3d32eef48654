import Foundation

/// A canonical edge type `(src, rel, dst)`. YAML writes it `"src,rel,dst"`; fanouts write it
/// `src/rel/dst`; task ids join it with `_`.
public struct EdgeType: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var src: String
  public var rel: String
  public var dst: String

  public init(_ src: String, _ rel: String, _ dst: String) {
    self.src = src
    self.rel = rel
    self.dst = dst
  }

  /// `"src,rel,dst"`, as the YAML writes it.
  public var description: String { "\(src),\(rel),\(dst)" }
  /// `src_rel_dst`, the form task ids and output folders use.
  public var joined: String { "\(src)_\(rel)_\(dst)" }

  public static func < (a: EdgeType, b: EdgeType) -> Bool {
    (a.src, a.rel, a.dst) < (b.src, b.rel, b.dst)
  }

  /// Parses `text` split by `separator` into exactly three non-empty names (spaces trimmed).
  static func parse(_ text: String, separator: Character = ",", path: String, line: Int?) throws
    -> EdgeType
  {
    let parts = text.split(separator: separator, omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
      let form = ["src", "rel", "dst"].joined(separator: String(separator))
      throw ConfigError(
        .invalidValue, path: path, "'\(text)' is not an edge type: write it as \"\(form)\"",
        line: line)
    }
    return EdgeType(parts[0], parts[1], parts[2])
  }
}

extension EdgeType {
  static func parseList(_ node: YNode, path: String) throws -> [EdgeType] {
    let texts = try node.stringList(path)
    var out: [EdgeType] = []
    for (i, t) in texts.enumerated() {
      let p = node.isSequence ? "\(path)[\(i)]" : path
      out.append(try EdgeType.parse(t, path: p, line: node.line))
    }
    return out
  }

  /// `reverse_edge_types_map`: a list of `"head,rel,rev_rel,tail"`, meaning the reverse of
  /// `(head, rel, tail)` is `(tail, rev_rel, head)`.
  static func parseReverseMap(_ node: YNode, path: String) throws -> [EdgeType: EdgeType] {
    if node.isNull { return [:] }
    let texts = try node.stringList(path)
    var out: [EdgeType: EdgeType] = [:]
    for (i, t) in texts.enumerated() {
      let p = node.isSequence ? "\(path)[\(i)]" : path
      let parts = t.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty }) else {
        throw ConfigError(
          .invalidValue, path: p,
          "'\(t)' is not a reverse edge type entry: write it as \"head,rel,rev_rel,tail\"",
          line: node.line)
      }
      let fwd = EdgeType(parts[0], parts[1], parts[3])
      if out[fwd] != nil {
        throw ConfigError(.duplicateKey, path: p, "edge type \(fwd) is mapped twice", line: node.line)
      }
      out[fwd] = EdgeType(parts[3], parts[2], parts[0])
    }
    return out
  }
}

extension YNode {
  var isSequence: Bool {
    if case .sequence = self { return true }
    return false
  }
}
