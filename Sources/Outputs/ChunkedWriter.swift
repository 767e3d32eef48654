import Foundation
import Parquet

/// File format of embeddings and predictions (SPEC §5.3).
public enum OutputFormat: String, Sendable, Codable, CaseIterable {
  case parquet, csv
  public var fileExtension: String { rawValue }
}

/// A failure writing or remapping outputs; the message names the file or folder.
public struct OutputError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Code: String, Sendable { case badInput = "bad input", io }
  public var code: Code
  public var message: String
  public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
  public var description: String { message }
}

/// One output column's rows, appended batch by batch into contiguous arrays.
public struct ColumnBuffer: Sendable {
  public enum Kind: Equatable, Sendable {
    case int64, string, float
    /// `list<float>` of a fixed width (embeddings, probability vectors).
    case vector(width: Int)
  }

  public let name: String
  public let kind: Kind
  public internal(set) var ints: [Int64] = []
  public internal(set) var floats: [Float] = []
  /// Strings: value i is `bytes[offsets[i]..<offsets[i+1]]`.
  public internal(set) var offsets: [Int32] = [0]
  public internal(set) var bytes: [UInt8] = []

  public init(_ name: String, _ kind: Kind) {
    self.name = name
    self.kind = kind
  }

  public var rows: Int {
    switch kind {
    case .int64: ints.count
    case .string: offsets.count - 1
    case .float: floats.count
    case .vector(let w): w == 0 ? 0 : floats.count / w
    }
  }

  public mutating func append(int v: Int64) { ints.append(v) }
  public mutating func append(ints v: [Int64]) { ints += v }
  public mutating func append(string b: some Collection<UInt8>) {
    bytes.append(contentsOf: b)
    offsets.append(Int32(bytes.count))
  }
  /// Floats (`.float`: one per row; `.vector`: `width` per row, row-major).
  public mutating func append(floats p: UnsafeBufferPointer<Float>) { floats.append(contentsOf: p) }
  public mutating func append(floats v: [Float]) { floats += v }

  /// Drops the first `n` rows.
  mutating func removeFirst(_ n: Int) {
    switch kind {
    case .int64: ints.removeFirst(n)
    case .float: floats.removeFirst(n)
    case .vector(let w): floats.removeFirst(n * w)
    case .string:
      let cut = Int(offsets[n])
      bytes.removeFirst(cut)
      offsets = [0] + offsets[(n + 1)...].map { $0 - Int32(cut) }
    }
  }

  /// Rows `0..<n` as a Parquet column.
  func parquetColumn(rows n: Int) -> ColumnData {
    switch kind {
    case .int64: return ColumnData(name: name, values: .int64(Array(ints[0..<n])))
    case .float: return ColumnData(name: name, values: .float(Array(floats[0..<n])))
    case .vector(let w):
      return ColumnData(name: name, values: .float(Array(floats[0..<(n * w)])),
                        listOffsets: (0...n).map { Int32($0 * w) })
    case .string:
      let end = Int(offsets[n])
      return ColumnData(name: name, values: .string(offsets: Array(offsets[0...n]), bytes: Array(bytes[0..<end])))
    }
  }

  var parquetField: ParquetWriterField {
    switch kind {
    case .int64: ParquetWriterField(name, .int64)
    case .float: ParquetWriterField(name, .float)
    case .vector: ParquetWriterField(name, .floatList)
    case .string: ParquetWriterField(name, .string)
    }
  }

  /// Row `i` as a CSV cell (vectors `;`-joined; strings quoted when they need it).
  func csvCell(_ i: Int, into out: inout [UInt8]) {
    switch kind {
    case .int64: out.append(contentsOf: String(ints[i]).utf8)
    case .float: out.append(contentsOf: CSVText.float(floats[i]).utf8)
    case .vector(let w):
      for j in 0..<w {
        if j > 0 { out.append(UInt8(ascii: ";")) }
        out.append(contentsOf: CSVText.float(floats[i * w + j]).utf8)
      }
    case .string: CSVText.appendQuoted(bytes[Int(offsets[i])..<Int(offsets[i + 1])], into: &out)
    }
  }
}

enum CSVText {
  /// The shortest text that reads back as the same Float.
  static func float(_ x: Float) -> String { x.isNaN ? "nan" : "\(x)" }

  /// RFC 4180: quoted (quotes doubled) when the value holds a comma, quote, CR or LF.
  static func appendQuoted(_ s: some Collection<UInt8>, into out: inout [UInt8]) {
    let special = s.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
    guard special else { out.append(contentsOf: s); return }
    out.append(UInt8(ascii: "\""))
    for c in s {
      if c == UInt8(ascii: "\"") { out.append(c) }
      out.append(c)
    }
    out.append(UInt8(ascii: "\""))
  }
}

/// Writes rows into `<directory>/<prefix>-<rank:05d>_<chunk:05d>.<parquet|csv>`, at most
/// `chunkRows` rows per file (SPEC §5), each file written under a temporary name and renamed
/// when complete. Callers append a batch to every column, then call `commit()`.
public final class ChunkedWriter {
  public let directory: String
  public let prefix: String
  public let rank: Int
  public let format: OutputFormat
  public let chunkRows: Int
  public var columns: [ColumnBuffer]
  public private(set) var files: [String] = []
  public private(set) var rowsWritten = 0

