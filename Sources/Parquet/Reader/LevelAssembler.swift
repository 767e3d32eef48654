/// Turns each page's definition/repetition levels into row structure as pages arrive (levels
/// are never stored for the whole chunk): the validity of value slots and, for list columns, the
/// row offsets and the validity of the lists themselves. One assembler may run over several
/// column chunks of one column (`ParquetFile.readAll`): slots and rows simply continue.
///
/// Validity masks are made lazily, as Arrow does: `validity` (and `listValidity`) stay nil until
/// the first null, and are then filled with `true` for the slots (rows) before it. A column
/// without nulls therefore costs no mask and no per-value work.
struct LevelAssembler {
  let maxDef: Int32
  let maxRep: Int32
  /// For lists: a definition level ≥ this means the list is present; nil for flat columns.
  let listDefined: Int32?

  /// Per value slot; nil while no slot is null.
  var validity: [Bool]?
  /// Number of value slots so far.
  private(set) var slots = 0
  var listOffsets: [Int32]?
  /// Per row of a list column; nil while no list is null.
  var listValidity: [Bool]?
  /// Rows completed or started so far.
  private(set) var rows = 0
  /// `rows` when the current column chunk began (its first level must start a row).
  private var chunkFirstRow = 0
  /// Expected totals (capacity hints for the masks and offsets).
  var expectedSlots = 0
  var expectedRows = 0

  init(leaf: LeafColumn) {
    maxDef = Int32(leaf.maxDefinitionLevel)
    maxRep = Int32(leaf.maxRepetitionLevel)
    switch leaf.shape {
    case .list(let l):
      listDefined = Int32(l)
      listOffsets = [0]
    default:
      listDefined = nil
    }
  }

  /// Reserves the offsets for `rows` rows and remembers the hints for masks made later.
  mutating func reserve(slots s: Int, rows r: Int) {
    expectedSlots = s
    expectedRows = r
    listOffsets?.reserveCapacity(r + 1)
  }

  /// Marks the start of a column chunk.
  mutating func beginChunk() { chunkFirstRow = rows }

  /// Consumes one page's levels (`count` entries; `def`/`rep` nil when the max level is 0, or
  /// `def` nil with `allDefined` when the page's definition levels are all `maxDef`). Returns
  /// the number of non-null values the page must hold. The validity of this page's new slots is
  /// `validity[slotsBefore...]` when `validity` is non-nil after the call (else all valid).
  mutating func consume(def: UnsafePointer<Int32>?, rep: UnsafePointer<Int32>?, count: Int,
                        allDefined: Bool = false) throws -> Int
  {
    if count == 0 { return 0 }
    guard let listDefined else { return try consumeFlat(def: def, count: count, allDefined: allDefined) }
    guard let rep, def != nil || allDefined else {
      throw ParquetError(.corrupt, "list column page without repetition/definition levels")
    }
    // Checks, vectorised: every repetition level within 0...maxRep, and the first of the chunk 0.
    var largestRep: UInt32 = 0
    for i in 0..<count { largestRep = max(largestRep, UInt32(bitPattern: rep[i])) }
    guard largestRep <= UInt32(maxRep) else {
      let bad = (0..<count).first { UInt32(bitPattern: rep[$0]) > UInt32(maxRep) }!
      throw ParquetError(.corrupt, "repetition level \(rep[bad]) outside 0...\(maxRep)")
    }
    if rows == chunkFirstRow && rep[0] != 0 {
      throw ParquetError(.corrupt, "first level of a column chunk has repetition level \(rep[0])")
    }
    let all = try allDefined || countDefined(def!, count) == count
    if all && validity == nil && listValidity == nil {
      // Fast path: every entry is a present, non-null element (vector columns).
      try appendRowStarts(rep, count)
      slots += count
      try checkSlots()
      return count
    }
    return try consumeListGeneral(def: def, rep: rep, count: count, listDefined: listDefined)
  }

  /// The common vector-column page: every definition level is the max (no null or empty list,
  /// no null element) and lists are not nested (max repetition level 1). Reads the repetition
  /// levels run by run straight from their RLE data: a run of 1s continues the current row, a 0
  /// starts one; nothing is materialised per element. Returns the values the page holds.
  mutating func consumeAllDefinedList(repetition data: UnsafeRawBufferPointer, count: Int) throws
    -> Int?
  {
    guard listDefined != nil, maxRep == 1, validity == nil, listValidity == nil else { return nil }
    if count == 0 { return 0 }
    var decoder = RLEHybridDecoder(data: data, bitWidth: 1)
    var offsets = listOffsets!
    listOffsets = nil
    defer { listOffsets = offsets }
    var r = rows
    var i = 0
    let base = slots
    try withUnsafeTemporaryAllocation(of: Int32.self, capacity: 1024) { scratch in
      let buf = scratch.baseAddress!
      while i < count {
        let (n, value) = try decoder.nextBatch(limit: min(1024, count - i), scratch: buf)
        if let value {
          if value == 0 {
            for k in 0..<n {
              if r > 0 { offsets.append(Int32(truncatingIfNeeded: base + i + k)) }
              r += 1
            }
          } else if r == chunkFirstRow {
            throw ParquetError(.corrupt, "first level of a column chunk has repetition level \(value)")
          }
        } else {
          if r == chunkFirstRow && buf[0] != 0 {
            throw ParquetError(.corrupt, "first level of a column chunk has repetition level \(buf[0])")
          }
          for k in 0..<n where buf[k] == 0 {
            if r > 0 { offsets.append(Int32(truncatingIfNeeded: base + i + k)) }
            r += 1
          }
        }
        i += n
      }
    }
    rows = r
    slots += count
    try checkSlots()
    return count
  }

