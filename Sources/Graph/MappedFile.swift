#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// A read-only memory map of one partition array file, checked against the size and crc32 the
/// partition config records — a truncated or corrupt partition is refused at start-up, with the
/// file named, instead of serving wrong rows later.
public final class MappedFile: @unchecked Sendable {
  public let path: String
  public let count: Int
  public let base: UnsafeRawPointer?

  public init(path: String, expectedBytes: Int, crc32 expected: UInt32, verify: Bool = true) throws {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw GraphError(.notFound, "cannot open partition file: \(String(cString: strerror(errno)))", path: path)
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      throw GraphError(.io, "cannot stat: \(String(cString: strerror(errno)))", path: path)
    }
    guard Int(st.st_size) == expectedBytes else {
      throw GraphError(.corrupt, "size \(st.st_size) bytes, the partition config says \(expectedBytes) (truncated or replaced?)", path: path)
    }
    count = expectedBytes
    if expectedBytes == 0 {
      base = nil
    } else {
      let p = mmap(nil, expectedBytes, PROT_READ, MAP_PRIVATE, fd, 0)
      guard let p, p != MAP_FAILED else {
        throw GraphError(.io, "mmap failed: \(String(cString: strerror(errno)))", path: path)
      }
      base = UnsafeRawPointer(p)
    }
    if verify {
      let got = MappedFile.crc32(base, count)
      guard got == expected else {
        throw GraphError(.checksum, "crc32 \(hex(got)) but the partition config says \(hex(expected)) (corrupt file)", path: path)
      }
    }
  }

  deinit {
    if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
  }

  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

  /// The file as `count / size(T)` elements of `T` (little-endian on every supported target).
  public func typed<T>(_: T.Type) -> UnsafeBufferPointer<T> {
    guard let base else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self),
                               count: count / MemoryLayout<T>.stride)
  }

  /// zlib's crc32 over any number of bytes (zlib takes 32-bit lengths: fed in chunks).
  public static func crc32(_ p: UnsafeRawPointer?, _ n: Int) -> UInt32 {
    var crc = CZlib.crc32(0, nil, 0)
    guard let p else { return UInt32(crc) }
    var off = 0
    while off < n {
      let chunk = min(n - off, 1 << 30)
      crc = CZlib.crc32(crc, (p + off).assumingMemoryBound(to: UInt8.self), uInt(chunk))
      off += chunk
    }
    return UInt32(crc)
  }
}

func hex(_ v: UInt32) -> String {
  let s = String(v, radix: 16)
  return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// Writes arrays into a folder being built, recording each file's size and crc32.
public enum ArrayFileWriter {
  /// Writes `bytes` to `root/relativePath` (creating folders) and returns its entry.
  public static func write(_ bytes: UnsafeRawBufferPointer, root: String, relativePath: String) throws -> PartitionConfig.FileEntry {
    let full = root + "/" + relativePath
    try makeDirectories(String(full[..<full.lastIndex(of: "/")!]))
    let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw GraphError(.io, "cannot create: \(String(cString: strerror(errno)))", path: full) }
    defer { close(fd) }
    var off = 0
    while off < bytes.count {
      let n = Glibc.write(fd, bytes.baseAddress! + off, min(bytes.count - off, 1 << 30))
      if n < 0 {
        if errno == EINTR { continue }
        throw GraphError(.io, "write failed: \(String(cString: strerror(errno)))", path: full)
      }
      off += n
    }
    return .init(path: relativePath, bytes: bytes.count, crc32: MappedFile.crc32(bytes.baseAddress, bytes.count))
  }

  public static func write<T>(_ array: [T], root: String, relativePath: String) throws -> PartitionConfig.FileEntry {
    try array.withUnsafeBytes { try write($0, root: root, relativePath: relativePath) }
  }

  /// `mkdir -p`.
  public static func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
      current += "/" + part
      if mkdir(current, 0o755) != 0 && errno != EEXIST {
        throw GraphError(.io, "cannot create folder: \(String(cString: strerror(errno)))", path: current)
      }
    }
  }
}
