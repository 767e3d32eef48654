import Foundation
import Graph
import Parquet

/// `gust remap`: outputs written with `--keep-integer-ids` (graph ids, `"gust": {"ids":
/// "graph"}` in their info file) rewritten with raw ids, file for file, each replaced
/// atomically (temp + rename), then the info file marked `"ids": "raw"`. Embedding folders are
/// found from `emb_info.json` (the root and every task folder holding one); prediction folders
/// from `<task_id>/result_info.json`. Outputs already in raw ids are left alone.
public struct Remap {
  public let partConfigPath: String
  public let config: PartitionConfig
  let ids: NodeIds
  public var log: (String) -> Void

  public init(partConfigPath: String, log: @escaping (String) -> Void = { print($0) }) throws {
    self.partConfigPath = partConfigPath
    do { config = try PartitionConfig.load(path: partConfigPath) } catch {
      throw OutputError(.badInput, "--part-config: \(error)")
    }
    ids = NodeIds(partConfigPath: partConfigPath, config: config, keepIntegerIds: false)
    self.log = log
  }

  /// Returns the number of files rewritten.
  @discardableResult
  public func run(embedPath: String?, predictionPath: String?) throws -> Int {
    var files = 0
    if let e = embedPath {
      var infos = [e + "/" + OutputInfo.embInfoName]
      guard FileManager.default.fileExists(atPath: infos[0]) else {
        throw OutputError(.badInput, "\(e) has no \(OutputInfo.embInfoName): not an embedding folder written by gust")
      }
      for n in (try? FileManager.default.contentsOfDirectory(atPath: e))?.sorted() ?? [] {
        let p = "\(e)/\(n)/\(OutputInfo.embInfoName)"
        if FileManager.default.fileExists(atPath: p) { infos.append(p) }
      }
      for info in infos { files += try remapEmbeddings(info: info) }
    }
    if let p = predictionPath {
      let tasks = ((try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []).sorted()
        .filter { FileManager.default.fileExists(atPath: "\(p)/\($0)/\(OutputInfo.resultInfoName)") }
      if tasks.isEmpty { throw OutputError(.badInput, "\(p) has no <task_id>/\(OutputInfo.resultInfoName): not a prediction folder written by gust") }
      for t in tasks { files += try remapPredictions(info: "\(p)/\(t)/\(OutputInfo.resultInfoName)") }
    }
    return files
  }

  func isGraphIds(_ o: [String: Any]) -> Bool { ((o["gust"] as? [String: Any])?["ids"] as? String) == OutputInfo.IdKind.graph.rawValue }

  func ntypeId(_ name: String, _ info: String) throws -> Int {
    guard let t = config.ntypeId(name) else { throw OutputError(.badInput, "\(info): the graph has no node type '\(name)'") }
    return t
  }

  func remapEmbeddings(info: String) throws -> Int {
    let o = try OutputInfo.read(info)
    let dir = (info as NSString).deletingLastPathComponent
    guard isGraphIds(o) else { log("\(dir): already raw ids"); return 0 }
    guard let names = o["emb_name"] as? [String] else { throw OutputError(.badInput, "\(info): no emb_name list") }
    var n = 0
    for name in names {
      let t = try ntypeId(name, info)
      n += try remapFolder("\(dir)/\(name)", prefix: "embed", idColumns: ["nid": t])
    }
    try OutputInfo.markRaw(info)
    log("\(dir): \(n) files remapped to raw ids")
    return n
  }

  func remapPredictions(info: String) throws -> Int {
    let o = try OutputInfo.read(info)
    let dir = (info as NSString).deletingLastPathComponent
    guard isGraphIds(o) else { log("\(dir): already raw ids"); return 0 }
    var n = 0
    for name in o["ntypes"] as? [String] ?? [] {
      n += try remapFolder("\(dir)/\(name)", prefix: "pred.predict", idColumns: ["nid": try ntypeId(name, info)])
    }
    for e in o["etypes"] as? [[String]] ?? [] {
      guard e.count == 3 else { throw OutputError(.badInput, "\(info): etype \(e) is not [src, rel, dst]") }
      n += try remapFolder("\(dir)/\(e.joined(separator: "_"))", prefix: "pred.predict",
                           idColumns: ["src_nid": try ntypeId(e[0], info), "dst_nid": try ntypeId(e[2], info)])
    }
    try OutputInfo.markRaw(info)
    log("\(dir): \(n) files remapped to raw ids")
    return n
  }

  func remapFolder(_ dir: String, prefix: String, idColumns: [String: Int]) throws -> Int {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
      .filter { $0.hasPrefix(prefix + "-") && ($0.hasSuffix(".parquet") || $0.hasSuffix(".csv")) }
    for n in names {
      if n.hasSuffix(".parquet") { try remapParquet(dir + "/" + n, idColumns) } else { try remapCSV(dir + "/" + n, idColumns) }
    }
    return names.count
  }

  func remapParquet(_ path: String, _ idColumns: [String: Int]) throws {
    do {
      let f = try ParquetFile.open(path)
      let names = f.schema.topLevelNames
      let cols = try f.readAll(columns: names)
      var fields: [ParquetWriterField] = [], out: [ColumnData] = []
      for c in cols {
        if let t = idColumns[c.name] {
          guard case .int64(let g) = c.values else { throw OutputError(.badInput, "\(path): column \(c.name) does not hold int64 graph ids") }
          var b = ColumnBuffer(c.name, try ids.columnKind(t))
          try ids.append(graphIds: g, ntype: t, to: &b)
          fields.append(b.parquetField)
          out.append(b.parquetColumn(rows: b.rows))
          continue
        }
        switch c.values {
        case .float: fields.append(ParquetWriterField(c.name, c.isList ? .floatList : .float))
        case .int64: fields.append(ParquetWriterField(c.name, .int64))
        case .double: fields.append(ParquetWriterField(c.name, .double))
        case .string: fields.append(ParquetWriterField(c.name, .string))
        default: throw OutputError(.badInput, "\(path): column \(c.name) has a type gust does not write")
        }
        out.append(c)
      }
      let w = try ParquetWriter(path: path, fields: fields)
      try w.write(out)
      try w.close()
    } catch let e as ParquetError {
      throw OutputError(.badInput, "\(path): \(e)")
    }
  }

  func remapCSV(_ path: String, _ idColumns: [String: Int]) throws {
    guard let d = FileManager.default.contents(atPath: path), let text = String(data: d, encoding: .utf8) else {
      throw OutputError(.badInput, "cannot read \(path)")
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    guard let header = lines.first else { throw OutputError(.badInput, "\(path) is empty") }
    let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let targets = names.enumerated().compactMap { i, n in idColumns[n].map { (i, $0) } }
    var out = Array(header.utf8) + [10]
    lines.removeFirst()
    for (row, line) in lines.enumerated() {
      var cells = line.split(separator: ",", omittingEmptySubsequences: false).map { Array($0.utf8) }
      guard cells.count == names.count else { throw OutputError(.badInput, "\(path) line \(row + 2): \(cells.count) cells, the header has \(names.count)") }
      for (i, t) in targets {
        guard let g = Int64(String(decoding: cells[i], as: UTF8.self)) else {
          throw OutputError(.badInput, "\(path) line \(row + 2): '\(String(decoding: cells[i], as: UTF8.self))' is not an integer graph id")
        }
        var b = ColumnBuffer("", try ids.columnKind(t))
        try ids.append(graphIds: [g], ntype: t, to: &b)
        var cell: [UInt8] = []
        b.csvCell(0, into: &cell)
        cells[i] = cell
      }
      for (k, c) in cells.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        out += c
      }
      out.append(10)
    }
    try OutputFiles.writeAtomically(out, to: path)
  }
}

extension NodeIds {
  /// Appends the raw ids of graph ids `g` (node type `t`).
  func append(graphIds g: [Int64], ntype t: Int, to column: inout ColumnBuffer) throws {
    let raw = try rawIds(t)
    for x in g { try raw.append(x, to: &column) }
  }
}
