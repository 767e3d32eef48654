import CZlib

/// Decodes the pages of one column chunk (its compressed bytes, already read) into dense typed
/// values plus row structure. Pages: dictionary, data v1 (levels RLE with a 4-byte length
/// prefix, inside the compressed body), data v2 (levels uncompressed before the possibly
/// compressed values); index pages and unknown page types are skipped by size.
struct ChunkDecoder {
  let leaf: LeafColumn
  let meta: ColumnMetaData
  let rows: Int
  let codec: CompressionCodec
  var store: ValueStore
  var dictionary: ValueStore?
  var levels: LevelAssembler
  private var levelEntries = 0
  private var page = 0

  init(leaf: LeafColumn, meta: ColumnMetaData, rows: Int) throws {
    self.leaf = leaf
    self.meta = meta
    self.rows = rows
    guard let c = CompressionCodec(rawValue: meta.codec) else {
      throw ParquetError(.unsupported, "unknown compression codec \(meta.codec)")
    }
    codec = c
    let width = Int(leaf.element.typeLength ?? 0)
    if leaf.physicalType == .fixedLenByteArray && width <= 0 {
      throw ParquetError(.corrupt, "FIXED_LEN_BYTE_ARRAY without a positive type_length")
    }
    store = ValueStore(type: leaf.physicalType, width: width)
    levels = LevelAssembler(leaf: leaf)
  }

  mutating func decodePages(_ bytes: [UInt8]) throws {
    var pos = 0
    let total = Int(meta.numValues)
    while pos < bytes.count && levelEntries < total {
      do {
        let (h, headerLen) = try PageHeader.decode(bytes, at: pos)
        pos += headerLen
        let size = Int(h.compressedPageSize)
        guard size <= bytes.count - pos else {
          throw ParquetError(.corrupt, "page of \(size) bytes runs past the column chunk "
                             + "(\(bytes.count - pos) bytes left)")
        }
        try bytes.withUnsafeBytes { all in
          let body = UnsafeRawBufferPointer(rebasing: all[pos..<pos + size])
          if let crc = h.crc { try Self.checkCRC(body, crc) }
          try decodePage(h, body)
        }
        pos += size
        page += 1
      } catch let e as ParquetError {
        throw e.with(page: page)
      }
    }
    guard levelEntries == total else {
      throw ParquetError(.corrupt, "column chunk holds \(levelEntries) values, metadata says "
                         + "\(total)")
    }
  }

  static func checkCRC(_ body: UnsafeRawBufferPointer, _ expected: Int32) throws {
    let got = crc32(0, body.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(body.count))
    guard UInt32(truncatingIfNeeded: got) == UInt32(bitPattern: expected) else {
      throw ParquetError(.checksum, "page CRC mismatch (stored \(UInt32(bitPattern: expected)), "
                         + "computed \(got))")
    }
  }

  private mutating func decompress(_ body: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
    guard size >= 0 else { throw ParquetError(.corrupt, "negative uncompressed page size") }
    if codec == .uncompressed {
      guard body.count == size else {
        throw ParquetError(.corrupt, "uncompressed page of \(body.count) bytes, header says \(size)")
      }
      return Array(body)
    }
    return try Codecs.decompress(codec, body, uncompressedSize: size)
  }

  private mutating func decodePage(_ h: PageHeader, _ body: UnsafeRawBufferPointer) throws {
    // A page may not hold more level entries than the chunk has left (bounds allocations
    // made from the page's counts by the footer's count).
    let pageValues = h.dataPage.map { Int($0.numValues) } ?? h.dataPageV2.map { Int($0.numValues) }
    if let n = pageValues, n > Int(meta.numValues) - levelEntries {
      throw ParquetError(.corrupt, "page of \(n) values exceeds the \(Int(meta.numValues) - levelEntries) "
                         + "the column chunk has left")
    }
    // And not more than its bytes can plausibly encode (RLE packs long runs into a few bytes,
    // hence the floor of 2^24 entries; pyarrow writes at most 20k rows per page by default).
    if let n = pageValues, n > max(64 * Int(h.uncompressedPageSize), 1 << 24) {
      throw ParquetError(.corrupt, "page claims \(n) values in \(h.uncompressedPageSize) bytes")
    }
    switch h.pageType {
    case .dictionaryPage?:
      guard let d = h.dictionaryPage else {
        throw ParquetError(.corrupt, "dictionary page without its header")
      }
      guard dictionary == nil else { throw ParquetError(.corrupt, "second dictionary page") }
      let data = try decompress(body, size: Int(h.uncompressedPageSize))
      guard d.numValues >= 0, Int(d.numValues) <= data.count * 8 + 1 else {
        throw ParquetError(.corrupt, "dictionary of \(d.numValues) values in \(data.count) bytes")
      }
      var dict = ValueStore(type: store.type, width: store.width)
      try data.withUnsafeBytes {
        _ = try ValueDecoding.plain($0, count: Int(d.numValues), into: &dict)
      }
      dictionary = dict
    case .dataPage?:
      guard let d = h.dataPage else { throw ParquetError(.corrupt, "data page without its header") }
      let data = try decompress(body, size: Int(h.uncompressedPageSize))
      try data.withUnsafeBytes { buf in
        var pos = 0
        let n = Int(d.numValues)
        guard n >= 0 else { throw ParquetError(.corrupt, "negative value count") }
        var rep: [Int32]? = nil, def: [Int32]? = nil
        if leaf.maxRepetitionLevel > 0 {
          rep = try Self.levelsV1(buf, &pos, max: leaf.maxRepetitionLevel, count: n,
                                  encoding: d.repetitionLevelEncoding)
        }
        if leaf.maxDefinitionLevel > 0 {
          def = try Self.levelsV1(buf, &pos, max: leaf.maxDefinitionLevel, count: n,
                                  encoding: d.definitionLevelEncoding)
        }
        try dataValues(UnsafeRawBufferPointer(rebasing: buf[pos...]), count: n, def: def,
                       rep: rep, encoding: d.encoding)
      }
    case .dataPageV2?:
      guard let d = h.dataPageV2 else { throw ParquetError(.corrupt, "data page v2 without header") }
      let repLen = Int(d.repetitionLevelsByteLength), defLen = Int(d.definitionLevelsByteLength)
      guard repLen >= 0, defLen >= 0, repLen <= body.count, defLen <= body.count - repLen else {
        throw ParquetError(.corrupt, "level lengths \(repLen)+\(defLen) exceed the page")
      }
      let n = Int(d.numValues)
      guard n >= 0 else { throw ParquetError(.corrupt, "negative value count") }
      var rep: [Int32]? = nil, def: [Int32]? = nil
      if leaf.maxRepetitionLevel > 0 {
        rep = try Self.levels(UnsafeRawBufferPointer(rebasing: body[0..<repLen]),
                              max: leaf.maxRepetitionLevel, count: n)
      }
      if leaf.maxDefinitionLevel > 0 {
        def = try Self.levels(UnsafeRawBufferPointer(rebasing: body[repLen..<repLen + defLen]),
                              max: leaf.maxDefinitionLevel, count: n)
      }
      let rest = UnsafeRawBufferPointer(rebasing: body[(repLen + defLen)...])
      let valuesSize = Int(h.uncompressedPageSize) - repLen - defLen
      if d.isCompressed && codec != .uncompressed {
        let values = try decompress(rest, size: valuesSize)
        try values.withUnsafeBytes {
          try dataValues($0, count: n, def: def, rep: rep, encoding: d.encoding)
        }
      } else {
        try dataValues(rest, count: n, def: def, rep: rep, encoding: d.encoding)
      }
    default:
      break  // index pages and unknown page types: skipped
    }
  }

