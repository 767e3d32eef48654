import CShm
import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the ring segments (`ShmSegment`) and the group segment (`ShmGroup`) share: their names
/// (one prefix, so leftover checks see both), creating and mapping an object, opening an offered
/// name after checking it.
enum ShmObject {
  static let prefix = "/gust-ring-"

  /// "/gust-ring-<pid>-<infix><32 random hex digits>".
  static func randomName(infix: String = "") -> String {
    var g = SystemRandomNumberGenerator()
    let hex = (0..<2).map { _ in
      let s = String(g.next() as UInt64, radix: 16)
      return String(repeating: "0", count: 16 - s.count) + s
    }.joined()
    return "\(prefix)\(getpid())-\(infix)\(hex)"
  }

  /// Creates `name` (0600, exclusive, `length` zero bytes) and maps it whole; on a failed map the
  /// name is unlinked again.
  static func createMapped(_ name: String, length: Int) throws(ShmError) -> UnsafeMutableRawPointer {
    let fd = gust_shm_create(name, length)
    guard fd >= 0 else { throw ShmError("cannot create shared memory \(name): \(errnoText(-fd))") }
    defer { _ = close(fd) }
    guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
      let e = errno
      _ = gust_shm_unlink(name)
      throw ShmError("cannot map shared memory \(name) (\(length) bytes): \(errnoText(e))")
    }
    return p
  }

  /// Opens a name a peer offered (checked to be a Gust object name first) and maps the first
  /// `mapLength(size)` bytes of it; returns the mapping and the object's size.
  static func openMapped(_ name: String, what: String, mapLength: (Int) throws(ShmError) -> Int)
    throws(ShmError) -> (base: UnsafeMutableRawPointer, size: Int, length: Int) {
    guard name.hasPrefix(prefix), name.utf8.count < 200, !name.dropFirst().contains("/") else {
      throw ShmError("offered '\(name)', not a Gust \(what) name")
    }
    let fd = gust_shm_open(name)
    guard fd >= 0 else { throw ShmError("cannot open its shared memory \(name): \(errnoText(-fd))") }
    defer { _ = close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw ShmError("cannot stat its shared memory \(name): \(errnoText(errno))") }
    let size = Int(st.st_size)
    let length = try mapLength(size)
    guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
      throw ShmError("cannot map its shared memory \(name): \(errnoText(errno))")
    }
    return (p, size, length)
  }
}
