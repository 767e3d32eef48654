/// Turns each page's definition/repetition levels into row structure as pages arrive (levels
/// are never stored for the whole chunk): the validity of value slots and, for list columns, the
/// row offsets and the validity of the lists themselves.
struct LevelAssembler {
  let maxDef: Int32
  let maxRep: Int32
  /// For lists: a definition level ≥ this means the list is present; nil for flat columns.
  let listDefined: Int32?

  /// Per value slot; nil when slots cannot be null.
  var validity: [Bool]?
  /// Number of value slots so far.
  private(set) var slots = 0
  var listOffsets: [Int32]?
  var listValidity: [Bool]?
  /// Rows completed or started so far.
  private(set) var rows = 0

  init(leaf: LeafColumn) {
    maxDef = Int32(leaf.maxDefinitionLevel)
    maxRep = Int32(leaf.maxRepetitionLevel)
    switch leaf.shape {
    case .list(let l):
      listDefined = Int32(l)
      listOffsets = [0]
      listValidity = l > 0 ? [] : nil
      validity = maxDef > Int32(l) + 1 ? [] : nil
    default:
      listDefined = nil
      validity = maxDef > 0 ? [] : nil
    }
  }

  /// Consumes one page's levels (`count` entries; `def`/`rep` nil when the max level is 0).
  /// Returns the number of non-null values the page must hold. The validity of this page's new
  /// slots is `validity[slotsBefore...]` (all valid when `validity` is nil).
  mutating func consume(def: UnsafePointer<Int32>?, rep: UnsafePointer<Int32>?, count: Int) throws
    -> Int
  {
    if count == 0 { return 0 }
    guard let listDefined else {
      // Flat: one slot per level entry, one row per slot.
      slots += count
      rows += count
      guard maxDef > 0, let def else { return count }
      var nonNull = 0
      validity!.reserveCapacity(slots)
      for i in 0..<count {
        let d = def[i]
        guard d >= 0 && d <= maxDef else { throw levelError(d) }
        let v = d == maxDef
        validity!.append(v)
        if v { nonNull += 1 }
      }
      return nonNull
    }
    guard let rep, let def else {
      throw ParquetError(.corrupt, "list column page without repetition/definition levels")
    }
    var nonNull = 0
    var offsets = listOffsets!
    listOffsets = nil
    defer { listOffsets = offsets }
    for i in 0..<count {
      let d = def[i], r = rep[i]
      guard d >= 0 && d <= maxDef else { throw levelError(d) }
      guard r >= 0 && r <= maxRep else {
        throw ParquetError(.corrupt, "repetition level \(r) outside 0...\(maxRep)")
      }
      if r == 0 {
        // A new row: close the previous one.
        if rows > 0 { offsets.append(Int32(truncatingIfNeeded: slots)) }
        rows += 1
        listValidity?.append(d >= listDefined)
      } else if rows == 0 {
        throw ParquetError(.corrupt, "first level of a column chunk has repetition level \(r)")
      }
      if d > listDefined {
        slots += 1
        if validity != nil {
          let v = d == maxDef
          validity!.append(v)
          if v { nonNull += 1 }
        } else {
          nonNull += 1
        }
      }
    }
    guard slots <= Int(Int32.max) else {
      throw ParquetError(.unsupported, "more than 2^31 list elements in one row group")
    }
    return nonNull
  }

  private func levelError(_ d: Int32) -> ParquetError {
    ParquetError(.corrupt, "definition level \(d) outside 0...\(maxDef)")
  }

  /// Closes the last row.
  mutating func finish() {
    if listOffsets != nil && rows > 0 { listOffsets!.append(Int32(truncatingIfNeeded: slots)) }
  }
}
