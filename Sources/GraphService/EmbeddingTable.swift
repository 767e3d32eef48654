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
    let crc = bytes.withUnsafeBytes { MappedFile.crc32($0.baseAddress, $0.count) }
    put(crc)
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
    return range.count
  }

  /// Reads rows dumped by `dump` for the same node type, partition range and dimension.
  func load(from path: String) throws -> Int {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ServiceFailure("cannot open '\(path)': \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let expected = 8 + 4 + 4 + 8 + 8 + range.count * dim * 4 + 4
    var st = stat()
    guard fstat(fd, &st) == 0, Int(st.st_size) == expected else {
      throw ServiceFailure("'\(path)' is \(st.st_size) bytes; a dump of \(range.count) rows × \(dim) is \(expected)")
    }
    var bytes = [UInt8](repeating: 0, count: expected)
    var off = 0
    try bytes.withUnsafeMutableBytes { raw in
      while off < expected {
        let n = read(fd, raw.baseAddress! + off, expected - off)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw ServiceFailure("cannot read '\(path)'") }
        off += n
      }
    }
    func get<T: FixedWidthInteger>(_: T.Type, _ at: Int) -> T {
      bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
    }
    let crc = bytes.withUnsafeBytes { MappedFile.crc32($0.baseAddress, expected - 4) }
    guard Array(bytes[0..<8]) == EmbeddingTable.magic else { throw ServiceFailure("'\(path)' is not a Gust embedding dump") }
    guard get(UInt32.self, expected - 4) == crc else { throw ServiceFailure("'\(path)': crc32 mismatch (corrupt file)") }
    let (t, d, start, rows) = (get(UInt32.self, 8), get(UInt32.self, 12), get(Int64.self, 16), get(Int64.self, 24))
    guard t == ntype, d == dim, start == range.start, rows == range.count else {
      throw ServiceFailure("'\(path)' holds node type \(t), dim \(d), ids \(start)..<\(start + rows); this server has node type \(ntype), dim \(dim), ids \(range.start)..<\(range.end)")
    }
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
}

/// An internal failure with a message for the error reply.
struct ServiceFailure: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
