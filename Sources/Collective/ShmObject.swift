import CShm
import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the ring segments (`ShmSegment`) and the group segment (`ShmGroup`) share: their names
/// (`SharedMemoryObjects`: one prefix per job, so leftover checks see both), creating and mapping
/// an object, opening an offered name after checking it.
enum ShmObject {
  static let prefix = "/" + SharedMemoryObjects.namePrefix

  /// "/gust-ring-<job>-<pid>-<infix><32 random hex digits>".
  static func randomName(job: String, infix: String = "") -> String {
    SharedMemoryObjects.newName(job: job, infix: infix)
  }

  /// Creates `name` (0600, exclusive, `length` zero bytes, its creator lock taken) and maps it
  /// whole; on a failed map the name is unlinked again. Returns the mapping and the descriptor
  /// holding the lock: close it only after unlinking the name.
  static func createMapped(_ name: String, length: Int) throws(ShmError) -> (base: UnsafeMutableRawPointer, lockFD: Int32) {
    let fd = gust_shm_create(name, length)
    guard fd >= 0 else { throw ShmError("cannot create shared memory \(name): \(errnoText(-fd))") }
    guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
      let e = errno
      _ = gust_shm_unlink(name)
      _ = close(fd)
      throw ShmError("cannot map shared memory \(name) (\(length) bytes): \(errnoText(e))")
    }
    return (p, fd)
  }

  /// The creator's clean-up: removes the name, then drops the creator lock.
  static func unlink(_ name: String, lockFD: Int32) {
    _ = gust_shm_unlink(name)
    _ = close(lockFD)
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
