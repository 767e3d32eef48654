/// Page headers (`PageHeader` and its per-kind headers from `parquet.thrift`).

public struct DataPageHeader: Sendable, Equatable {
  public var numValues: Int32 = 0                 // 1
  public var encoding: Int32 = 0                  // 2 (raw ColumnEncoding)
  public var definitionLevelEncoding: Int32 = 3   // 3
  public var repetitionLevelEncoding: Int32 = 3   // 4
  public var statistics: Statistics?              // 5

  public init() {}
}

public struct DataPageHeaderV2: Sendable, Equatable {
  public var numValues: Int32 = 0                  // 1
  public var numNulls: Int32 = 0                   // 2
  public var numRows: Int32 = 0                    // 3
  public var encoding: Int32 = 0                   // 4
  public var definitionLevelsByteLength: Int32 = 0 // 5
  public var repetitionLevelsByteLength: Int32 = 0 // 6
  public var isCompressed: Bool = true             // 7
  public var statistics: Statistics?               // 8

  public init() {}
}

public struct DictionaryPageHeader: Sendable, Equatable {
  public var numValues: Int32 = 0 // 1
  public var encoding: Int32 = 0  // 2
  public var isSorted: Bool?      // 3

  public init() {}
}

public struct PageHeader: Sendable, Equatable {
  /// Raw page type; unknown values are kept so the page can be skipped by its size.
  public var type: Int32 = 0                     // 1
  public var uncompressedPageSize: Int32 = 0     // 2
  public var compressedPageSize: Int32 = 0       // 3
  public var crc: Int32?                         // 4
  public var dataPage: DataPageHeader?           // 5
  public var dictionaryPage: DictionaryPageHeader? // 7
  public var dataPageV2: DataPageHeaderV2?       // 8

  public init() {}

  public var pageType: PageType? { PageType(rawValue: type) }

  /// Decodes a page header starting at `offset`; returns it and the header's length in bytes.
  public static func decode(_ bytes: [UInt8], at offset: Int, end: Int? = nil) throws
    -> (PageHeader, Int)
  {
    var r = ThriftReader(bytes, from: offset, to: end)
    let h = try read(&r)
    return (h, r.position - offset)
  }

  public func encode() -> [UInt8] {
    var w = ThriftWriter()
    w.writeStruct { write(&$0) }
    return w.bytes
  }

  static func read(_ r: inout ThriftReader) throws -> PageHeader {
    var h = PageHeader()
    var sawSizes = 0
    try r.readStruct { r, id, t in
      switch id {
      case 1: h.type = try r.i32(t, "PageHeader.type")
      case 2: h.uncompressedPageSize = try r.i32(t, "uncompressed_page_size"); sawSizes += 1
      case 3: h.compressedPageSize = try r.i32(t, "compressed_page_size"); sawSizes += 1
      case 4: h.crc = try r.i32(t, "PageHeader.crc")
      case 5: h.dataPage = try r.structure(t, "data_page_header") { try readV1(&$0) }
      case 7: h.dictionaryPage = try r.structure(t, "dictionary_page_header") { try readDict(&$0) }
      case 8: h.dataPageV2 = try r.structure(t, "data_page_header_v2") { try readV2(&$0) }
      default: try r.skip(t)
      }
    }
    guard sawSizes == 2, h.uncompressedPageSize >= 0, h.compressedPageSize >= 0 else {
      throw ParquetError(.corrupt, "page header without valid page sizes")
    }
    return h
  }

  private static func readV1(_ r: inout ThriftReader) throws -> DataPageHeader {
    var d = DataPageHeader()
    try r.readStruct { r, id, t in
      switch id {
      case 1: d.numValues = try r.i32(t, "DataPageHeader.num_values")
      case 2: d.encoding = try r.i32(t, "DataPageHeader.encoding")
      case 3: d.definitionLevelEncoding = try r.i32(t, "definition_level_encoding")
      case 4: d.repetitionLevelEncoding = try r.i32(t, "repetition_level_encoding")
      case 5: d.statistics = try r.structure(t, "statistics") { try Statistics.read(&$0) }
      default: try r.skip(t)
      }
    }
    return d
  }

  private static func readV2(_ r: inout ThriftReader) throws -> DataPageHeaderV2 {
    var d = DataPageHeaderV2()
    try r.readStruct { r, id, t in
      switch id {
      case 1: d.numValues = try r.i32(t, "DataPageHeaderV2.num_values")
      case 2: d.numNulls = try r.i32(t, "DataPageHeaderV2.num_nulls")
      case 3: d.numRows = try r.i32(t, "DataPageHeaderV2.num_rows")
      case 4: d.encoding = try r.i32(t, "DataPageHeaderV2.encoding")
      case 5: d.definitionLevelsByteLength = try r.i32(t, "definition_levels_byte_length")
      case 6: d.repetitionLevelsByteLength = try r.i32(t, "repetition_levels_byte_length")
      case 7: d.isCompressed = try r.bool(t, "is_compressed")
      case 8: d.statistics = try r.structure(t, "statistics") { try Statistics.read(&$0) }
      default: try r.skip(t)
      }
    }
    return d
  }

  private static func readDict(_ r: inout ThriftReader) throws -> DictionaryPageHeader {
    var d = DictionaryPageHeader()
    try r.readStruct { r, id, t in
      switch id {
      case 1: d.numValues = try r.i32(t, "DictionaryPageHeader.num_values")
      case 2: d.encoding = try r.i32(t, "DictionaryPageHeader.encoding")
      case 3: d.isSorted = try r.bool(t, "is_sorted")
      default: try r.skip(t)
      }
    }
    return d
  }

  func write(_ w: inout ThriftWriter) {
    w.field(1, i32: type)
    w.field(2, i32: uncompressedPageSize)
    w.field(3, i32: compressedPageSize)
    if let crc { w.field(4, i32: crc) }
    if let d = dataPage {
      w.field(5) { w in
        w.field(1, i32: d.numValues)
        w.field(2, i32: d.encoding)
        w.field(3, i32: d.definitionLevelEncoding)
        w.field(4, i32: d.repetitionLevelEncoding)
        if let s = d.statistics { w.fieldHeader(5, .struct); s.write(&w) }
      }
    }
    if let d = dictionaryPage {
      w.field(7) { w in
        w.field(1, i32: d.numValues)
        w.field(2, i32: d.encoding)
        if let s = d.isSorted { w.field(3, bool: s) }
      }
    }
    if let d = dataPageV2 {
      w.field(8) { w in
        w.field(1, i32: d.numValues)
        w.field(2, i32: d.numNulls)
        w.field(3, i32: d.numRows)
        w.field(4, i32: d.encoding)
        w.field(5, i32: d.definitionLevelsByteLength)
        w.field(6, i32: d.repetitionLevelsByteLength)
        w.field(7, bool: d.isCompressed)
        if let s = d.statistics { w.fieldHeader(8, .struct); s.write(&w) }
      }
    }
  }
}
