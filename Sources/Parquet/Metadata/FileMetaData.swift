/// The footer structures of `parquet.thrift` that Gust reads and writes. Field ids follow the
/// spec; fields Gust does not use are skipped when reading and not written.

public struct Statistics: Sendable, Equatable {
  public var max: [UInt8]?         // 1 (deprecated, signed order)
  public var min: [UInt8]?         // 2 (deprecated)
  public var nullCount: Int64?     // 3
  public var distinctCount: Int64? // 4
  public var maxValue: [UInt8]?    // 5
  public var minValue: [UInt8]?    // 6

  public init(max: [UInt8]? = nil, min: [UInt8]? = nil, nullCount: Int64? = nil,
              distinctCount: Int64? = nil, maxValue: [UInt8]? = nil, minValue: [UInt8]? = nil) {
    self.max = max
    self.min = min
    self.nullCount = nullCount
    self.distinctCount = distinctCount
    self.maxValue = maxValue
    self.minValue = minValue
  }

  static func read(_ r: inout ThriftReader) throws -> Statistics {
    var s = Statistics()
    try r.readStruct { r, id, t in
      switch id {
      case 1: s.max = try r.binary(t, "Statistics.max")
      case 2: s.min = try r.binary(t, "Statistics.min")
      case 3: s.nullCount = try r.i64(t, "Statistics.null_count")
      case 4: s.distinctCount = try r.i64(t, "Statistics.distinct_count")
      case 5: s.maxValue = try r.binary(t, "Statistics.max_value")
      case 6: s.minValue = try r.binary(t, "Statistics.min_value")
      default: try r.skip(t)
      }
    }
    return s
  }

  func write(_ w: inout ThriftWriter) {
    w.writeStruct { w in
      if let max { w.field(1, binary: max) }
      if let min { w.field(2, binary: min) }
      if let nullCount { w.field(3, i64: nullCount) }
      if let distinctCount { w.field(4, i64: distinctCount) }
      if let maxValue { w.field(5, binary: maxValue) }
      if let minValue { w.field(6, binary: minValue) }
    }
  }
}

public struct KeyValue: Sendable, Equatable {
  public var key: String
  public var value: String?

  public init(key: String, value: String?) {
    self.key = key
    self.value = value
  }

  static func read(_ r: inout ThriftReader) throws -> KeyValue {
    var kv = KeyValue(key: "", value: nil)
    try r.readStruct { r, id, t in
      switch id {
      case 1: kv.key = try r.string(t, "KeyValue.key")
      case 2: kv.value = try r.string(t, "KeyValue.value")
      default: try r.skip(t)
      }
    }
    return kv
  }

  func write(_ w: inout ThriftWriter) {
    w.field(1, string: key)
    if let value { w.field(2, string: value) }
  }
}

public struct SchemaElement: Sendable, Equatable {
  public var type: PhysicalType?          // 1
  public var typeLength: Int32?           // 2
  public var repetition: Repetition?      // 3
  public var name: String                 // 4
  public var numChildren: Int32?          // 5
  public var convertedType: ConvertedType? // 6
  public var scale: Int32?                // 7
  public var precision: Int32?            // 8
  public var fieldId: Int32?              // 9
  public var logicalType: LogicalType?    // 10

  public init(name: String, type: PhysicalType? = nil, typeLength: Int32? = nil,
              repetition: Repetition? = nil, numChildren: Int32? = nil,
              convertedType: ConvertedType? = nil, scale: Int32? = nil, precision: Int32? = nil,
              fieldId: Int32? = nil, logicalType: LogicalType? = nil) {
    self.name = name
    self.type = type
    self.typeLength = typeLength
    self.repetition = repetition
    self.numChildren = numChildren
    self.convertedType = convertedType
    self.scale = scale
    self.precision = precision
    self.fieldId = fieldId
    self.logicalType = logicalType
  }

  static func read(_ r: inout ThriftReader) throws -> SchemaElement {
    var e = SchemaElement(name: "")
    try r.readStruct { r, id, t in
      switch id {
      case 1:
        let v = try r.i32(t, "SchemaElement.type")
        guard let p = PhysicalType(rawValue: v) else {
          throw ParquetError(.corrupt, "unknown physical type \(v)")
        }
        e.type = p
      case 2: e.typeLength = try r.i32(t, "SchemaElement.type_length")
      case 3:
        let v = try r.i32(t, "SchemaElement.repetition_type")
        guard let rep = Repetition(rawValue: v) else {
          throw ParquetError(.corrupt, "unknown repetition type \(v)")
        }
        e.repetition = rep
      case 4: e.name = try r.string(t, "SchemaElement.name")
      case 5: e.numChildren = try r.i32(t, "SchemaElement.num_children")
      case 6: e.convertedType = ConvertedType(rawValue: try r.i32(t, "converted_type"))
      case 7: e.scale = try r.i32(t, "SchemaElement.scale")
      case 8: e.precision = try r.i32(t, "SchemaElement.precision")
      case 9: e.fieldId = try r.i32(t, "SchemaElement.field_id")
      case 10:
        try r.expect(t, .struct, "SchemaElement.logicalType")
        e.logicalType = try LogicalType.read(&r)
      default: try r.skip(t)
      }
    }
    return e
  }

