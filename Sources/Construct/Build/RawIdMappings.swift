import Graph
import Parquet

/// `raw_id_mappings/<ntype>/part-00000.parquet` with columns `orig` (the raw id: int64 for
/// integer ids, string otherwise) and `new` (the graph id, int64), one row per node in graph-id
/// order — for every node type, always (SPEC §2; GraphStorm writes none for 0..N−1 ids).
enum RawIdMappings {
  static let batchRows = 1 << 20

  static func write(_ maps: [IdMap], root: String) throws {
    for map in maps {
      let dir = root + "/raw_id_mappings/" + map.ntype
      do {
        try makeDirectories(dir)
        let w = try ParquetWriter(path: dir + "/part-00000.parquet",
                                  fields: [ParquetWriterField("orig", map.isString ? .string : .int64),
                                           ParquetWriterField("new", .int64)])
        var start = 0
        repeat {
          let end = min(map.count, start + batchRows)
          let orig: ColumnData
          if map.isString {
            var offsets: [Int32] = [0]
            var bytes: [UInt8] = []
            for i in start..<end {
              bytes.append(contentsOf: map.rawStringIds[i].utf8)
              offsets.append(Int32(bytes.count))
            }
            orig = ColumnData(name: "orig", values: .string(offsets: offsets, bytes: bytes))
          } else {
            orig = ColumnData(name: "orig", values: .int64(Array(map.rawIntIds[start..<end])))
          }
          try w.write([orig, ColumnData(name: "new", values: .int64((start..<end).map { Int64($0) }))])
          start = end
        } while start < map.count
        try w.close()
      } catch let e as ParquetError {
        throw ConstructError(.io, "cannot write the raw id mapping: \(e)", file: dir)
      }
    }
  }

  static func makeDirectories(_ path: String) throws {
    do { try ArrayFileWriter.makeDirectories(path) } catch {
      throw ConstructError(.io, "cannot create the folder: \(error)", file: path)
    }
  }
}
