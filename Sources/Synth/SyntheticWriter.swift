#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Parquet

/// `gust generate`: writes a `SyntheticGraph` as Parquet tables plus a gconstruct JSON
/// (`gconstruct.json`) and a multi-task training YAML (`train.yaml`, every task kind) that fit
/// it. Written under `<dir>.tmp-<pid>` and renamed when complete.
public enum SyntheticWriter {
  public struct Summary: Sendable {
    public var papers: Int, authors: Int, subjects: Int, directedEdges: Int
    public var outputDir: String
  }

  @discardableResult
  public static func generate(scale: SyntheticGraph.Scale, seed: UInt64, outputDir: String) throws -> Summary {
    let out = absolute(outputDir)
    if FileManager.default.fileExists(atPath: out) {
      throw GenerateError("output folder \(out) already exists; remove it or pick another --output-dir")
    }
    let tmp = out + ".tmp-\(getpid())"
    try? FileManager.default.removeItem(atPath: tmp)
    do {
      try FileManager.default.createDirectory(atPath: tmp + "/nodes", withIntermediateDirectories: true)
      try FileManager.default.createDirectory(atPath: tmp + "/edges", withIntermediateDirectories: true)
      let g = SyntheticGraph(scale: scale, seed: seed)
      try writeTables(g, tmp)
      try gconstructJSON(out).write(toFile: tmp + "/gconstruct.json", atomically: false, encoding: .utf8)
      try trainingYAML(scale).write(toFile: tmp + "/train.yaml", atomically: false, encoding: .utf8)
      guard rename(tmp, out) == 0 else { throw GenerateError("cannot rename \(tmp) to \(out): \(String(cString: strerror(errno)))") }
      return Summary(papers: g.numPapers, authors: g.numAuthors, subjects: g.numSubjects,
                     directedEdges: g.numDirectedEdges, outputDir: out)
    } catch {
      try? FileManager.default.removeItem(atPath: tmp)
      throw error
    }
  }

  static func writeTables(_ g: SyntheticGraph, _ dir: String) throws {
    let D = SyntheticGraph.featDim
    func node(_ name: String, _ prefix: String, _ n: Int, _ feat: [Float], extra: [(ParquetWriterField, ColumnData)] = []) throws {
      var fields = [ParquetWriterField("node_id", .string), ParquetWriterField("feat", .floatList)]
      var cols = [ids(prefix, Array(0..<n), "node_id"), vectors("feat", feat, width: D, rows: n)]
      for (f, c) in extra { fields.append(f); cols.append(c) }
      try write(dir + "/nodes/\(name).parquet", fields, cols)
    }
    try node("paper", "p", g.numPapers, g.paperFeat, extra: [
      (ParquetWriterField("label_class", .int64), ColumnData(name: "label_class", values: .int64(g.labelClass))),
      (ParquetWriterField("label_reg", .float), ColumnData(name: "label_reg", values: .float(g.labelReg))),
    ])
    try node("author", "a", g.numAuthors, g.authorFeat)
    try node("subject", "s", g.numSubjects, g.subjectFeat)

    func edges(_ file: String, _ sp: String, _ src: [Int], _ dp: String, _ dst: [Int],
               extra: [(ParquetWriterField, ColumnData)] = []) throws {
      var fields = [ParquetWriterField("source_id", .string), ParquetWriterField("dest_id", .string)]
      var cols = [ids(sp, src, "source_id"), ids(dp, dst, "dest_id")]
      for (f, c) in extra { fields.append(f); cols.append(c) }
      try write(dir + "/edges/\(file).parquet", fields, cols)
    }
    try edges("paper_citing_paper", "p", g.citeSrc, "p", g.citeDst)
    try edges("paper_cited_paper", "p", g.citeDst, "p", g.citeSrc)
    try edges("author_writing_paper", "a", g.writeAuthor, "p", g.writePaper, extra: [
      (ParquetWriterField("label_ec", .int64), ColumnData(name: "label_ec", values: .int64(g.writeLabelClass))),
      (ParquetWriterField("label_er", .float), ColumnData(name: "label_er", values: .float(g.writeLabelReg))),
      (ParquetWriterField("efeat", .floatList),
       vectors("efeat", g.writeFeat, width: SyntheticGraph.edgeFeatDim, rows: g.writeAuthor.count)),
    ])
    try edges("paper_written-by_author", "p", g.writePaper, "a", g.writeAuthor)
    try edges("paper_is-about_subject", "p", g.aboutPaper, "s", g.aboutSubject)
    try edges("subject_has_paper", "s", g.aboutSubject, "p", g.aboutPaper)
  }

  static func write(_ path: String, _ fields: [ParquetWriterField], _ cols: [ColumnData]) throws {
    var opts = ParquetWriterOptions()
    opts.createdBy = "gust generate"
    let w = try ParquetWriter(path: path, fields: fields, options: opts)
    try w.write(cols)
    try w.close()
  }

  /// `prefix<i>` strings as a string column.
  static func ids(_ prefix: String, _ idx: [Int], _ name: String) -> ColumnData {
    var offsets = [Int32](repeating: 0, count: idx.count + 1)
    var bytes = [UInt8]()
    bytes.reserveCapacity(idx.count * (prefix.utf8.count + 7))
    for (k, i) in idx.enumerated() {
      bytes.append(contentsOf: prefix.utf8)
      bytes.append(contentsOf: String(i).utf8)
      offsets[k + 1] = Int32(bytes.count)
    }
    return ColumnData(name: name, values: .string(offsets: offsets, bytes: bytes))
  }

  /// A `list<float>` column of fixed width.
  static func vectors(_ name: String, _ values: [Float], width: Int, rows: Int) -> ColumnData {
    ColumnData(name: name, values: .float(values), listOffsets: (0...rows).map { Int32($0 * width) })
  }

  static func absolute(_ p: String) -> String {
    p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
  }
}

public struct GenerateError: Error, CustomStringConvertible {
  public let description: String
  init(_ m: String) { description = m }
}
