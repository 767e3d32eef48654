/// One Parquet file, opened for reading: footer parsed, schema flattened; column data is read
/// on request, one row group's column chunks at a time (with `pread`, never the whole file).
///
///     let f = try ParquetFile.open("t.parquet")
///     for g in 0..<f.rowGroups.count {
///       let cols = try f.read(columns: ["id", "features"], rowGroup: g)
///     }
public final class ParquetFile {
  public let path: String
  public let metadata: FileMetaData
  public let schema: ParquetSchema
  let file: RandomAccessFile

  /// Rows in the file: the sum over row groups (the footer's `num_rows` is not always right).
  public var rowCount: Int { rowGroups.reduce(0) { $0 + Int($1.numRows) } }
  public var rowGroups: [RowGroup] { metadata.rowGroups }
  public var fileSize: Int { file.size }

  /// Upper bound on the footer size, beside the file-size check.
  public static let maxFooterSize = 256 << 20

  init(path: String, file: RandomAccessFile, metadata: FileMetaData, schema: ParquetSchema) {
    self.path = path
    self.file = file
    self.metadata = metadata
    self.schema = schema
  }

  public static func open(_ path: String) throws -> ParquetFile {
    let file = try RandomAccessFile(path: path)
    guard file.size >= 12 else {
      throw ParquetError(.notParquet, "file of \(file.size) bytes is too short for Parquet",
                         file: path)
    }
    let head = try file.read(offset: 0, count: 4)
    let tail = try file.read(offset: file.size - 8, count: 8)
    let magic: [UInt8] = Array("PAR1".utf8)
    if Array(tail[4..<8]) == Array("PARE".utf8) {
      throw ParquetError(.unsupported, "encrypted footer (PARE) is not supported", file: path)
    }
    guard head == magic, Array(tail[4..<8]) == magic else {
      throw ParquetError(.notParquet, "missing PAR1 magic at the start or end", file: path)
    }
    let len = Int(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16
                  | UInt32(tail[3]) << 24)
    guard len > 0, len <= file.size - 12, len <= maxFooterSize else {
      throw ParquetError(.corrupt, "footer length \(len) does not fit the file of \(file.size) bytes",
                         file: path)
    }
    let footer = try file.read(offset: file.size - 8 - len, count: len)
    do {
      let md = try FileMetaData.decode(footer)
      let schema = try ParquetSchema(md.schema)
      try validate(md, schema, fileSize: file.size)
      return ParquetFile(path: path, file: file, metadata: md, schema: schema)
    } catch let e as ParquetError {
      throw e.with(file: path)
    }
  }

  private static func validate(_ md: FileMetaData, _ schema: ParquetSchema, fileSize: Int) throws {
    guard md.numRows >= 0 else { throw ParquetError(.corrupt, "negative row count") }
    var total: Int64 = 0
    for (g, rg) in md.rowGroups.enumerated() {
      guard rg.columns.count == schema.leaves.count else {
        throw ParquetError(.corrupt, "row group has \(rg.columns.count) column chunks, schema has "
                           + "\(schema.leaves.count) columns", rowGroup: g)
      }
      guard rg.numRows >= 0 else { throw ParquetError(.corrupt, "negative row count", rowGroup: g) }
      total = total &+ rg.numRows
    }
    _ = total  // some writers leave num_rows at 0; `rowCount` sums the row groups instead
  }

  /// The column names a projection accepts (see `ParquetSchema.resolve`).
  public var columnNames: [String] { schema.columnNames }

  /// Reads the named columns (projection) of one row group. Each name is a top-level field, or a
  /// dotted leaf path; a top-level struct expands to its leaves.
  public func read(columns names: [String], rowGroup: Int) throws -> [ColumnData] {
    let leaves = try resolve(names)
    return try leaves.map { try readColumn($0, rowGroup: rowGroup) }
  }

  /// Reads the named columns of every row group, concatenated: each column is decoded straight
  /// into one output (sized from the column chunks' metadata), never row group by row group and
  /// then copied together. Holds one row group's compressed chunk at a time beside the output.
  public func readAll(columns names: [String]) throws -> [ColumnData] {
    let leaves = try resolve(names)
    return try leaves.map { leaf in
      var decoder = try ChunkDecoder(leaf: leaf)
      reserve(&decoder, leaf)
      for g in 0..<rowGroups.count { try decode(leaf, rowGroup: g, into: &decoder) }
      do { return try decoder.finish() } catch let e as ParquetError {
        throw e.with(file: path, column: leaf.dottedPath)
      }
    }
  }

