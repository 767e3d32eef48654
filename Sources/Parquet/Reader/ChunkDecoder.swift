import CZlib

/// Decodes the pages of one column chunk (its compressed bytes, already read) into dense typed
/// values plus row structure. Pages: dictionary, data v1 (levels RLE with a 4-byte length
/// prefix, inside the compressed body), data v2 (levels uncompressed before the possibly
/// compressed values); index pages and unknown page types are skipped by size.
struct ChunkDecoder {
  let leaf: LeafColumn
  var store: ValueStore
  var levels: LevelAssembler
  // Per column chunk.
  private var meta: ColumnMetaData
  private var codec: CompressionCodec = .uncompressed
  private var dictionary: ValueStore?
  private var levelEntries = 0
  private var page = 0
  // Scratch reused across pages (and chunks): decompressed page, repetition and definition levels.
  private var pageBuffer: [UInt8] = []
  private var repBuffer: [Int32] = []
  private var defBuffer: [Int32] = []
  /// The column chunk's compressed bytes, reused across chunks (filled by `ParquetFile`).
  var chunkBuffer: [UInt8] = []

  init(leaf: LeafColumn) throws {
    self.leaf = leaf
    let width = Int(leaf.element.typeLength ?? 0)
    if leaf.physicalType == .fixedLenByteArray && width <= 0 {
      throw ParquetError(.corrupt, "FIXED_LEN_BYTE_ARRAY without a positive type_length")
    }
    store = ValueStore(type: leaf.physicalType, width: width)
    levels = LevelAssembler(leaf: leaf)
    meta = ColumnMetaData()
  }

  /// Capacity hints for the whole read (never trusted beyond a bound the caller derives from
  /// bytes actually in the file): value slots, rows and byte-array bytes, and how much of the
  /// value array may be mapped in up front.
  mutating func reserve(values: Int, rows: Int, bytes: Int, prefaultBytes: Int = 0) {
    store.reserve(values: values, bytes: bytes, prefaultBytes: prefaultBytes)
    levels.reserve(slots: values, rows: rows)
  }

  /// Decodes one column chunk (its compressed bytes, already read: the first `count` of `bytes`)
  /// holding `rows` rows, appending to what earlier chunks of the same column decoded.
  mutating func decodeChunk(_ bytes: [UInt8], count: Int, meta: ColumnMetaData, rows: Int) throws {
    precondition(count <= bytes.count)
    guard let c = CompressionCodec(rawValue: meta.codec) else {
      throw ParquetError(.unsupported, "unknown compression codec \(meta.codec)")
    }
    self.meta = meta
    codec = c
    dictionary = nil
    levelEntries = 0
    page = 0
    let rowsBefore = levels.rows
    levels.beginChunk()
    try decodePages(bytes, end: count)
    // A list chunk's last row stays open until the next chunk's first level (or `finish`): count
    // it as this chunk's.
    guard levels.rows - rowsBefore == rows else {
      throw ParquetError(.corrupt, "column chunk holds \(levels.rows - rowsBefore) rows, row group "
                         + "has \(rows)")
    }
  }

