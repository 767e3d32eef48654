/// Every failure the Parquet target reports: what went wrong, and where — the file, the column
/// (dotted path), the row group and page when known. Input can never crash the reader: lengths
/// and counts read from a file are checked against what is left of it before anything is
/// allocated.
public struct ParquetError: Error, Equatable, CustomStringConvertible, Sendable {
  public enum Kind: String, Sendable {
    case io              // cannot open / read / write the file
    case notParquet      // bad magic, footer too short
    case corrupt         // structure or lengths inconsistent with the file
    case unsupported     // a valid Parquet feature Gust does not read (codec, nesting, ...)
    case noSuchColumn    // projection names a column the schema lacks
    case checksum        // page CRC mismatch
    case invalidArgument // API misuse with user-provided values (writer schema, ...)
  }

  public var kind: Kind
  public var message: String
  public var file: String?
  public var column: String?
  public var rowGroup: Int?
  public var page: Int?

  public init(_ kind: Kind, _ message: String, file: String? = nil, column: String? = nil,
              rowGroup: Int? = nil, page: Int? = nil) {
    self.kind = kind
    self.message = message
    self.file = file
    self.column = column
    self.rowGroup = rowGroup
    self.page = page
  }

  /// The same error with missing context filled in (inner layers know less than outer ones).
  public func with(file: String? = nil, column: String? = nil, rowGroup: Int? = nil,
                   page: Int? = nil) -> ParquetError {
    var e = self
    if e.file == nil { e.file = file }
    if e.column == nil { e.column = column }
    if e.rowGroup == nil { e.rowGroup = rowGroup }
    if e.page == nil { e.page = page }
    return e
  }

  public var description: String {
    var where_: [String] = []
    if let file { where_.append(file) }
    if let column { where_.append("column '\(column)'") }
    if let rowGroup { where_.append("row group \(rowGroup)") }
    if let page { where_.append("page \(page)") }
    let prefix = where_.isEmpty ? "" : where_.joined(separator: ", ") + ": "
    return "parquet: \(prefix)\(kind.rawValue): \(message)"
  }
}