  private mutating func consumeFlat(def: UnsafePointer<Int32>?, count: Int, allDefined: Bool) throws
    -> Int
  {
    let before = slots
    slots += count
    rows += count
    guard maxDef > 0, let def, !allDefined else {
      if validity != nil { validity!.append(contentsOf: repeatElement(true, count: count)) }
      return count
    }
    let nonNull = try countDefined(def, count)
    if nonNull == count && validity == nil { return count }
    if validity == nil { makeValidity(trueFor: before) }
    let m = maxDef
    appendMask(&validity!, count) { v in for i in 0..<count { v[i] = def[i] == m } }
    return nonNull
  }

  /// Lists with nulls or empty lists in this page: one entry at a time.
  private mutating func consumeListGeneral(def: UnsafePointer<Int32>?, rep: UnsafePointer<Int32>,
                                           count: Int, listDefined: Int32) throws -> Int {
    if let def { _ = try countDefined(def, count) }  // range checks
    var nonNull = 0
    var offsets = listOffsets!
    listOffsets = nil
    defer { listOffsets = offsets }
    let m = maxDef
    for i in 0..<count {
      let d = def?[i] ?? m, r = rep[i]
      if r == 0 {
        // A new row: close the previous one.
        if rows > 0 { offsets.append(Int32(truncatingIfNeeded: slots)) }
        if d < listDefined {
          if listValidity == nil { makeListValidity() }
          listValidity!.append(false)
        } else if listValidity != nil {
          listValidity!.append(true)
        }
        rows += 1
      }
      if d > listDefined {
        if d == m {
          nonNull += 1
          if validity != nil { validity!.append(true) }
        } else {
          if validity == nil { makeValidity(trueFor: slots) }
          validity!.append(false)
        }
        slots += 1
      }
    }
    try checkSlots()
    return nonNull
  }

  /// Appends the start of each new row (repetition level 0) in this page to the offsets.
  private mutating func appendRowStarts(_ rep: UnsafePointer<Int32>, _ count: Int) throws {
    var offsets = listOffsets!
    listOffsets = nil
    defer { listOffsets = offsets }
    var r = rows
    let base = slots
    for i in 0..<count where rep[i] == 0 {
      if r > 0 { offsets.append(Int32(truncatingIfNeeded: base + i)) }
      r += 1
    }
    rows = r
  }

  /// Entries equal to `maxDef`, after checking that every entry is within 0...maxDef.
  private func countDefined(_ def: UnsafePointer<Int32>, _ count: Int) throws -> Int {
    var largest: UInt32 = 0
    var n = 0
    let m = maxDef
    for i in 0..<count {
      let d = def[i]
      largest = max(largest, UInt32(bitPattern: d))
      n &+= d == m ? 1 : 0
    }
    guard largest <= UInt32(maxDef) else {
      let bad = (0..<count).first { UInt32(bitPattern: def[$0]) > UInt32(maxDef) }!
      throw levelError(def[bad])
    }
    return n
  }

  private mutating func makeValidity(trueFor n: Int) {
    var v = [Bool]()
    v.reserveCapacity(max(expectedSlots, n))
    v.append(contentsOf: repeatElement(true, count: n))
    validity = v
  }

  private mutating func makeListValidity() {
    var v = [Bool]()
    v.reserveCapacity(max(expectedRows, rows))
    v.append(contentsOf: repeatElement(true, count: rows))
    listValidity = v
  }

  private func appendMask(_ a: inout [Bool], _ count: Int, _ fill: (UnsafeMutablePointer<Bool>) -> Void) {
    let base = a.count
    a.append(contentsOf: repeatElement(false, count: count))
    a.withUnsafeMutableBufferPointer { fill($0.baseAddress! + base) }
  }

  private func checkSlots() throws {
    guard slots <= Int(Int32.max) else {
      throw ParquetError(.unsupported, "more than 2^31 list elements in one column read")
    }
  }

  private func levelError(_ d: Int32) -> ParquetError {
    ParquetError(.corrupt, "definition level \(d) outside 0...\(maxDef)")
  }

  /// Closes the last row.
  mutating func finish() {
    if listOffsets != nil && rows > 0 { listOffsets!.append(Int32(truncatingIfNeeded: slots)) }
  }
}
