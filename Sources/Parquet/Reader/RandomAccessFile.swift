#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file read with `pread`; never loads the whole file.
final class RandomAccessFile {
  let path: String
  let size: Int
  private let fd: Int32

  init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw ParquetError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path)
    }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      let msg = String(cString: strerror(errno))
      close(fd)
      throw ParquetError(.io, "cannot stat: \(msg)", file: path)
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw ParquetError(.io, "is a directory", file: path)
    }
    self.fd = fd
    self.size = Int(st.st_size)
  }

  deinit { close(fd) }

  /// Reads exactly `count` bytes at `offset`; the range is checked against the file size first.
  func read(offset: Int, count: Int) throws -> [UInt8] {
    var out: [UInt8] = []
    try read(offset: offset, count: count, into: &out)
    if out.count > count { out.removeLast(out.count - count) }
    return out
  }

  /// Reads exactly `count` bytes at `offset` into the first `count` bytes of `buffer`, which is
  /// replaced by a larger one only when it is too small (so one buffer serves many reads without
  /// fresh pages each time); the range is checked against the file size first.
  func read(offset: Int, count: Int, into buffer: inout [UInt8]) throws {
    guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
      throw ParquetError(
        .corrupt, "range \(offset)+\(count) lies outside the file of \(size) bytes", file: path)
    }
    if buffer.count < count {
      buffer = []  // release the old buffer before allocating the new one
      buffer = [UInt8](unsafeUninitializedCapacity: count) { _, n in n = count }
    }
    if count == 0 { return }
    try buffer.withUnsafeMutableBytes { buf in
      var done = 0
      while done < count {
        let n = pread(fd, buf.baseAddress! + done, count - done, off_t(offset + done))
        if n < 0 {
          if errno == EINTR { continue }
          throw ParquetError(.io, "read failed: \(String(cString: strerror(errno)))", file: path)
        }
        if n == 0 { throw ParquetError(.io, "file shrank while reading", file: path) }
        done += n
      }
    }
  }
}