  /// v1 levels: RLE with a 4-byte little-endian length prefix (BIT_PACKED is not supported).
  private static func levelsV1(_ buf: UnsafeRawBufferPointer, _ pos: inout Int, max: Int16,
                               count: Int, encoding: Int32) throws -> [Int32] {
    guard encoding == ColumnEncoding.rle.rawValue else {
      throw ParquetError(.unsupported, "level encoding \(encoding) (only RLE is supported)")
    }
    guard buf.count - pos >= 4 else { throw ParquetError(.corrupt, "truncated level length") }
    let len = Int(buf.loadUnaligned(fromByteOffset: pos, as: UInt32.self).littleEndian)
    pos += 4
    guard len <= buf.count - pos else {
      throw ParquetError(.corrupt, "levels of \(len) bytes exceed the page")
    }
    let r = try levels(UnsafeRawBufferPointer(rebasing: buf[pos..<pos + len]), max: max,
                       count: count)
    pos += len
    return r
  }

  static func levels(_ data: UnsafeRawBufferPointer, max: Int16, count: Int) throws -> [Int32] {
    let width = bitWidth(Int(max))
    return try ValueDecoding.rleInt32(data, bitWidth: width, count: count)
  }

  static func bitWidth(_ v: Int) -> Int { v == 0 ? 0 : Int.bitWidth - v.leadingZeroBitCount }

  private mutating func dataValues(_ data: UnsafeRawBufferPointer, count n: Int, def: [Int32]?,
                                   rep: [Int32]?, encoding: Int32) throws {
    let slotsBefore = levels.slots
    let nonNull = try def.withOptionalPointer { d in
      try rep.withOptionalPointer { r in try levels.consume(def: d, rep: r, count: n) }
    }
    levelEntries += n
    let base = store.count
    guard let enc = ColumnEncoding(rawValue: encoding) else {
      throw ParquetError(.unsupported, "unknown encoding \(encoding)")
    }
    switch enc {
    case .plainDictionary, .rleDictionary:
      guard let dictionary else {
        throw ParquetError(.corrupt, "dictionary-encoded page without a dictionary page")
      }
      guard !data.isEmpty || nonNull == 0 else {
        throw ParquetError(.corrupt, "dictionary page data missing its bit width")
      }
      if nonNull > 0 {
        let width = Int(data[0])
        guard width <= 32 else { throw ParquetError(.corrupt, "dictionary index width \(width)") }
        let idx = try ValueDecoding.rleInt32(UnsafeRawBufferPointer(rebasing: data[1...]),
                                             bitWidth: width, count: nonNull)
        try idx.withUnsafeBufferPointer { try store.gather(from: dictionary, indices: $0) }
      }
    default:
      try ValueDecoding.decode(enc, data, count: nonNull, into: &store)
    }
    guard store.count - base == nonNull else {
      throw ParquetError(.corrupt, "page decoded \(store.count - base) values, expected \(nonNull)")
    }
    if let v = levels.validity, nonNull != levels.slots - slotsBefore {
      store.expandTail(base: base, valid: v[slotsBefore...])
    }
  }

  mutating func finish() throws -> ColumnData {
    levels.finish()
    guard levels.rows == rows else {
      throw ParquetError(.corrupt, "column chunk holds \(levels.rows) rows, row group has \(rows)")
    }
    let values = try LogicalConversion.convert(store, leaf.element)
    return ColumnData(name: leaf.name, values: values, validity: levels.validity,
                      listOffsets: levels.listOffsets, listValidity: levels.listValidity)
  }
}

extension Optional where Wrapped == [Int32] {
  func withOptionalPointer<R>(_ body: (UnsafePointer<Int32>?) throws -> R) rethrows -> R {
    switch self {
    case .none: return try body(nil)
    case .some(let a): return try a.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
  }
}
