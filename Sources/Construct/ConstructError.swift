/// A construction failure that says what is wrong and where: the file, the row, the config key
/// (as a JSON path such as `nodes[0].features[1].transform.name`) or the flag.
///
/// `isBadInput` separates the user's mistakes (exit code 2: config, data, flags) from runtime
/// failures such as a full disk (exit code 1).
public struct ConstructError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Code: String, Sendable {
    /// The gconstruct JSON: a missing key, a wrong type, an impossible value.
    case badConfig
    /// A command-line flag.
    case badFlag
    /// The input tables: a missing file or column, a value that does not fit.
    case badData
    /// Reading or writing failed for a reason other than the input's content.
    case io
    /// METIS refused or failed.
    case partition
  }

  public var code: Code
  public var message: String
  /// The file the problem is in (input table, config file, output folder).
  public var file: String?
  /// 1-based data row of `file` (the header row of a CSV file is not counted).
  public var row: Int?
  /// The config key path or flag.
  public var key: String?

  public init(_ code: Code, _ message: String, file: String? = nil, row: Int? = nil, key: String? = nil) {
    self.code = code
    self.message = message
    self.file = file
    self.row = row
    self.key = key
  }

  public var isBadInput: Bool {
    switch code {
    case .badConfig, .badFlag, .badData: return true
    case .io, .partition: return false
    }
  }

  public var description: String {
    var where_: [String] = []
    if let file { where_.append(file) }
    if let row { where_.append("row \(row)") }
    if let key { where_.append(code == .badFlag ? key : "key '\(key)'") }
    return where_.isEmpty ? message : where_.joined(separator: ", ") + ": " + message
  }

  static func config(_ key: String, _ message: String, file: String? = nil) -> ConstructError {
    ConstructError(.badConfig, message, file: file, key: key)
  }

  static func data(_ file: String, row: Int? = nil, _ message: String) -> ConstructError {
    ConstructError(.badData, message, file: file, row: row)
  }
}