  private mutating func decodePages(_ bytes: [UInt8], end: Int) throws {
    var pos = 0
    let total = Int(meta.numValues)
    while pos < end && levelEntries < total {
      do {
        let (h, headerLen) = try PageHeader.decode(bytes, at: pos, end: end)
        pos += headerLen
        let size = Int(h.compressedPageSize)
        guard size >= 0, size <= end - pos else {
          throw ParquetError(.corrupt, "page of \(size) bytes runs past the column chunk "
                             + "(\(end - pos) bytes left)")
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

  private func decompress(_ body: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
    guard size >= 0 else { throw ParquetError(.corrupt, "negative uncompressed page size") }
    if codec == .uncompressed {
      guard body.count == size else {
        throw ParquetError(.corrupt, "uncompressed page of \(body.count) bytes, header says \(size)")
      }
      return Array(body)
    }
    return try Codecs.decompress(codec, body, uncompressedSize: size)
  }

  /// Calls `use` with the page body decompressed to `size` bytes: in the reused page buffer, or
  /// the body itself when the chunk is not compressed.
  private mutating func withDecompressed(_ body: UnsafeRawBufferPointer, size: Int,
                                         _ use: (inout Self, UnsafeRawBufferPointer) throws -> Void) throws {
    guard size >= 0 else { throw ParquetError(.corrupt, "negative uncompressed page size") }
    if codec == .uncompressed {
      guard body.count == size else {
        throw ParquetError(.corrupt, "uncompressed page of \(body.count) bytes, header says \(size)")
      }
      return try use(&self, body)
    }
    _ = try Codecs.checkedSize(codec, compressedSize: body.count, uncompressedSize: size)
    var buffer = pageBuffer
    pageBuffer = []
    defer { pageBuffer = buffer }
    if buffer.count < size {
      buffer = []  // release the old one first
      buffer = [UInt8](unsafeUninitializedCapacity: size) { _, n in n = size }
    }
    try buffer.withUnsafeMutableBytes { all in
      let out = UnsafeMutableRawBufferPointer(rebasing: all[0..<size])
      try Codecs.decompress(codec, body, into: out)
      try use(&self, UnsafeRawBufferPointer(out))
    }
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
      let n = Int(d.numValues)
      guard n >= 0 else { throw ParquetError(.corrupt, "negative value count") }
      try withDecompressed(body, size: Int(h.uncompressedPageSize)) { this, buf in
        var pos = 0
        var rep: UnsafeRawBufferPointer? = nil, def: UnsafeRawBufferPointer? = nil
        if this.leaf.maxRepetitionLevel > 0 {
          rep = try Self.levelsV1(buf, &pos, encoding: d.repetitionLevelEncoding)
        }
        if this.leaf.maxDefinitionLevel > 0 {
          def = try Self.levelsV1(buf, &pos, encoding: d.definitionLevelEncoding)
        }
        try this.dataValues(UnsafeRawBufferPointer(rebasing: buf[pos...]), count: n, def: def,
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
      let rep = leaf.maxRepetitionLevel > 0 ? UnsafeRawBufferPointer(rebasing: body[0..<repLen]) : nil
      let def = leaf.maxDefinitionLevel > 0
        ? UnsafeRawBufferPointer(rebasing: body[repLen..<repLen + defLen]) : nil
      let rest = UnsafeRawBufferPointer(rebasing: body[(repLen + defLen)...])
      let valuesSize = Int(h.uncompressedPageSize) - repLen - defLen
      if d.isCompressed && codec != .uncompressed {
        try withDecompressed(rest, size: valuesSize) { this, values in
          try this.dataValues(values, count: n, def: def, rep: rep, encoding: d.encoding)
        }
      } else {
        try dataValues(rest, count: n, def: def, rep: rep, encoding: d.encoding)
      }
    default:
      break  // index pages and unknown page types: skipped
    }
  }

  /// v1 levels: RLE with a 4-byte little-endian length prefix (BIT_PACKED is not supported).
  /// Returns the RLE data and moves `pos` past it.
  private static func levelsV1(_ buf: UnsafeRawBufferPointer, _ pos: inout Int, encoding: Int32) throws
    -> UnsafeRawBufferPointer
  {
    guard encoding == ColumnEncoding.rle.rawValue else {
      throw ParquetError(.unsupported, "level encoding \(encoding) (only RLE is supported)")
    }
    guard buf.count - pos >= 4 else { throw ParquetError(.corrupt, "truncated level length") }
    let len = Int(buf.loadUnaligned(fromByteOffset: pos, as: UInt32.self).littleEndian)
    pos += 4
    guard len <= buf.count - pos else {
      throw ParquetError(.corrupt, "levels of \(len) bytes exceed the page")
    }
    let r = UnsafeRawBufferPointer(rebasing: buf[pos..<pos + len])
    pos += len
    return r
  }

  /// Decodes `count` levels into `buffer` (grown as needed; reused across pages).
  static func levels(_ data: UnsafeRawBufferPointer, max: Int16, count: Int, into buffer: inout [Int32])
    throws
  {
    if buffer.count < count {
      buffer = []
      buffer = [Int32](repeating: 0, count: count)
    }
    guard count > 0 else { return }
    var d = RLEHybridDecoder(data: data, bitWidth: bitWidth(Int(max)))
    try buffer.withUnsafeMutableBufferPointer { try d.decode(into: $0.baseAddress!, count: count) }
  }

  static func bitWidth(_ v: Int) -> Int { v == 0 ? 0 : Int.bitWidth - v.leadingZeroBitCount }

  /// One data page's levels (RLE data, nil when the max level is 0) and values.
  private mutating func dataValues(_ data: UnsafeRawBufferPointer, count n: Int,
                                   def defData: UnsafeRawBufferPointer?,
                                   rep repData: UnsafeRawBufferPointer?, encoding: Int32) throws {
    var repBuf = repBuffer, defBuf = defBuffer
    repBuffer = []; defBuffer = []
    defer { repBuffer = repBuf; defBuffer = defBuf }
    // A page without nulls (and, for lists, without empty or null lists) stores its definition
    // levels as one RLE run of the max level: recognised without decoding.
    var allDefined = false
    if let defData {
      let maxDef = Int32(leaf.maxDefinitionLevel)
      allDefined = RLEHybridDecoder(data: defData, bitWidth: Self.bitWidth(Int(maxDef)))
        .startsWithRun(of: maxDef, covering: n)
    }
    let slotsBefore = levels.slots
    var fast: Int? = nil
    if allDefined, let repData {
      fast = try levels.consumeAllDefinedList(repetition: repData, count: n)
    }
    let nonNull: Int
    if let fast {
      nonNull = fast
    } else {
      if let repData { try Self.levels(repData, max: leaf.maxRepetitionLevel, count: n, into: &repBuf) }
      if let defData, !allDefined {
        try Self.levels(defData, max: leaf.maxDefinitionLevel, count: n, into: &defBuf)
      }
      nonNull = try repBuf.withUnsafeBufferPointer { r in
        try defBuf.withUnsafeBufferPointer { d in
          try levels.consume(def: defData == nil || allDefined ? nil : d.baseAddress,
                             rep: repData == nil ? nil : r.baseAddress, count: n,
                             allDefined: allDefined)
        }
      }
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
        var indices = try RLEHybridDecoder.dictionaryIndices(data)
        try store.appendDictionary(&indices, count: nonNull, dictionary: dictionary)
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
    let values = try LogicalConversion.convert(store, leaf.element)
    return ColumnData(name: leaf.name, values: values, validity: levels.validity,
                      listOffsets: levels.listOffsets, listValidity: levels.listValidity)
  }
}
