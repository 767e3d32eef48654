/// Input tables, whatever their format: a file's column names and its named columns as typed
/// arrays. Construction asks only for the columns the config names (projection), one at a time.
///
/// An adapter for a new format implements `columnNames`, `rowCount` and `read(_:)` and maps its
/// column types onto `ColumnValues`:
/// - integer columns (int8…int64, uint) → `.int64`; float/double/decimal → `.double`;
///   strings → `.string`; bool → `.int64` (0/1);
/// - list / fixed-size-list columns of numbers → `.vectors` through `Column.vectors(...)`, which
///   checks that every row has the same length (and names the row that does not).
/// Nulls go into `validity`; null slots hold any value (0, "", NaN).
public protocol TableSource: AnyObject {
  /// The file, as errors should name it.
  var path: String { get }
  var columnNames: [String] { get }
  var rowCount: Int { get }
  /// The whole column. Throws `ConstructError` (`.badData`) when it does not exist
  /// (use `TableSources.noSuchColumn`) or cannot be read.
  func read(_ column: String) throws -> Column
}

public enum ColumnValues: Equatable, Sendable {
  case int64([Int64])
  case double([Double])
  case string([String])
  /// `rows × width` floats, row-major.
  case vectors([Float], width: Int)

  public var typeName: String {
    switch self {
    case .int64: return "integer"
    case .double: return "float"
    case .string: return "string"
    case .vectors(_, let w): return "vector[\(w)]"
    }
  }
}

/// One column of one file.
public struct Column: Equatable, Sendable {
  public var name: String
  public var values: ColumnValues
  /// `false` where the row is null; `nil` when no row is.
  public var validity: [Bool]?
  public var count: Int

  public init(name: String, values: ColumnValues, validity: [Bool]? = nil) {
    self.name = name
    self.values = values
    self.validity = validity
    switch values {
    case .int64(let a): count = a.count
    case .double(let a): count = a.count
    case .string(let a): count = a.count
    case .vectors(let a, let w): count = w == 0 ? 0 : a.count / w
    }
    if let v = validity { precondition(v.count == count, "column \(name): validity of \(v.count) for \(count) rows") }
  }

  public func isValid(_ row: Int) -> Bool { validity?[row] ?? true }

  /// Builds a vector column from ragged lists (row `i` is `values[offsets[i]..<offsets[i+1]]`),
  /// checking that every non-null row has the same length. Null rows become NaN rows.
  public static func vectors(name: String, file: String, values: [Float], offsets: [Int],
                             validity: [Bool]? = nil) throws -> Column {
    let rows = offsets.count - 1
    var width: Int?
    var firstRow = 0
    for r in 0..<rows where validity?[r] ?? true {
      let n = offsets[r + 1] - offsets[r]
      if let w = width {
        guard n == w else {
          throw ConstructError.data(file, row: r + 1,
            "column '\(name)' holds vectors of different lengths: \(n) here, \(w) in row \(firstRow + 1)")
        }
      } else {
        width = n
        firstRow = r
      }
    }
    let w = width ?? 0
    guard w > 0 || rows == 0 else {
      throw ConstructError.data(file, row: firstRow + 1, "column '\(name)' holds empty vectors")
    }
    var out = [Float]()
    out.reserveCapacity(rows * w)
    for r in 0..<rows {
      if validity?[r] ?? true {
        out.append(contentsOf: values[offsets[r]..<offsets[r + 1]])
      } else {
        out.append(contentsOf: repeatElement(Float.nan, count: w))
      }
    }
    return Column(name: name, values: .vectors(out, width: max(w, 1)), validity: validity)
  }
}

/// Opens a file of a given format. Construction takes one of these so that formats can be added
/// (the Parquet adapter) without touching the pipeline, and tests can feed in-memory tables.
public typealias TableOpener = @Sendable (TableFormat, String) throws -> TableSource

public enum TableSources {
  /// CSV through `CSVTable`, Parquet through `ParquetTable`.
  public static let standard: TableOpener = { format, path in
    switch format {
    case .csv(let sep): return try CSVTable(path: path, separator: sep)
    case .parquet: return try ParquetTable(path: path)
    }
  }

  /// The error for a column that does not exist, listing those that do.
  public static func noSuchColumn(_ name: String, in source: TableSource) -> ConstructError {
    ConstructError.data(source.path, "column '\(name)' does not exist (columns: \(source.columnNames.joined(separator: ", ")))")
  }
}
