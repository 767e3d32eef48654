import Parquet

/// A Parquet file as a `TableSource`: columns read one at a time (projection), every row group
/// concatenated. Integers (8–64 bit, bool, date, timestamp) → `.int64`; float/double/decimal →
/// `.double`; strings and binary → `.string`; `list<number>` and `fixed_size_list` → `.vectors`,
/// checked for equal lengths (null elements become NaN, which feature validation reports).
public final class ParquetTable: TableSource {
  public let path: String
  private let file: ParquetFile

  public init(path: String) throws {
    self.path = path
    do { file = try ParquetFile.open(path) } catch let e as ParquetError { throw ParquetTable.convert(e, path) }
  }

  public var columnNames: [String] { file.columnNames }
  public var rowCount: Int { file.rowCount }

  public func read(_ column: String) throws -> Column {
    guard columnNames.contains(column) else { throw TableSources.noSuchColumn(column, in: self) }
    let data: ColumnData
    do {
      let cols = try file.readAll(columns: [column])
      guard cols.count == 1 else {
        throw ConstructError.data(path, "column '\(column)' is a struct of \(cols.count) columns; name one of its leaves")
      }
      data = cols[0]
    } catch let e as ParquetError {
      throw ParquetTable.convert(e, path)
    }
    if let offsets = data.listOffsets {
      let elements: [Float]
      switch data.values {
      case .float(let v): elements = v
      case .double(let v): elements = v.map { Float($0) }
      case .int32(let v): elements = v.map { Float($0) }
      case .int64(let v): elements = v.map { Float($0) }
      default: throw ConstructError.data(path, "column '\(column)' is a list of non-numbers; vector features need numbers")
      }
      var values = elements
      if let v = data.validity { for i in values.indices where !v[i] { values[i] = .nan } }
      return try Column.vectors(name: column, file: path, values: values, offsets: offsets.map { Int($0) },
                                validity: data.listValidity)
    }
    let values: ColumnValues
    switch data.values {
    case .bool(let v): values = .int64(v.map { $0 ? 1 : 0 })
    case .int32(let v), .date(let v): values = .int64(v.map { Int64($0) })
    case .int64(let v), .timestamp(let v, _): values = .int64(v)
    case .uint64(let v):
      if let i = v.firstIndex(where: { $0 > UInt64(Int64.max) }) {
        throw ConstructError.data(path, row: i + 1, "column '\(column)' holds \(v[i]), beyond Int64")
      }
      values = .int64(v.map { Int64($0) })
    case .float(let v): values = .double(v.map { Double($0) })
    case .double(let v): values = .double(v)
    case .string, .binary: values = .string(data.values.strings ?? [])
    case .fixedBinary: throw ConstructError.data(path, "column '\(column)' is fixed-length binary, which Gust does not read as ids, features or labels")
    }
    return Column(name: column, values: values, validity: data.validity.flatMap { $0.contains(false) ? $0 : nil })
  }

  static func convert(_ e: ParquetError, _ path: String) -> ConstructError {
    ConstructError(e.kind == .io ? .io : .badData, e.description, file: e.file == nil ? path : nil)
  }
}
