/// What `ParquetWriter` writes: flat columns of a few physical types and `list<float>` vectors.
public struct ParquetWriterField: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case bool, int32, int64, float, double
    /// UTF-8 strings (BYTE_ARRAY, logical STRING), dictionary-encoded while the dictionary stays
    /// under `ParquetWriterOptions.dictionaryLimitBytes`, else PLAIN.
    case string
    /// `list<float>` in the 3-level form with pyarrow's names (`<name>.list.element`).
    case floatList
  }

  public var name: String
  public var kind: Kind
  /// Nullable column (for lists: the list may be null, and so may each element).
  public var nullable: Bool

  public init(_ name: String, _ kind: Kind, nullable: Bool = false) {
    self.name = name
    self.kind = kind
    self.nullable = nullable
  }

  var physicalType: PhysicalType {
    switch kind {
    case .bool: .boolean
    case .int32: .int32
    case .int64: .int64
    case .float, .floatList: .float
    case .double: .double
    case .string: .byteArray
    }
  }

  /// Schema elements of this field (pre-order), its leaf path and max levels.
  var schemaElements: [SchemaElement] {
    let rep: Repetition = nullable ? .optional : .required
    switch kind {
    case .floatList:
      return [
        SchemaElement(name: name, repetition: rep, numChildren: 1, convertedType: .list,
                      logicalType: .list),
        SchemaElement(name: "list", repetition: .repeated, numChildren: 1),
        SchemaElement(name: "element", type: .float, repetition: .optional),
      ]
    case .string:
      return [SchemaElement(name: name, type: .byteArray, repetition: rep, convertedType: .utf8,
                            logicalType: .string)]
    default:
      return [SchemaElement(name: name, type: physicalType, repetition: rep)]
    }
  }

  var path: [String] { kind == .floatList ? [name, "list", "element"] : [name] }
  var maxDef: Int32 { kind == .floatList ? (nullable ? 3 : 2) : (nullable ? 1 : 0) }
  var maxRep: Int32 { kind == .floatList ? 1 : 0 }
  /// Lists: a definition level ≥ this means the list is present.
  var listDefined: Int32 { nullable ? 1 : 0 }
}

public struct ParquetWriterOptions: Sendable {
  /// `.snappy` (default) or `.uncompressed`; other codecs the Codecs layer can compress work too.
  public var compression: CompressionCodec = .snappy
  /// Rows per row group; each `write` call is cut into row groups of at most this many rows.
  public var rowGroupRows: Int = 1 << 20
  /// Target number of value slots (levels) per data page; pages end at row boundaries.
  public var pageSlots: Int = 1 << 17
  /// A string column falls back to PLAIN when its dictionary would exceed this many bytes.
  public var dictionaryLimitBytes: Int = 1 << 20
  /// Written as the footer's `created_by`.
  public var createdBy: String = "gust parquet writer"
  /// Write a CRC32 into each page header.
  public var pageChecksums: Bool = true

  public init() {}
}
