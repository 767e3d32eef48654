#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a Parquet file that pyarrow reads: flat columns and `list<float>` vectors, snappy or
/// uncompressed, data pages v1, statistics per chunk. The file is written to `<path>.tmp-<pid>`
/// and renamed onto `path` by `close()`; a writer dropped without `close()` removes it.
///
///     let w = try ParquetWriter(path: "out.parquet", fields: [.init("id", .int64)])
///     try w.write([ColumnData(name: "id", values: .int64([1, 2, 3]))])
///     try w.close()
public final class ParquetWriter {
  public let path: String
  public let fields: [ParquetWriterField]
  public let options: ParquetWriterOptions
  private let tmpPath: String
  private var fd: Int32
  private var offset = 0
  private var rowGroups: [RowGroup] = []
  private var rows: Int64 = 0
  private var closed = false

  public init(path: String, fields: [ParquetWriterField],
              options: ParquetWriterOptions = ParquetWriterOptions()) throws {
    guard !fields.isEmpty else {
      throw ParquetError(.invalidArgument, "a Parquet file needs at least one column", file: path)
    }
    var seen = Set<String>()
    for f in fields where !seen.insert(f.name).inserted || f.name.isEmpty {
      throw ParquetError(.invalidArgument, "empty or duplicate column name '\(f.name)'",
                         file: path, column: f.name)
    }
    guard options.rowGroupRows > 0, options.pageSlots > 0 else {
      throw ParquetError(.invalidArgument, "rowGroupRows and pageSlots must be positive",
                         file: path)
    }
    self.path = path
    self.fields = fields
    self.options = options
    self.tmpPath = "\(path).tmp-\(getpid())"
    fd = open(tmpPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
      throw ParquetError(.io, "cannot create \(tmpPath): \(String(cString: strerror(errno)))",
                         file: path)
    }
    try writeAll(Array("PAR1".utf8))
  }

  deinit {
    if !closed {
      _ = Glibc.close(fd)
      unlink(tmpPath)
    }
  }

  private func writeAll(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { buf in
      var done = 0
      while done < buf.count {
        let n = Glibc.write(fd, buf.baseAddress! + done, buf.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          throw ParquetError(.io, "write failed: \(String(cString: strerror(errno)))", file: path)
        }
        done += n
      }
    }
    offset += bytes.count
  }

  /// Writes a batch of rows: one `ColumnData` per field, in field order, with equal row counts.
  /// The batch is cut into row groups of at most `options.rowGroupRows` rows.
  public func write(_ columns: [ColumnData]) throws {
    guard !closed else { throw ParquetError(.invalidArgument, "writer is closed", file: path) }
    guard columns.count == fields.count else {
      throw ParquetError(.invalidArgument, "\(columns.count) columns for \(fields.count) fields",
                         file: path)
    }
    let n = columns[0].rowCount
    for (f, c) in zip(fields, columns) {
      try check(c, f)
      guard c.rowCount == n else {
        throw ParquetError(.invalidArgument, "column has \(c.rowCount) rows, first has \(n)",
                           file: path, column: f.name)
      }
    }
    var start = 0
    while start < n {
      let end = min(n, start + options.rowGroupRows)
      try writeRowGroup(columns, rows: start..<end)
      start = end
    }
  }

  private func check(_ c: ColumnData, _ f: ParquetWriterField) throws {
    let ok: Bool
    switch (f.kind, c.values) {
    case (.bool, .bool), (.int32, .int32), (.int64, .int64), (.float, .float),
         (.double, .double), (.string, .string), (.floatList, .float):
      ok = (f.kind == .floatList) == (c.listOffsets != nil)
    default: ok = false
    }
    guard ok else {
      throw ParquetError(.invalidArgument, "values do not match the field type \(f.kind)",
                         file: path, column: f.name)
    }
    if let v = c.validity, v.count != c.values.count {
      throw ParquetError(.invalidArgument, "validity has \(v.count) entries for "
                         + "\(c.values.count) values", file: path, column: f.name)
    }
    if let o = c.listOffsets {
      guard let first = o.first, first == 0, o.last.map({ Int($0) == c.values.count }) ?? false,
            zip(o, o.dropFirst()).allSatisfy({ $0 <= $1 })
      else {
        throw ParquetError(.invalidArgument, "list offsets must rise from 0 to the value count",
                           file: path, column: f.name)
      }
      if let lv = c.listValidity, lv.count != o.count - 1 {
        throw ParquetError(.invalidArgument, "list validity length differs from the row count",
                           file: path, column: f.name)
      }
    }
  }

  private func writeRowGroup(_ columns: [ColumnData], rows: Range<Int>) throws {
    var rg = RowGroup()
    rg.numRows = Int64(rows.count)
    rg.fileOffset = Int64(offset)
    rg.ordinal = Int16(truncatingIfNeeded: rowGroups.count)
    var compressed: Int64 = 0
    for (f, c) in zip(fields, columns) {
      let start = offset
      let (bytes, meta) = try ColumnChunkWriter(field: f, options: options, column: c)
        .write(rows: rows, fileOffset: start)
      try writeAll(bytes)
      rg.columns.append(ColumnChunk(fileOffset: Int64(start), metaData: meta))
      rg.totalByteSize += meta.totalUncompressedSize
      compressed += meta.totalCompressedSize
    }
    rg.totalCompressedSize = compressed
    rowGroups.append(rg)
    self.rows += Int64(rows.count)
  }

  /// Writes the footer, syncs and renames the file into place.
  public func close() throws {
    guard !closed else { return }
    var md = FileMetaData()
    md.version = 1
    md.schema = [SchemaElement(name: "schema", numChildren: Int32(fields.count))]
      + fields.flatMap(\.schemaElements)
    md.numRows = rows
    md.rowGroups = rowGroups
    md.createdBy = options.createdBy
    md.columnOrders = Array(repeating: 1, count: fields.count)
    let footer = md.encode()
    let n = UInt32(footer.count)
    try writeAll(footer + [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff),
                           UInt8(n >> 24)] + Array("PAR1".utf8))
    closed = true
    let synced = fsync(fd) == 0
    let closedOK = Glibc.close(fd) == 0
    guard synced, closedOK, rename(tmpPath, path) == 0 else {
      let msg = String(cString: strerror(errno))
      unlink(tmpPath)
      throw ParquetError(.io, "cannot finish the file: \(msg)", file: path)
    }
  }
}
