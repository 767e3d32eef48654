import CZlib

/// Encodes one column chunk (a row range of one column) as an optional dictionary page and
/// data pages v1: `[rep levels: u32 len + RLE][def levels: u32 len + RLE][values]`, compressed.
struct ColumnChunkWriter {
  let field: ParquetWriterField
  let options: ParquetWriterOptions
  let column: ColumnData

  /// Encodes rows `rows` of the column; `fileOffset` is where the chunk's first byte will land.
  func write(rows: Range<Int>, fileOffset: Int) throws -> (bytes: [UInt8], meta: ColumnMetaData) {
    // Value-slot range and per-slot levels of the whole chunk.
    let slotRange: Range<Int>
    if let o = column.listOffsets {
      slotRange = Int(o[rows.lowerBound])..<Int(o[rows.upperBound])
    } else {
      slotRange = rows
    }
    let valid: (Int) -> Bool = { column.validity?[$0] ?? true }
    let listValid: (Int) -> Bool = { column.listValidity?[$0] ?? true }
    if !field.nullable {
      if let v = column.validity, v[slotRange].contains(false), field.kind != .floatList {
        throw ParquetError(.invalidArgument, "nulls in non-nullable column", column: field.name)
      }
      if let lv = column.listValidity, lv[rows].contains(false) {
        throw ParquetError(.invalidArgument, "null lists in non-nullable column",
                           column: field.name)
      }
    }

    // Dictionary for strings (if it stays small).
    var dict: StringDictionary? = nil
    if field.kind == .string, case .string(let o, let b) = column.values {
      dict = StringDictionary(offsets: o, bytes: b, slots: slotRange, valid: valid,
                              limit: options.dictionaryLimitBytes)
    }

    var out: [UInt8] = []
    var uncompressedTotal = 0
    var dictionaryOffset: Int64? = nil
    var encodings: [Int32] = [ColumnEncoding.rle.rawValue]
    if let dict {
      dictionaryOffset = Int64(fileOffset)
      let page = dict.plainValues()
      uncompressedTotal += try appendPage(&out, body: page, count: dict.count) { h in
        h.type = PageType.dictionaryPage.rawValue
        var d = DictionaryPageHeader()
        d.numValues = Int32(dict.count)
        d.encoding = ColumnEncoding.plain.rawValue
        h.dictionaryPage = d
      }
      encodings += [ColumnEncoding.plain.rawValue, ColumnEncoding.rleDictionary.rawValue]
    } else {
      encodings.append(ColumnEncoding.plain.rawValue)
    }
    let dataOffset = Int64(fileOffset + out.count)

    // Data pages over row ranges of about `pageSlots` slots each.
    var r = rows.lowerBound
    var numValues = 0
    while r < rows.upperBound {
      var end = r + 1
      if let o = column.listOffsets {
        while end < rows.upperBound && Int(o[end + 1] - o[r]) + (end - r) < options.pageSlots {
          end += 1
        }
      } else {
        end = min(rows.upperBound, r + max(1, options.pageSlots))
      }
      var levels = PageLevels(field: field)
      var slots: [Int] = []  // non-null slots in order
      if let o = column.listOffsets {
        for row in r..<end {
          let s = Int(o[row]), e = Int(o[row + 1])
          if !listValid(row) {
            levels.add(rep: 0, def: 0)
          } else if s == e {
            levels.add(rep: 0, def: field.listDefined)
          } else {
            for i in s..<e {
              let ok = valid(i)
              levels.add(rep: i == s ? 0 : 1, def: ok ? field.maxDef : field.maxDef - 1)
              if ok { slots.append(i) }
            }
          }
        }
      } else {
        for i in r..<end {
          let ok = valid(i)
          levels.add(rep: 0, def: ok ? field.maxDef : 0)
          if ok { slots.append(i) }
        }
      }
      var body = levels.encode()
      if let dict {
        body += dict.indices(for: slots)
      } else {
        try PlainValues.encode(column.values, slots: slots, into: &body)
      }
      let count = levels.count
      uncompressedTotal += try appendPage(&out, body: body, count: count) { h in
        h.type = PageType.dataPage.rawValue
        var d = DataPageHeader()
        d.numValues = Int32(count)
        d.encoding = dict == nil ? ColumnEncoding.plain.rawValue : ColumnEncoding.rleDictionary.rawValue
        d.definitionLevelEncoding = ColumnEncoding.rle.rawValue
        d.repetitionLevelEncoding = ColumnEncoding.rle.rawValue
        h.dataPage = d
      }
      numValues += count
      r = end
    }

    var meta = ColumnMetaData()
    meta.type = field.physicalType
    meta.encodings = encodings
    meta.pathInSchema = field.path
    meta.codec = options.compression.rawValue
    meta.numValues = Int64(numValues)
    meta.totalUncompressedSize = Int64(uncompressedTotal)
    meta.totalCompressedSize = Int64(out.count)
    meta.dataPageOffset = dataOffset
    meta.dictionaryPageOffset = dictionaryOffset
    meta.statistics = ColumnStatistics.compute(column.values, slots: slotRange, valid: valid,
                                               nulls: nullCount(rows: rows, slots: slotRange))
    return (out, meta)
  }

  private func nullCount(rows: Range<Int>, slots: Range<Int>) -> Int64 {
    var n = 0
    if let v = column.validity { n += v[slots].lazy.filter { !$0 }.count }
    if let lv = column.listValidity { n += lv[rows].lazy.filter { !$0 }.count }
    return Int64(n)
  }

  /// Compresses `body`, writes header + page; returns the uncompressed size including header.
  private func appendPage(_ out: inout [UInt8], body: [UInt8], count: Int,
                          _ fill: (inout PageHeader) -> Void) throws -> Int {
    let compressed: [UInt8]
    if options.compression == .uncompressed {
      compressed = body
    } else {
      compressed = try body.withUnsafeBytes { try Codecs.compress(options.compression, $0) }
    }
    guard body.count <= Int(Int32.max), compressed.count <= Int(Int32.max) else {
      throw ParquetError(.invalidArgument, "page larger than 2 GiB", column: field.name)
    }
    var h = PageHeader()
    h.uncompressedPageSize = Int32(body.count)
    h.compressedPageSize = Int32(compressed.count)
    fill(&h)
    if options.pageChecksums {
      let c = compressed.withUnsafeBytes {
        crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count))
      }
      h.crc = Int32(bitPattern: UInt32(truncatingIfNeeded: c))
    }
    let header = h.encode()
    out += header
    out += compressed
    return header.count + body.count
  }
}

/// Definition/repetition levels of one page, RLE-encoded with their 4-byte length prefixes.
struct PageLevels {
  let field: ParquetWriterField
  var def: RLEHybridEncoder
  var rep: RLEHybridEncoder
  private(set) var count = 0

  init(field: ParquetWriterField) {
    self.field = field
    def = RLEHybridEncoder(bitWidth: ChunkDecoder.bitWidth(Int(field.maxDef)))
    rep = RLEHybridEncoder(bitWidth: ChunkDecoder.bitWidth(Int(field.maxRep)))
  }

  mutating func add(rep r: Int32, def d: Int32) {
    if field.maxRep > 0 { rep.append(r) }
    if field.maxDef > 0 { def.append(d) }
    count += 1
  }

  func encode() -> [UInt8] {
    var out: [UInt8] = []
    func prefixed(_ b: [UInt8]) {
      let n = UInt32(b.count)
      out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
      out += b
    }
    if field.maxRep > 0 { prefixed(rep.finish()) }
    if field.maxDef > 0 { prefixed(def.finish()) }
    return out
  }
}
