#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph
import Tensor

/// The learnable embedding rows of one node type in one partition, owned by that partition's
/// server 0: the values (`rows × dim` floats, row r = global id `range.start + r`), their
/// `SparseAdam` state, and a lock (pulls and pushes come from several connection threads).
final class EmbeddingTable: @unchecked Sendable {
  let ntype: Int
  let range: PartitionConfig.IdRange
  let dim: Int
  private(set) var values: [Float]
  private let optimizer: SparseAdam
  private var mutex = pthread_mutex_t()

  init(ntype: Int, range: PartitionConfig.IdRange, dim: Int, seed: UInt64) {
    self.ntype = ntype
    self.range = range
    self.dim = dim
    values = [Float](repeating: 0, count: range.count * dim)
    optimizer = SparseAdam(numRows: range.count, dim: dim, lr: 0.01)
    pthread_mutex_init(&mutex, nil)
    values.withUnsafeMutableBufferPointer { v in
      EmbeddingInit.rows(jobSeed: seed, ntype: ntype, first: range.start, count: range.count, dim: dim,
                         into: v.baseAddress!)
    }
  }

  deinit { pthread_mutex_destroy(&mutex) }

  func withLock<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return try body()
  }

  /// Copies the rows at `offsets` to `out` (contiguous).
  func gather(_ offsets: [Int], into out: UnsafeMutablePointer<Float>) {
    withLock {
      values.withUnsafeBufferPointer { v in
        for (i, r) in offsets.enumerated() {
          (out + i * dim).update(from: v.baseAddress! + r * dim, count: dim)
        }
      }
    }
  }

  /// One SparseAdam step at `lr` for gradient rows `grads[i]` of rows `offsets[i]` (duplicates
  /// summed); returns the number of distinct rows updated.
  func apply(_ offsets: [Int], grads: [Float], lr: Float) -> Int {
    withLock {
      optimizer.lr = lr
      let rows = offsets.map { Int64($0) }
      values.withUnsafeMutableBufferPointer { v in
        grads.withUnsafeBufferPointer { g in
          optimizer.step(table: v.baseAddress!, rows: rows, grads: g.baseAddress!)
        }
      }
      return Set(offsets).count
    }
  }

  // MARK: checkpoint files

  /// Layout of a dumped table (little-endian): `GUSTEMB1` · `u32 ntype` · `u32 dim` ·
  /// `i64 first global id` · `i64 rows` · rows × dim `f32` · `u32 crc32` of everything before.
  static let magic: [UInt8] = Array("GUSTEMB1".utf8)

  /// Writes the rows to `path` through a temporary name and a rename; returns the row count.
  func dump(to path: String) throws -> Int {
    var bytes: [UInt8] = EmbeddingTable.magic
    func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    put(UInt32(ntype)); put(UInt32(dim)); put(range.start); put(Int64(range.count))
    withLock { values.withUnsafeBytes { bytes += $0 } }
    try EmbeddingTable.writeWithCRC(bytes, to: path)
    return range.count
  }

  /// Reads rows dumped by `dump` for the same node type, partition range and dimension.
  func load(from path: String) throws -> Int {
    let expected = 8 + 4 + 4 + 8 + 8 + range.count * dim * 4 + 4
    let bytes = try EmbeddingTable.readChecked(path, magic: EmbeddingTable.magic, what: "embedding dump") { size in
      size == expected ? nil : "a dump of \(range.count) rows × \(dim) is \(expected)"
    }
    try checkHeader(bytes, path)
    let n = range.count * dim * 4
    withLock {
      bytes.withUnsafeBytes { src in
        values.withUnsafeMutableBytes { v in
          v.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[32..<(32 + n)]))
        }
      }
    }
    return range.count
  }

  /// Layout of a dumped sparse Adam state (little-endian): `GUSTADM1` · `u32 ntype` · `u32 dim` ·
  /// `i64 first global id` · `i64 rows` · `i64 slots` · `i32 slot of each row` (−1: never
  /// updated) · `i32 steps per slot` · `f32 m[slots × dim]` · `f32 v[slots × dim]` · `u32 crc32`.
  static let optimizerMagic: [UInt8] = Array("GUSTADM1".utf8)

  /// Writes the rows' `SparseAdam` state to `path` (temporary name, then rename); returns the
  /// number of rows with state.
  func dumpOptimizer(to path: String) throws -> Int {
    var bytes: [UInt8] = EmbeddingTable.optimizerMagic
    func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    let slots = withLock { () -> Int in
      let o = optimizer
      put(UInt32(ntype)); put(UInt32(dim)); put(range.start); put(Int64(range.count)); put(Int64(o.steps.count))
      bytes.reserveCapacity(bytes.count + 4 * (o.slotOf.count + o.steps.count + o.m.count + o.v.count) + 4)
      o.slotOf.withUnsafeBytes { bytes += $0 }
      o.steps.withUnsafeBytes { bytes += $0 }
      o.m.withUnsafeBytes { bytes += $0 }
      o.v.withUnsafeBytes { bytes += $0 }
      return o.steps.count
    }
    try EmbeddingTable.writeWithCRC(bytes, to: path)
    return slots
  }

  /// Reads a state written by `dumpOptimizer` for the same node type, range and dimension and
  /// makes it this table's `SparseAdam` state; returns the number of rows with state.
  func loadOptimizer(from path: String) throws -> Int {
    let rowsBytes = range.count * 4
    var slots = 0
    let bytes = try EmbeddingTable.readChecked(path, magic: EmbeddingTable.optimizerMagic, what: "sparse Adam dump") { size in
      let fixed = 40 + rowsBytes + 4
      guard size >= fixed, (size - fixed) % (4 + 8 * dim) == 0 else {
        return "a sparse Adam dump of \(range.count) rows × \(dim) is \(fixed) + slots × \(4 + 8 * dim)"
      }
      slots = (size - fixed) / (4 + 8 * dim)
      return nil
    }
    try checkHeader(bytes, path)
    let stored = bytes.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: 32, as: Int64.self)) }
    guard stored == Int64(slots) else { throw ServiceFailure("'\(path)' says \(stored) slots; its size holds \(slots)") }
    func array<T>(_: T.Type, at offset: Int, count: Int) -> [T] {
      bytes.withUnsafeBytes { raw in
        (0..<count).map { raw.loadUnaligned(fromByteOffset: offset + $0 * 4, as: T.self) }
      }
    }
    var off = 40
    let slotOf = array(Int32.self, at: off, count: range.count).map { Int32(littleEndian: $0) }
    off += rowsBytes
    let steps = array(Int32.self, at: off, count: slots).map { Int32(littleEndian: $0) }
    off += 4 * slots
    let m = array(UInt32.self, at: off, count: slots * dim).map { Float(bitPattern: UInt32(littleEndian: $0)) }
    off += 4 * slots * dim
    let v = array(UInt32.self, at: off, count: slots * dim).map { Float(bitPattern: UInt32(littleEndian: $0)) }
    guard slotOf.allSatisfy({ $0 >= -1 && Int($0) < slots }) else {
      throw ServiceFailure("'\(path)': a row's slot lies outside 0..<\(slots)")
    }
    withLock { optimizer.load(slotOf: slotOf, m: m, v: v, steps: steps) }
    return slots
  }

  /// The common header of both dumps (after the magic): node type, dimension, first id, rows.
  private func checkHeader(_ bytes: [UInt8], _ path: String) throws {
    func get<T: FixedWidthInteger>(_: T.Type, _ at: Int) -> T {
      bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
    }
    let (t, d, start, rows) = (get(UInt32.self, 8), get(UInt32.self, 12), get(Int64.self, 16), get(Int64.self, 24))
    guard t == ntype, d == dim, start == range.start, rows == range.count else {
      throw ServiceFailure("'\(path)' holds node type \(t), dim \(d), ids \(start)..<\(start + rows); this server has node type \(ntype), dim \(dim), ids \(range.start)..<\(range.end)")
    }
  }

  /// Appends the crc32 of `bytes` and writes them to `path` through a temporary name, fsync and
  /// a rename.
  static func writeWithCRC(_ content: [UInt8], to path: String) throws {
    var bytes = content
    let crc = bytes.withUnsafeBytes { MappedFile.crc32($0.baseAddress, $0.count) }
    withUnsafeBytes(of: crc.littleEndian) { bytes += $0 }
    let tmp = path + ".tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ServiceFailure("cannot create '\(tmp)': \(String(cString: strerror(errno)))") }
    var off = 0
    let ok = bytes.withUnsafeBytes { raw -> Bool in
      while off < raw.count {
        let n = write(fd, raw.baseAddress! + off, raw.count - off)
        if n < 0 { if errno == EINTR { continue }; return false }
        off += n
      }
      return fsync(fd) == 0
    }
    close(fd)
    guard ok, rename(tmp, path) == 0 else {
      let text = String(cString: strerror(errno))
      unlink(tmp)
      throw ServiceFailure("cannot write '\(path)': \(text)")
    }
  }

  /// The whole file at `path` after checking its size (`sizeProblem` returns nil when the size
  /// fits, else what it should be), its magic and its trailing crc32.
  static func readChecked(_ path: String, magic: [UInt8], what: String, sizeProblem: (Int) -> String?) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ServiceFailure("cannot open '\(path)': \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw ServiceFailure("cannot stat '\(path)'") }
    let size = Int(st.st_size)
    if let p = sizeProblem(size) { throw ServiceFailure("'\(path)' is \(size) bytes; \(p)") }
    var bytes = [UInt8](repeating: 0, count: size)
    var off = 0
    try bytes.withUnsafeMutableBytes { raw in
      while off < size {
        let n = read(fd, raw.baseAddress! + off, size - off)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw ServiceFailure("cannot read '\(path)'") }
        off += n
      }
    }
    guard size >= 12, Array(bytes[0..<8]) == magic else { throw ServiceFailure("'\(path)' is not a Gust \(what)") }
    let crc = bytes.withUnsafeBytes { MappedFile.crc32($0.baseAddress, size - 4) }
    let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: size - 4, as: UInt32.self)) }
    guard stored == crc else { throw ServiceFailure("'\(path)': crc32 mismatch (corrupt file)") }
    return bytes
  }
}

/// An internal failure with a message for the error reply.
struct ServiceFailure: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
