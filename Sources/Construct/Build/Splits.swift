import Foundation
import Graph

/// Train/val/test masks of one label (SPEC §2): over all rows of the type at once, rows without
/// a label left out, shuffled by a generator fixed by the seed and the label's place.
enum Splits {
  /// `split_pct`: `⌊n·p⌋` rows each for train, val and test (n = rows with a label) from one
  /// seeded permutation, in that order; leftovers get no mask.
  static func byPercent(valid: [Bool], train: Double, val: Double, test: Double,
                        rng: inout SeededGenerator) -> [[UInt8]] {
    var rows = valid.indices.filter { valid[$0] }
    rng.shuffle(&rows)
    let n = Double(rows.count)
    let counts = [Int(n * train), Int(n * val), Int(n * test)]
    var masks = [[UInt8]](repeating: [UInt8](repeating: 0, count: valid.count), count: 3)
    var k = 0
    for (s, c) in counts.enumerated() {
      for r in rows[k..<min(rows.count, k + c)] { masks[s][r] = 1 }
      k += c
    }
    return masks
  }

  /// `custom_split_filenames`: rows named by the files; a row named by several goes to train,
  /// else val, else test; rows without a label get none.
  static func custom(valid: [Bool], files: [[String]], column: [String], baseDir: String, key: String,
                     resolve: (Any, String, Int) throws -> [Int]) throws -> [[UInt8]] {
    var masks = [[UInt8]](repeating: [UInt8](repeating: 0, count: valid.count), count: 3)
    var taken = [Bool](repeating: false, count: valid.count)
    for (s, items) in files.enumerated() {
      let paths = items.isEmpty ? [] : try InputFiles.expand(items, baseDir: baseDir, key: key)
      for path in paths {
        if path.hasSuffix(".parquet") {
          try parquetEntries(path, column: column, key: key) { value, row in
            for r in try resolve(value, path, row) where !taken[r] {
              taken[r] = true
              if valid[r] { masks[s][r] = 1 }
            }
          }
          continue
        }
        guard let data = FileManager.default.contents(atPath: path) else {
          throw ConstructError(.badData, "cannot read the split file", file: path, key: key)
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
          let text = line.trimmingCharacters(in: .whitespaces)
          if text.isEmpty { continue }
          let value: Any
          do {
            value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
          } catch {
            throw ConstructError.data(path, row: i + 1, "not a JSON id or [src, dst] pair: \(text)")
          }
          for r in try resolve(value, path, i + 1) where !taken[r] {
            taken[r] = true
            if valid[r] { masks[s][r] = 1 }
          }
        }
      }
    }
    return masks
  }

  /// The ids (one column) or `[src, dst]` pairs (two columns) of a Parquet split file.
  static func parquetEntries(_ path: String, column: [String], key: String, _ body: (Any, Int) throws -> Void) throws {
    guard column.count == 1 || column.count == 2 else {
      throw ConstructError(.badConfig, "a Parquet split file needs 'column': one id column (nodes) or two (edges)", key: key + ".column")
    }
    let table = try ParquetTable(path: path)
    let cols = try column.map { name in try GraphBuilder.withKey(key + ".column") { try table.read(name) } }
    func value(_ c: Column, _ r: Int) throws -> Any {
      guard c.isValid(r) else { throw ConstructError.data(path, row: r + 1, "column '\(c.name)' is null") }
      switch c.values {
      case .int64(let a): return a[r]
      case .string(let a): return a[r]
      default: throw ConstructError.data(path, "column '\(c.name)' holds \(c.values.typeName) values, not ids")
      }
    }
    for r in 0..<table.rowCount {
      if cols.count == 1 { try body(try value(cols[0], r), r + 1) } else { try body([try value(cols[0], r), try value(cols[1], r)], r + 1) }
    }
  }
}

extension FieldsBuilder {
  /// The type's stored fields: transformed features, labels, masks. `resolve` maps an entry of a
  /// custom split file to rows. Returns the learned transforms keyed by feature key path.
  func finish(seed: UInt64, typeKey: String, baseDir: String,
              resolve: (Any, String, Int) throws -> [Int]) throws -> (fields: [Field], learned: [String: FeatureTransform]) {
    var fields: [Field] = []
    var learned: [String: FeatureTransform] = [:]
    for f in features {
      guard f.rows == rows else { throw ConstructError.config(f.keyPaths[0], "'\(f.spec.name)' of \(typeLabel) is given for \(f.rows) of \(rows) rows") }
      let raw: RawFeature = f.isText ? .text(f.text, numericKeys: f.numericKeys) : .numeric(f.numeric, width: f.width ?? 1)
      let (values, width, params) = try Transforms.apply(f.spec.transform, raw, rows: rows,
                                                         where_: "feature '\(f.spec.name)' of \(typeLabel) (\(f.keyPaths[0]))")
      if let params { for k in f.keyPaths { learned[k] = params } }
      fields.append(Field(name: f.spec.name, kind: .feature, width: width, data: .f32(rows == 0 ? [] : values)))
    }
    for (i, l) in labels.enumerated() {
      guard l.rows == rows else { throw ConstructError.config(l.keyPaths[0], "label of \(typeLabel) is given for \(l.rows) of \(rows) rows") }
      if l.spec.taskType.hasLabel, let name = l.spec.labelCol {
        let data: ArrayData = l.spec.taskType == .classification ? .i64(l.ints) : .f32(l.floats)
        fields.append(Field(name: name, kind: .label, width: 1, data: data))
      }
      let masks: [[UInt8]]
      switch l.spec.split {
      case .pct(let tr, let va, let te):
        var rng = SeededGenerator(seed: seed, stableHash("split"), stableHash(typeKey), UInt64(i))
        masks = Splits.byPercent(valid: l.valid, train: tr, val: va, test: te, rng: &rng)
      case .custom(let tr, let va, let te, let column):
        masks = try Splits.custom(valid: l.valid, files: [tr, va, te], column: column, baseDir: baseDir,
                                  key: l.keyPaths[0] + ".custom_split_filenames", resolve: resolve)
      }
      for s in 0..<3 {
        fields.append(Field(name: l.spec.maskNames[s], kind: .mask, width: 1, data: .u8(masks[s])))
      }
    }
    return (fields, learned)
  }
}