  func write(_ w: inout ThriftWriter) {
    if let type { w.field(1, i32: type.rawValue) }
    if let typeLength { w.field(2, i32: typeLength) }
    if let repetition { w.field(3, i32: repetition.rawValue) }
    w.field(4, string: name)
    if let numChildren { w.field(5, i32: numChildren) }
    if let convertedType { w.field(6, i32: convertedType.rawValue) }
    if let scale { w.field(7, i32: scale) }
    if let precision { w.field(8, i32: precision) }
    if let fieldId { w.field(9, i32: fieldId) }
    if let logicalType {
      w.fieldHeader(10, .struct)
      logicalType.write(&w)
    }
  }
}

public struct ColumnMetaData: Sendable, Equatable {
  public var type: PhysicalType = .int32      // 1
  public var encodings: [Int32] = []          // 2 (raw ColumnEncoding values)
  public var pathInSchema: [String] = []      // 3
  public var codec: Int32 = 0                 // 4 (raw CompressionCodec value)
  public var numValues: Int64 = 0             // 5
  public var totalUncompressedSize: Int64 = 0 // 6
  public var totalCompressedSize: Int64 = 0   // 7
  public var keyValueMetadata: [KeyValue]?    // 8
  public var dataPageOffset: Int64 = 0        // 9
  public var indexPageOffset: Int64?          // 10
  public var dictionaryPageOffset: Int64?     // 11
  public var statistics: Statistics?          // 12

  public init() {}

  static func read(_ r: inout ThriftReader) throws -> ColumnMetaData {
    var m = ColumnMetaData()
    try r.readStruct { r, id, t in
      switch id {
      case 1:
        let v = try r.i32(t, "ColumnMetaData.type")
        guard let p = PhysicalType(rawValue: v) else {
          throw ParquetError(.corrupt, "unknown physical type \(v)")
        }
        m.type = p
      case 2: m.encodings = try r.list(t, .i32, "encodings") { try $0.readI32() }
      case 3: m.pathInSchema = try r.list(t, .binary, "path_in_schema") { try $0.readString() }
      case 4: m.codec = try r.i32(t, "ColumnMetaData.codec")
      case 5: m.numValues = try r.i64(t, "ColumnMetaData.num_values")
      case 6: m.totalUncompressedSize = try r.i64(t, "total_uncompressed_size")
      case 7: m.totalCompressedSize = try r.i64(t, "total_compressed_size")
      case 8: m.keyValueMetadata = try r.list(t, .struct, "key_value_metadata") {
          try KeyValue.read(&$0)
        }
      case 9: m.dataPageOffset = try r.i64(t, "data_page_offset")
      case 10: m.indexPageOffset = try r.i64(t, "index_page_offset")
      case 11: m.dictionaryPageOffset = try r.i64(t, "dictionary_page_offset")
      case 12:
        try r.expect(t, .struct, "ColumnMetaData.statistics")
        m.statistics = try Statistics.read(&r)
      default: try r.skip(t)
      }
    }
    return m
  }

  func write(_ w: inout ThriftWriter) {
    w.field(1, i32: type.rawValue)
    w.field(2, i32List: encodings)
    w.field(3, stringList: pathInSchema)
    w.field(4, i32: codec)
    w.field(5, i64: numValues)
    w.field(6, i64: totalUncompressedSize)
    w.field(7, i64: totalCompressedSize)
    if let keyValueMetadata {
      w.field(8, structList: keyValueMetadata) { w, kv in kv.write(&w) }
    }
    w.field(9, i64: dataPageOffset)
    if let indexPageOffset { w.field(10, i64: indexPageOffset) }
    if let dictionaryPageOffset { w.field(11, i64: dictionaryPageOffset) }
    if let statistics {
      w.fieldHeader(12, .struct)
      statistics.write(&w)
    }
  }
}

public struct ColumnChunk: Sendable, Equatable {
  public var filePath: String?        // 1
  public var fileOffset: Int64 = 0    // 2
  public var metaData: ColumnMetaData? // 3

  public init(filePath: String? = nil, fileOffset: Int64 = 0, metaData: ColumnMetaData? = nil) {
    self.filePath = filePath
    self.fileOffset = fileOffset
    self.metaData = metaData
  }

