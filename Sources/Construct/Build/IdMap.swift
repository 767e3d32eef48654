/// Raw node ids of one node type → graph ids `0..<count`, in order of first appearance
/// (SPEC §2). Raw ids are integers or strings; a type whose files disagree (integers in one,
/// strings in another) is kept as strings, integers spelled in decimal. The raw ids stay in
/// graph-id order (`rawIntIds` / `rawStringIds`) for `raw_id_mappings/`.
public final class IdMap {
  public let ntype: String
  public private(set) var isString = false
  public private(set) var rawIntIds: [Int64] = []
  public private(set) var rawStringIds: [String] = []
  private var intIndex: [Int64: Int] = [:]
  private var stringIndex: [String: Int] = [:]
  /// Where each id was first seen, for "duplicate node id" errors: (file, row).
  private var origin: [(file: Int32, row: Int32)] = []
  private var files: [String] = []

  public init(ntype: String) { self.ntype = ntype }

  public var count: Int { isString ? rawStringIds.count : rawIntIds.count }

  /// The raw id of graph id `i`, as text.
  public func rawId(_ i: Int) -> String { isString ? rawStringIds[i] : String(rawIntIds[i]) }

  private func promoteToStrings() {
    guard !isString else { return }
    isString = true
    rawStringIds = rawIntIds.map { String($0) }
    stringIndex = Dictionary(uniqueKeysWithValues: rawStringIds.enumerated().map { ($1, $0) })
    rawIntIds = []
    intIndex = [:]
  }

  private func fileIndex(_ file: String) -> Int32 {
    if files.last != file { files.append(file) }
    return Int32(files.count - 1)
  }

  /// Adds every row of a node file's id column as a new node; a repeated id is an error naming
  /// it and both rows.
  func addNodes(_ col: Column, file: String) throws {
    let f = fileIndex(file)
    try checkIdColumn(col, file: file)
    if case .string = col.values { promoteToStrings() }
    for r in 0..<col.count {
      let (id, isNew) = insert(col, r)
      guard isNew else {
        let o = origin[id]
        throw ConstructError.data(file, row: r + 1,
          "duplicate node id '\(describe(col, r))' of node type '\(ntype)': also in \(files[Int(o.file)]), row \(o.row + 1)")
      }
      origin.append((f, Int32(clamping: r)))
    }
  }

  /// Graph ids of an edge file's endpoint column: existing ids, or — for node types with no
  /// node files (`insert`) — new ids in order of first appearance. `-1` where the id is unknown.
  func lookup(_ col: Column, file: String, insert insertNew: Bool) throws -> [Int64] {
    try checkIdColumn(col, file: file)
    if insertNew, case .string = col.values { promoteToStrings() }
    var out = [Int64](repeating: -1, count: col.count)
    let f = insertNew ? fileIndex(file) : 0
    for r in 0..<col.count {
      if insertNew {
        let (id, isNew) = insert(col, r)
        if isNew { origin.append((f, Int32(clamping: r))) }
        out[r] = Int64(id)
      } else if let id = find(col, r) {
        out[r] = Int64(id)
      }
    }
    return out
  }

  /// Graph id of one raw id given as text or an integer (custom split files).
  func find(raw: Any) -> Int? {
    if let i = raw as? Int64 { return isString ? stringIndex[String(i)] : intIndex[i] }
    if let i = raw as? Int { return isString ? stringIndex[String(i)] : intIndex[Int64(i)] }
    if let s = raw as? String { return isString ? stringIndex[s] : Int64(s).flatMap { intIndex[$0] } }
    return nil
  }

  func describe(_ col: Column, _ r: Int) -> String {
    switch col.values {
    case .int64(let a): return String(a[r])
    case .string(let a): return a[r]
    default: return "?"
    }
  }

  private func checkIdColumn(_ col: Column, file: String) throws {
    switch col.values {
    case .int64, .string: break
    default:
      throw ConstructError.data(file, "id column '\(col.name)' holds \(col.values.typeName) values; ids are integers or strings")
    }
    if let v = col.validity, let r = v.firstIndex(of: false) {
      throw ConstructError.data(file, row: r + 1, "id column '\(col.name)' is null")
    }
  }

  private func insert(_ col: Column, _ r: Int) -> (Int, Bool) {
    if isString {
      let key: String
      switch col.values {
      case .string(let a): key = a[r]
      case .int64(let a): key = String(a[r])
      default: preconditionFailure()
      }
      if let i = stringIndex[key] { return (i, false) }
      stringIndex[key] = rawStringIds.count
      rawStringIds.append(key)
      return (rawStringIds.count - 1, true)
    }
    guard case .int64(let a) = col.values else { preconditionFailure() }
    if let i = intIndex[a[r]] { return (i, false) }
    intIndex[a[r]] = rawIntIds.count
    rawIntIds.append(a[r])
    return (rawIntIds.count - 1, true)
  }

  private func find(_ col: Column, _ r: Int) -> Int? {
    switch col.values {
    case .string(let a): return isString ? stringIndex[a[r]] : Int64(a[r]).flatMap { intIndex[$0] }
    case .int64(let a): return isString ? stringIndex[String(a[r])] : intIndex[a[r]]
    default: return nil
    }
  }
}
