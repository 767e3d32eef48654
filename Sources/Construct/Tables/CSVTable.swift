import Foundation

/// A CSV file with a header row (RFC 4180 quoting: fields in `"…"` may hold the separator,
/// newlines and `""` for a quote). Blank lines are skipped. An empty unquoted field is null.
///
/// Column types are inferred per column when read: integers if every non-null field parses as
/// an Int64, else floats if every one parses as a Double, else strings. Vector columns do not
/// exist in CSV; several scalar columns in `feature_col` make a vector feature.
public final class CSVTable: TableSource {
  public let path: String
  public let columnNames: [String]
  public private(set) var rowCount: Int
  /// Per column: every field (raw text) and whether it is null.
  private var cells: [[String]]
  private var nulls: [[Bool]]

  public init(path: String, separator: UInt8 = UInt8(ascii: ",")) throws {
    self.path = path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
      throw ConstructError(.badData, "the input file does not exist", file: path)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConstructError(.io, "cannot read the input file", file: path)
    }
    var header: [String]?
    var cells: [[String]] = []
    var nulls: [[Bool]] = []
    var rows = 0
    do {
    try CSVTable.parse(data, separator: separator) { fields, isNull, line in
      guard let h = header else {
        header = fields
        cells = Array(repeating: [], count: fields.count)
        nulls = Array(repeating: [], count: fields.count)
        return
      }
      guard fields.count == h.count else {
        throw ConstructError.data(path, row: rows + 1, "has \(fields.count) fields, the header has \(h.count) (line \(line))")
      }
      for c in 0..<fields.count {
        cells[c].append(fields[c])
        nulls[c].append(isNull[c])
      }
      rows += 1
    }
    } catch var e as ConstructError {
      if e.file == nil { e.file = path }
      throw e
    }
    guard let header else { throw ConstructError.data(path, "the file is empty (a CSV input needs a header row)") }
    if let dup = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
      throw ConstructError.data(path, "the header names column '\(dup)' twice")
    }
    columnNames = header
    rowCount = rows
    self.cells = cells
    self.nulls = nulls
  }

  public func read(_ column: String) throws -> Column {
    guard let c = columnNames.firstIndex(of: column) else { throw TableSources.noSuchColumn(column, in: self) }
    let text = cells[c], isNull = nulls[c]
    let validity: [Bool]? = isNull.contains(true) ? isNull.map { !$0 } : nil
    var ints = [Int64]()
    ints.reserveCapacity(text.count)
    var allInts = true
    for (s, n) in zip(text, isNull) {
      if n { ints.append(0); continue }
      guard let v = Int64(s) else { allInts = false; break }
      ints.append(v)
    }
    if allInts { return Column(name: column, values: .int64(ints), validity: validity) }
    var doubles = [Double]()
    doubles.reserveCapacity(text.count)
    var allDoubles = true
    for (s, n) in zip(text, isNull) {
      if n { doubles.append(.nan); continue }
      guard let v = Double(s.trimmingCharacters(in: .whitespaces)) else { allDoubles = false; break }
      doubles.append(v)
    }
    if allDoubles { return Column(name: column, values: .double(doubles), validity: validity) }
    return Column(name: column, values: .string(text), validity: validity)
  }

  /// Calls `row` with each record's fields, their null flags and the record's first line
  /// number (1-based, counting the header).
  static func parse(_ data: Data, separator: UInt8,
                    row: ([String], [Bool], Int) throws -> Void) throws {
    let quote = UInt8(ascii: "\""), nl = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
      let b = buf.bindMemory(to: UInt8.self)
      let n = b.count
      var i = 0
      var line = 1
      if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }   // UTF-8 BOM
      var fields: [String] = []
      var isNull: [Bool] = []
      var field: [UInt8] = []
      while i < n {
        let recordLine = line
        fields.removeAll(keepingCapacity: true)
        isNull.removeAll(keepingCapacity: true)
        // A blank line is no record.
        if b[i] == nl { i += 1; line += 1; continue }
        if b[i] == cr && i + 1 < n && b[i + 1] == nl { i += 2; line += 1; continue }
        var endOfRecord = false
        while !endOfRecord {
          field.removeAll(keepingCapacity: true)
          var quoted = false
          if i < n && b[i] == quote {
            quoted = true
            i += 1
            var closed = false
            while i < n {
              if b[i] == quote {
                if i + 1 < n && b[i + 1] == quote { field.append(quote); i += 2; continue }
                i += 1
                closed = true
                break
              }
              if b[i] == nl { line += 1 }
              field.append(b[i])
              i += 1
            }
            guard closed else {
              throw ConstructError(.badData, "a quoted field opened on line \(recordLine) is never closed")
            }
          }
          while i < n && b[i] != separator && b[i] != nl {
            if b[i] == cr && (i + 1 == n || b[i + 1] == nl) { i += 1; continue }
            if quoted { throw ConstructError(.badData, "text after a closing quote on line \(line)") }
            field.append(b[i])
            i += 1
          }
          fields.append(String(decoding: field, as: UTF8.self))
          isNull.append(!quoted && field.isEmpty)
          if i < n && b[i] == separator {
            i += 1
            if i == n { fields.append(""); isNull.append(true); endOfRecord = true }
          } else {
            if i < n { i += 1; line += 1 }   // the newline
            endOfRecord = true
          }
        }
        try row(fields, isNull, recordLine)
      }
    }
  }
}