  /// Capacity hints from the footer for reading every row group of `leaf`, each bounded by what
  /// the chunks' bytes in the file could hold (a lying footer cannot make a huge allocation).
  func reserve(_ decoder: inout ChunkDecoder, _ leaf: LeafColumn) {
    var values = 0, rows = 0, bytes = 0, stored = 0
    for rg in rowGroups {
      guard let md = rg.columns[leaf.index].metaData else { continue }
      let chunk = Int(clamping: max(0, min(md.totalCompressedSize, Int64(file.size))))
      stored = min(stored + chunk, file.size)
      let bound = chunk.multipliedReportingOverflow(by: 1024)
      let limit = bound.overflow ? Int.max : bound.partialValue
      values += min(Int(clamping: max(0, md.numValues)), limit)
      rows += min(Int(clamping: max(0, rg.numRows)), limit)
      bytes += min(Int(clamping: max(0, md.totalUncompressedSize)), limit)
    }
    // Pages mapped in up front: at most 16x the column's bytes in the file (a dictionary-encoded
    // double column expands ~8x; beyond that, pages fault in as values arrive).
    // And in all at most 1024x the file (chunks of a corrupt footer may overlap).
    let cap = file.size.multipliedReportingOverflow(by: 1024).partialValue
    decoder.reserve(values: min(values, cap), rows: min(rows, cap), bytes: min(bytes, cap),
                    prefaultBytes: 16 * stored)
  }

  /// Resolves names to leaves and checks that each can be read (unsupported shapes throw here,
  /// naming the column; other columns stay readable).
  public func resolve(_ names: [String]) throws -> [LeafColumn] {
    var leaves: [LeafColumn] = []
    for n in names {
      for leaf in try schema.resolve(n).map({ $0 }) {
        if case .unsupported(let why) = leaf.shape {
          throw ParquetError(.unsupported, why, file: path, column: leaf.dottedPath)
        }
        leaves.append(leaf)
      }
    }
    return leaves
  }

  /// Reads one leaf column of one row group: holds that chunk's compressed bytes only.
  public func readColumn(_ leaf: LeafColumn, rowGroup g: Int) throws -> ColumnData {
    var decoder = try ChunkDecoder(leaf: leaf)
    try decode(leaf, rowGroup: g, into: &decoder)
    do { return try decoder.finish() } catch let e as ParquetError {
      throw e.with(file: path, column: leaf.dottedPath, rowGroup: g)
    }
  }

  /// Decodes one row group's chunk of `leaf`, appending to `decoder`.
  func decode(_ leaf: LeafColumn, rowGroup g: Int, into decoder: inout ChunkDecoder) throws {
    guard g >= 0, g < rowGroups.count else {
      throw ParquetError(.invalidArgument, "row group \(g) of \(rowGroups.count)", file: path)
    }
    let rg = rowGroups[g]
    do {
      let chunk = rg.columns[leaf.index]
      guard let md = chunk.metaData else {
        throw ParquetError(.unsupported, "column chunk without inline metadata")
      }
      if let fp = chunk.filePath, !fp.isEmpty {
        throw ParquetError(.unsupported, "column chunk in another file (\(fp))")
      }
      guard md.type == leaf.physicalType else {
        throw ParquetError(.corrupt, "chunk type \(md.type) differs from schema type")
      }
      let (start, length) = try chunkRange(md)
      // The chunk's bytes go to the decoder's reused buffer (one row group's chunk at a time).
      var bytes = decoder.chunkBuffer
      decoder.chunkBuffer = []
      defer { decoder.chunkBuffer = bytes }
      try file.read(offset: start, count: length, into: &bytes)
      try decoder.decodeChunk(bytes, count: length, meta: md, rows: Int(rg.numRows))
    } catch let e as ParquetError {
      throw e.with(file: path, column: leaf.dottedPath, rowGroup: g)
    }
  }

  private func chunkRange(_ md: ColumnMetaData) throws -> (Int, Int) {
    // The chunk starts at its dictionary page when there is one, else at its first data page;
    // an offset inside the leading magic is bogus (some writers put 0) and is ignored.
    let candidates = [md.dictionaryPageOffset, md.dataPageOffset].compactMap { $0 }
      .filter { $0 >= 4 }
    guard let start = candidates.min() else {
      throw ParquetError(.corrupt, "column chunk without a valid page offset")
    }
    var length = md.totalCompressedSize
    guard length >= 0, start <= Int64(file.size), length <= Int64(file.size) - start else {
      throw ParquetError(.corrupt, "column chunk at \(start)+\(length) lies outside the file of "
                         + "\(file.size) bytes")
    }
    // Old parquet-mr (PARQUET-816) left the dictionary page header out of the chunk size:
    // read up to 100 more bytes, as other readers do, within the file.
    if Self.hasDictionarySizeBug(metadata.createdBy) {
      length = min(length + 100, Int64(file.size) - start)
    }
    return (Int(start), Int(length))
  }

  /// parquet-mr before 1.2.9 (or without a version) under-counted dictionary chunks.
  static func hasDictionarySizeBug(_ createdBy: String?) -> Bool {
    guard let c = createdBy, c.hasPrefix("parquet-mr") else { return false }
    guard let r = c.range(of: "version ") else { return true }
    let v = c[r.upperBound...].prefix { $0.isNumber || $0 == "." }.split(separator: ".")
      .map { Int($0) ?? 0 }
    let (a, b, d) = (v.count > 0 ? v[0] : 0, v.count > 1 ? v[1] : 0, v.count > 2 ? v[2] : 0)
    return (a, b, d) < (1, 2, 9)
  }
}
