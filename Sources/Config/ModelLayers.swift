import Foundation

/// `restore_model_layers`: which parts of a checkpoint `restore_model_path` loads (GraphStorm's
/// names, comma-separated; default every layer). What each name means in Gust:
///
///     node_embed    the input layer's dense parameters (`input.*`) and the learnable node
///                   embedding rows (as in GraphStorm, naming the node input layer also loads
///                   its sparse embeddings)
///     dense_embed   the input layer's dense parameters only
///     sparse_embed  the learnable node embedding rows only (held on the graph servers, or by
///                   `LocalGraphAccess` in one process)
///     edge_embed    nothing: Gust has no edge-feature input layer (accepted for GraphStorm's
///                   YAMLs; it neither adds nor removes anything)
///     gnn           the message-passing layers (`encoder.*`)
///     decoder       every task's decoder (`decoder.<task id>.*`); restoring it requires the
///                   checkpoint's task ids to equal the YAML's
///
/// Layers left out keep their seeded initialisation. The optimiser state is loaded only when
/// every layer is (GraphStorm's rule).
public enum ModelLayer: String, CaseIterable, Sendable, Hashable {
  case nodeEmbed = "node_embed"
  case denseEmbed = "dense_embed"
  case sparseEmbed = "sparse_embed"
  case edgeEmbed = "edge_embed"
  case gnn
  case decoder
}

/// The parts of the model a restore loads, resolved from the `ModelLayer` names.
public struct RestoreLayers: Equatable, Sendable, CustomStringConvertible {
  /// The names as given (for messages).
  public var names: [ModelLayer]
  public var inputDense: Bool
  public var sparseEmbeddings: Bool
  public var gnn: Bool
  public var decoder: Bool

  public init(_ names: [ModelLayer]) {
    let s = Set(names)
    self.names = names
    inputDense = s.contains(.nodeEmbed) || s.contains(.denseEmbed)
    sparseEmbeddings = s.contains(.nodeEmbed) || s.contains(.sparseEmbed)
    gnn = s.contains(.gnn)
    decoder = s.contains(.decoder)
  }

  /// GraphStorm's default `node_embed,edge_embed,gnn,decoder`.
  public static let all = RestoreLayers([.nodeEmbed, .edgeEmbed, .gnn, .decoder])

  /// Every part Gust has is restored (then the optimiser state is too).
  public var isAll: Bool { inputDense && sparseEmbeddings && gnn && decoder }

  /// Whether the dense parameter named `name` (a `ParameterArena` name) belongs to a restored
  /// layer: `input.*`, `encoder.*`, `decoder.*`.
  public func includes(parameter name: String) -> Bool {
    if name.hasPrefix("input.") { return inputDense }
    if name.hasPrefix("encoder.") { return gnn }
    if name.hasPrefix("decoder.") { return decoder }
    return true
  }

  public var description: String { names.map(\.rawValue).joined(separator: ",") }

  /// Parses `node_embed,gnn` (spaces around names allowed); an unknown or empty name is an
  /// `invalidValue` at `path` with the closest valid name.
  static func parse(_ text: String, path: String, line: Int?) throws -> RestoreLayers {
    let valid = ModelLayer.allCases.map(\.rawValue)
    var out: [ModelLayer] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let s = part.trimmingCharacters(in: .whitespaces)
      guard let l = ModelLayer(rawValue: s) else {
        throw ConfigError(
          .invalidValue, path: path,
          "'\(s)' is not a model layer (valid: \(valid.joined(separator: ", ")))",
          suggestion: s.isEmpty ? nil : closestName(to: s, in: valid), line: line)
      }
      if !out.contains(l) { out.append(l) }
    }
    return RestoreLayers(out)
  }
}
