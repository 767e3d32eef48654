#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Many files of one table read as one stream of row groups: a list of paths, a directory (its
/// `*.parquet` files, sorted by name) or a glob pattern. All files must share one schema (leaf
/// paths, physical types and repetitions); a mismatch is an error naming the file. Files are
/// opened one at a time while streaming, so only one footer beside the first is held.
public struct ParquetDataset {
  public let paths: [String]
  /// The schema of the first file, which every other file must match.
  public let schema: ParquetSchema

  public init(paths: [String]) throws {
    guard let first = paths.first else {
      throw ParquetError(.invalidArgument, "a dataset needs at least one file")
    }
    self.paths = paths
    self.schema = try ParquetFile.open(first).schema
  }

  /// A directory's `*.parquet` files (sorted), or the files a glob pattern matches (sorted), or
  /// a single file.
  public init(_ location: String) throws {
    try self.init(paths: try ParquetDataset.expand(location))
  }

  public static func expand(_ location: String) throws -> [String] {
    var st = stat()
    if stat(location, &st) == 0 {
      if (st.st_mode & S_IFMT) == S_IFDIR {
        let dir = location.hasSuffix("/") ? String(location.dropLast()) : location
        let files = try glob(dir.replacingOccurrences(of: "[", with: "[[]") + "/*.parquet")
        guard !files.isEmpty else {
          throw ParquetError(.io, "no *.parquet files in the directory", file: location)
        }
        return files
      }
      return [location]
    }
    let files = try glob(location)
    guard !files.isEmpty else {
      throw ParquetError(.io, "no file matches", file: location)
    }
    return files
  }

  static func glob(_ pattern: String) throws -> [String] {
    var g = glob_t()
    defer { globfree(&g) }
    let rc = Glibc.glob(pattern, 0, nil, &g)
    if rc == GLOB_NOMATCH { return [] }
    guard rc == 0 else { throw ParquetError(.io, "glob failed (\(rc))", file: pattern) }
    var out: [String] = []
    for i in 0..<Int(g.gl_pathc) {
      if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
    }
    return out.sorted()
  }

  /// Calls `body` with each row group's columns (projection `columns`), file by file, in order.
  /// `body` gets the file path and the row group index within that file.
  public func forEachRowGroup(
    columns: [String], _ body: (_ file: String, _ rowGroup: Int, [ColumnData]) throws -> Void
  ) throws {
    for path in paths {
      let f = try ParquetFile.open(path)
      try checkSchema(f)
      let leaves = try f.resolve(columns)
      for g in 0..<f.rowGroups.count {
        try body(path, g, try leaves.map { try f.readColumn($0, rowGroup: g) })
      }
    }
  }

  /// Every row of the projection, concatenated over files and row groups: each column decoded
  /// straight into one output (no per-row-group pieces copied together).
  public func readAll(columns: [String]) throws -> [ColumnData] {
    let first = try ParquetFile.open(paths[0])
    let leaves = try first.resolve(columns)
    var decoders = try leaves.map { try ChunkDecoder(leaf: $0) }
    for (k, path) in paths.enumerated() {
      let f = k == 0 ? first : try ParquetFile.open(path)
      try checkSchema(f)
      let fileLeaves = try f.resolve(columns)
      for g in 0..<f.rowGroups.count {
        for i in fileLeaves.indices { try f.decode(fileLeaves[i], rowGroup: g, into: &decoders[i]) }
      }
    }
    return try decoders.indices.map { i in
      do { return try decoders[i].finish() } catch let e as ParquetError {
        throw e.with(file: paths[0], column: leaves[i].dottedPath)
      }
    }
  }

  /// Total rows over all files (opens each footer).
  public func rowCount() throws -> Int {
    var n = 0
    for p in paths {
      let f = try ParquetFile.open(p)
      try checkSchema(f)
      n += f.rowCount
    }
    return n
  }

  private func checkSchema(_ f: ParquetFile) throws {
    let a = schema.leaves, b = f.schema.leaves
    func sig(_ l: LeafColumn) -> String {
      "\(l.dottedPath):\(l.physicalType):\(l.maxDefinitionLevel):\(l.maxRepetitionLevel)"
    }
    guard a.count == b.count, zip(a, b).allSatisfy({ sig($0) == sig($1) }) else {
      let mine = a.map(sig), theirs = b.map(sig)
      let diff = theirs.first { !mine.contains($0) } ?? mine.first { !theirs.contains($0) } ?? ""
      throw ParquetError(.invalidArgument,
                         "schema differs from the dataset's first file (\(paths[0])): \(diff)",
                         file: f.path)
    }
  }
}