  static func read(_ r: inout ThriftReader) throws -> ColumnChunk {
    var c = ColumnChunk()
    try r.readStruct { r, id, t in
      switch id {
      case 1: c.filePath = try r.string(t, "ColumnChunk.file_path")
      case 2: c.fileOffset = try r.i64(t, "ColumnChunk.file_offset")
      case 3:
        try r.expect(t, .struct, "ColumnChunk.meta_data")
        c.metaData = try ColumnMetaData.read(&r)
      default: try r.skip(t)
      }
    }
    return c
  }

  func write(_ w: inout ThriftWriter) {
    if let filePath { w.field(1, string: filePath) }
    w.field(2, i64: fileOffset)
    if let metaData { w.field(3) { metaData.write(&$0) } }
  }
}

public struct RowGroup: Sendable, Equatable {
  public var columns: [ColumnChunk] = [] // 1
  public var totalByteSize: Int64 = 0    // 2
  public var numRows: Int64 = 0          // 3
  public var fileOffset: Int64?          // 5
  public var totalCompressedSize: Int64? // 6
  public var ordinal: Int16?             // 7

  public init() {}

  static func read(_ r: inout ThriftReader) throws -> RowGroup {
    var g = RowGroup()
    try r.readStruct { r, id, t in
      switch id {
      case 1: g.columns = try r.list(t, .struct, "RowGroup.columns") { try ColumnChunk.read(&$0) }
      case 2: g.totalByteSize = try r.i64(t, "RowGroup.total_byte_size")
      case 3: g.numRows = try r.i64(t, "RowGroup.num_rows")
      case 5: g.fileOffset = try r.i64(t, "RowGroup.file_offset")
      case 6: g.totalCompressedSize = try r.i64(t, "RowGroup.total_compressed_size")
      case 7: g.ordinal = try r.i16(t, "RowGroup.ordinal")
      default: try r.skip(t)
      }
    }
    return g
  }

  func write(_ w: inout ThriftWriter) {
    w.field(1, structList: columns) { w, c in c.write(&w) }
    w.field(2, i64: totalByteSize)
    w.field(3, i64: numRows)
    if let fileOffset { w.field(5, i64: fileOffset) }
    if let totalCompressedSize { w.field(6, i64: totalCompressedSize) }
    if let ordinal { w.field(7, i16: ordinal) }
  }
}

public struct FileMetaData: Sendable, Equatable {
  public var version: Int32 = 1               // 1
  public var schema: [SchemaElement] = []     // 2
  public var numRows: Int64 = 0               // 3
  public var rowGroups: [RowGroup] = []       // 4
  public var keyValueMetadata: [KeyValue]?    // 5
  public var createdBy: String?               // 6
  /// 7: one `ColumnOrder` union per leaf column, kept as the member's field id
  /// (1 = TYPE_DEFINED_ORDER, the only one the spec defines).
  public var columnOrders: [Int16]?

  public init() {}

  /// Decodes a footer. Errors carry no file; the caller adds it.
  public static func decode(_ bytes: [UInt8]) throws -> FileMetaData {
    var r = ThriftReader(bytes)
    return try read(&r)
  }

  public func encode() -> [UInt8] {
    var w = ThriftWriter()
    w.writeStruct { write(&$0) }
    return w.bytes
  }

  static func read(_ r: inout ThriftReader) throws -> FileMetaData {
    var f = FileMetaData()
    try r.readStruct { r, id, t in
      switch id {
      case 1: f.version = try r.i32(t, "FileMetaData.version")
      case 2: f.schema = try r.list(t, .struct, "schema") { try SchemaElement.read(&$0) }
      case 3: f.numRows = try r.i64(t, "FileMetaData.num_rows")
      case 4: f.rowGroups = try r.list(t, .struct, "row_groups") { try RowGroup.read(&$0) }
      case 5: f.keyValueMetadata = try r.list(t, .struct, "key_value_metadata") {
          try KeyValue.read(&$0)
        }
      case 6: f.createdBy = try r.string(t, "FileMetaData.created_by")
      case 7: f.columnOrders = try r.list(t, .struct, "column_orders") { r in
          var member: Int16 = 0
          try r.readStruct { r, id, t in member = id; try r.skip(t) }
          return member
        }
      default: try r.skip(t)
      }
    }
    return f
  }

  func write(_ w: inout ThriftWriter) {
    w.field(1, i32: version)
    w.field(2, structList: schema) { w, e in e.write(&w) }
    w.field(3, i64: numRows)
    w.field(4, structList: rowGroups) { w, g in g.write(&w) }
    if let keyValueMetadata {
      w.field(5, structList: keyValueMetadata) { w, kv in kv.write(&w) }
    }
    if let createdBy { w.field(6, string: createdBy) }
    if let columnOrders {
      w.field(7, structList: columnOrders) { w, id in w.field(id, emptyStruct: ()) }
    }
  }
}