  public init(directory: String, prefix: String, rank: Int, format: OutputFormat, chunkRows: Int,
              columns: [ColumnBuffer]) throws {
    precondition(chunkRows > 0 && !columns.isEmpty)
    self.directory = directory
    self.prefix = prefix
    self.rank = rank
    self.format = format
    self.chunkRows = chunkRows
    self.columns = columns
    try OutputFiles.makeDirectory(directory)
  }

  public static func fileName(prefix: String, rank: Int, chunk: Int, format: OutputFormat) -> String {
    "\(prefix)-\(pad5(rank))_\(pad5(chunk)).\(format.fileExtension)"
  }

  /// Checks that every column has the same rows and writes every full chunk.
  public func commit() throws {
    let n = columns[0].rows
    for c in columns where c.rows != n {
      preconditionFailure("ChunkedWriter: column \(c.name) has \(c.rows) rows, \(columns[0].name) has \(n)")
    }
    while columns[0].rows >= chunkRows { try flush(chunkRows) }
  }

  /// Writes what is left (a last, shorter chunk); returns the files written.
  @discardableResult
  public func finish() throws -> [String] {
    try commit()
    if columns[0].rows > 0 { try flush(columns[0].rows) }
    return files
  }

  private func flush(_ n: Int) throws {
    let path = directory + "/" + Self.fileName(prefix: prefix, rank: rank, chunk: files.count, format: format)
    switch format {
    case .parquet:
      do {
        var o = ParquetWriterOptions()
        o.rowGroupRows = max(n, 1)
        o.createdBy = "gust"
        let w = try ParquetWriter(path: path, fields: columns.map(\.parquetField), options: o)
        try w.write(columns.map { $0.parquetColumn(rows: n) })
        try w.close()
      } catch let e as ParquetError {
        throw OutputError(.io, "cannot write \(path): \(e)")
      }
    case .csv:
      var out = [UInt8]()
      out.reserveCapacity(n * 16 * columns.count)
      out.append(contentsOf: columns.map(\.name).joined(separator: ",").utf8)
      out.append(10)
      for i in 0..<n {
        for (k, c) in columns.enumerated() {
          if k > 0 { out.append(UInt8(ascii: ",")) }
          c.csvCell(i, into: &out)
        }
        out.append(10)
      }
      try OutputFiles.writeAtomically(out, to: path)
    }
    for k in columns.indices { columns[k].removeFirst(n) }
    files.append(path)
    rowsWritten += n
  }
}

func pad5(_ v: Int) -> String {
  let s = String(v)
  return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
}

/// Folder and file helpers shared by the writers and remap.
public enum OutputFiles {
  /// Creates `path` (and parents); an existing file there is a bad-input error naming it.
  public static func makeDirectory(_ path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
      guard isDir.boolValue else { throw OutputError(.badInput, "\(path) is a file, not a folder: give another output path") }
      return
    }
    // A parent that is a file: name it.
    var parent = (path as NSString).deletingLastPathComponent
    while !parent.isEmpty && parent != "/" {
      if FileManager.default.fileExists(atPath: parent, isDirectory: &isDir) {
        guard isDir.boolValue else { throw OutputError(.badInput, "\(parent) is a file, not a folder: give another output path") }
        break
      }
      parent = (parent as NSString).deletingLastPathComponent
    }
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw OutputError(.io, "cannot create the folder \(path): \(error.localizedDescription)")
    }
  }

  /// Writes `bytes` to `<path>.tmp-<pid>`, fsyncs and renames it onto `path`.
  public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let tmp = "\(path).tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw OutputError(.io, "cannot create \(tmp): \(String(cString: strerror(errno)))") }
    var done = 0
    let ok: Bool = bytes.withUnsafeBytes { b in
      while done < b.count {
        let n = write(fd, b.baseAddress! + done, b.count - done)
        if n < 0 { if errno == EINTR { continue }; return false }
        done += n
      }
      return true
    }
    let synced = ok && fsync(fd) == 0
    let closed = close(fd) == 0
    guard synced, closed, rename(tmp, path) == 0 else {
      let msg = String(cString: strerror(errno))
      unlink(tmp)
      throw OutputError(.io, "cannot write \(path): \(msg)")
    }
  }

  public static func writeJSON(_ object: Any, to path: String) throws {
    let d = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    try writeAtomically(Array(d) + [10], to: path)
  }

  /// Removes earlier runs' files of this layout that this rank is responsible for:
  /// `<prefix>-<r>_<c>.<ext>` (either format) with `r == rank`, and on rank 0 also `r ≥
  /// worldSize` (files of a larger earlier job), so a folder never mixes two runs' rows.
  public static func removeStale(directory: String, prefix: String, rank: Int, worldSize: Int) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    for n in names where n.hasPrefix(prefix + "-") {
      let rest = n.dropFirst(prefix.count + 1)
      guard let us = rest.firstIndex(of: "_"), let r = Int(rest[..<us]) else { continue }
      let ext = (n as NSString).pathExtension
      guard OutputFormat(rawValue: ext) != nil else { continue }
      if r == rank || (rank == 0 && r >= worldSize) { try? FileManager.default.removeItem(atPath: directory + "/" + n) }
    }
  }
}
