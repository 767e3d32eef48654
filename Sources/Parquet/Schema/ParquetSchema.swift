/// The schema tree of a file, flattened to its leaf columns (one per column chunk, in order),
/// each with its maximum definition/repetition levels and the shape Gust reads it as.
public struct ParquetSchema: Sendable {
  public let elements: [SchemaElement]
  public let leaves: [LeafColumn]
  /// Names of the top-level fields, in order.
  public let topLevelNames: [String]

  public init(_ elements: [SchemaElement]) throws {
    guard let root = elements.first else { throw ParquetError(.corrupt, "empty schema") }
    self.elements = elements
    var leaves: [LeafColumn] = []
    var topNames: [String] = []
    var index = 1
    // Iterative-ish recursion bounded by the element count; depth limited to avoid abuse.
    func visit(_ chain: [SchemaElement], depth: Int) throws {
      guard depth <= 64 else { throw ParquetError(.corrupt, "schema nested deeper than 64") }
      guard index < elements.count else {
        throw ParquetError(.corrupt, "schema ends before all children of '\(chain.last?.name ?? "")'")
      }
      let e = elements[index]
      index += 1
      let children = Int(e.numChildren ?? 0)
      if depth == 1 { topNames.append(e.name) }
      if e.type != nil && children == 0 {
        leaves.append(LeafColumn(index: leaves.count, chain: chain + [e]))
      } else {
        guard children > 0 else {
          throw ParquetError(.corrupt, "group '\(e.name)' without children and without type")
        }
        guard children <= elements.count - index else {
          throw ParquetError(.corrupt, "group '\(e.name)' claims \(children) children")
        }
        for _ in 0..<children { try visit(chain + [e], depth: depth + 1) }
      }
    }
    let rootChildren = Int(root.numChildren ?? 0)
    guard rootChildren >= 0, rootChildren <= elements.count - 1 else {
      throw ParquetError(.corrupt, "schema root claims \(rootChildren) children")
    }
    for _ in 0..<rootChildren { try visit([], depth: 1) }
    guard index == elements.count else {
      throw ParquetError(.corrupt, "schema has \(elements.count - index) elements outside the tree")
    }
    self.leaves = leaves
    self.topLevelNames = topNames
  }

  /// The leaves a projection name selects: an exact dotted leaf path, or a top-level field (all
  /// leaves under it). Unknown names throw `.noSuchColumn` listing the columns that exist.
  public func resolve(_ name: String) throws -> [LeafColumn] {
    if let leaf = leaves.first(where: { $0.dottedPath == name }) { return [leaf] }
    let under = leaves.filter { $0.path.first == name }
    if !under.isEmpty { return under }
    let prefix = name + "."
    let nested = leaves.filter { $0.dottedPath.hasPrefix(prefix) }
    if !nested.isEmpty { return nested }
    throw ParquetError(
      .noSuchColumn,
      "no column '\(name)'; columns are: \(columnNames.joined(separator: ", "))", column: name)
  }

  /// User-facing column names: the top-level field name when it has one leaf, else dotted paths.
  public var columnNames: [String] {
    var out: [String] = []
    for top in topLevelNames {
      let under = leaves.filter { $0.path.first == top }
      if under.count == 1 { out.append(top) } else { out += under.map(\.dottedPath) }
    }
    return out
  }
}

/// How a leaf column maps to rows.
public enum ColumnShape: Sendable, Equatable {
  /// One value per row (maybe null); optional ancestors (structs) fold into the validity.
  case flat
  /// A list of primitives per row. `listDefinedLevel`: a definition level ≥ this means the list
  /// itself is present (non-null); `elementLevel` (= listDefinedLevel + 1): a slot exists.
  case list(listDefinedLevel: Int16)
  /// A shape Gust does not read; the string says why.
  case unsupported(String)
}

public struct LeafColumn: Sendable {
  /// Index of the column chunk in each row group.
  public let index: Int
  public let path: [String]
  public let element: SchemaElement
  public let maxDefinitionLevel: Int16
  public let maxRepetitionLevel: Int16
  public let shape: ColumnShape
  /// The name a reader reports: the top-level field name for lists and single-leaf fields.
  public let name: String

  public var dottedPath: String { path.joined(separator: ".") }
  public var physicalType: PhysicalType { element.type ?? .int32 }

  init(index: Int, chain: [SchemaElement]) {
    self.index = index
    self.path = chain.map(\.name)
    self.element = chain[chain.count - 1]
    var def: Int16 = 0, rep: Int16 = 0
    for e in chain {
      switch e.repetition ?? .optional {
      case .required: break
      case .optional: def += 1
      case .repeated: def += 1; rep += 1
      }
    }
    // The root's direct children with no repetition are treated as optional above; Parquet
    // requires it for non-root elements, so a missing value is itself unusual but tolerated.
    self.maxDefinitionLevel = def
    self.maxRepetitionLevel = rep
    self.shape = LeafColumn.classify(chain)
    if case .list = shape { self.name = chain[0].name } else { self.name = path.joined(separator: ".") }
  }

  static func classify(_ chain: [SchemaElement]) -> ColumnShape {
    let isMap: (SchemaElement) -> Bool = {
      $0.convertedType == .map || $0.convertedType == .mapKeyValue || $0.logicalType == .map
    }
    let repeated = chain.indices.filter { chain[$0].repetition == .repeated }
    if repeated.isEmpty { return chain.contains(where: isMap) ? .unsupported("maps are not supported") : .flat }
    if repeated.count > 1 {
      return .unsupported(chain.contains(where: isMap) ? "maps are not supported"
                          : "lists of lists are not supported")
    }
    let r = repeated[0]
    // A map is a repeated key_value group of two fields; with the key alone it reads as a list
    // of keys (as pyarrow reads it).
    if chain.contains(where: isMap), (chain[r].numChildren ?? 0) != 1 {
      return .unsupported("maps are not supported")
    }
    // Before the repeated node: at most the list wrapper at top level.
    guard r <= 1 else { return .unsupported("lists inside structs are not supported") }
    if r == 1, (chain[0].numChildren ?? 0) != 1 {
      return .unsupported("a list inside a struct is not supported")
    }
    // After the repeated node: a single chain (one child each) down to the leaf.
    for e in chain[r..<(chain.count - 1)] where (e.numChildren ?? 0) != 1 {
      return .unsupported("lists of structs with several fields are not supported")
    }
    var listDefined: Int16 = 0
    for e in chain[0..<r] where e.repetition == .optional { listDefined += 1 }
    return .list(listDefinedLevel: listDefined)
  }
}
