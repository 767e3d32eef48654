import CShm
import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One rank's shared-memory segment (a POSIX shared-memory object, mode 0600, a random name of
/// the job, `SharedMemoryObjects`; its creator lock held while the name is linked):
/// the rank's doorbell and the single-producer/single-consumer byte ring of its data link to
/// the right neighbour. The owner creates it and produces into the ring; the right neighbour
/// maps it whole to consume; the left neighbour maps its first page to ring the bell. The name
/// travels over the authenticated TCP connections and is unlinked once both neighbours have
/// mapped it (docs/ARCHITECTURE.md, "Shared-memory links").
///
/// | offset | size | field                                                                   |
/// |-------:|-----:|-------------------------------------------------------------------------|
/// |      0 |    4 | magic `GSHM`                                                            |
/// |      4 |    4 | version 1                                                               |
/// |      8 |    8 | ring capacity in bytes (a power of two)                                 |
/// |     16 |    4 | owner rank                                                              |
/// |     64 |    4 | bell: futex word, +1 whenever a neighbour changed what the owner waits on |
/// |     68 |    4 | sleeping: 1 while the owner may be in futex wait on the bell            |
/// |    128 |    8 | tail: bytes ever produced (owner; store-release)                        |
/// |    192 |    8 | head: bytes ever consumed (right neighbour; store-release)              |
/// |    256 |    4 | producer closed (owner shut its links)                                  |
/// |    320 |    4 | consumer closed (right neighbour shut its links)                        |
/// |   4096 |    C | ring bytes: stream byte i at 4096 + i mod C                             |
final class ShmSegment {
  static let controlBytes = 4096
  static let magic: UInt32 = 0x4D48_5347  // "GSHM" little-endian
  static let version: UInt32 = 1
  static let bellOffset = 64, sleepingOffset = 68, tailOffset = 128, headOffset = 192
  static let producerClosedOffset = 256, consumerClosedOffset = 320

  /// futex(2) and POSIX shared memory: Linux only.
  static var isSupported: Bool {
    #if os(Linux)
    return true
    #else
    return false
    #endif
  }

  let name: String
  let base: UnsafeMutableRawPointer
  let length: Int
  /// Ring bytes (0 for a control-page mapping).
  let capacity: Int
  /// The owner's descriptor holding the creator lock while the name is linked (-1 otherwise).
  private var lockFD: Int32
  private var mapped = true

  private init(name: String, base: UnsafeMutableRawPointer, length: Int, capacity: Int, lockFD: Int32) {
    self.name = name
    self.base = base
    self.length = length
    self.capacity = capacity
    self.lockFD = lockFD
  }

  deinit {
    unlink()
    unmap()
  }

  var bell: UnsafeMutableRawPointer { base + ShmSegment.bellOffset }
  var sleeping: UnsafeMutableRawPointer { base + ShmSegment.sleepingOffset }
  var tail: UnsafeMutableRawPointer { base + ShmSegment.tailOffset }
  var head: UnsafeMutableRawPointer { base + ShmSegment.headOffset }
  var producerClosed: UnsafeMutableRawPointer { base + ShmSegment.producerClosedOffset }
  var consumerClosed: UnsafeMutableRawPointer { base + ShmSegment.consumerClosedOffset }
  var ring: UnsafeMutableRawPointer { base + ShmSegment.controlBytes }

  /// A new segment of `job` owned by `owner` with a `capacity`-byte ring (zeroed by ftruncate).
  static func create(owner: Int, capacity: Int, job: String) throws(ShmError) -> ShmSegment {
    let name = ShmObject.randomName(job: job)
    let length = controlBytes + capacity
    let (p, fd) = try ShmObject.createMapped(name, length: length)
    p.storeBytes(of: magic, toByteOffset: 0, as: UInt32.self)
    p.storeBytes(of: version, toByteOffset: 4, as: UInt32.self)
    p.storeBytes(of: UInt64(capacity), toByteOffset: 8, as: UInt64.self)
    p.storeBytes(of: UInt32(owner), toByteOffset: 16, as: UInt32.self)
    gust_fence()
    return ShmSegment(name: name, base: p, length: length, capacity: capacity, lockFD: fd)
  }

  /// Maps a neighbour's segment: whole (to consume its ring) or its control page (its bell).
  /// Checks the header names `owner`.
  static func open(name: String, owner: Int, whole: Bool) throws(ShmError) -> ShmSegment {
    let (p, size, length) = try ShmObject.openMapped(name, what: "ring segment") { (size: Int) throws(ShmError) -> Int in
      guard size > controlBytes else { throw ShmError("its shared memory \(name) holds \(size) bytes") }
      return whole ? size : controlBytes
    }
    let m = p.load(fromByteOffset: 0, as: UInt32.self), v = p.load(fromByteOffset: 4, as: UInt32.self)
    let capacity = Int(p.load(fromByteOffset: 8, as: UInt64.self))
    let o = Int(p.load(fromByteOffset: 16, as: UInt32.self))
    guard m == magic, v == version, capacity + controlBytes == size, capacity & (capacity - 1) == 0, o == owner else {
      munmap(p, length)
      throw ShmError("its shared memory \(name) is not a version-\(version) ring segment of rank \(owner) "
        + "(magic \(String(m, radix: 16)), version \(v), capacity \(capacity), owner \(o))")
    }
    return ShmSegment(name: name, base: p, length: length, capacity: whole ? capacity : 0, lockFD: -1)
  }

  /// Removes the name (the memory lives on while mapped), then drops the creator lock;
  /// idempotent, owner only.
  func unlink() {
    guard lockFD >= 0 else { return }
    ShmObject.unlink(name, lockFD: lockFD)
    lockFD = -1
  }

  func unmap() {
    guard mapped else { return }
    mapped = false
    munmap(base, length)
  }

  /// Tells the owner something changed (after publishing it): bumps the bell and wakes the owner
  /// if it may be asleep. The owner sets `sleeping` before its last check, so either it sees the
  /// change or this sees it sleeping (both sides order with sequentially consistent atomics).
  @inline(__always)
  func ringBell() {
    _ = gust_fetch_add_u32(bell, 1)
    if gust_load_u32(sleeping) != 0 { _ = gust_futex_wake(bell, 1) }
  }
}

struct ShmError: Error {
  let text: String
  init(_ text: String) { self.text = text }
}

func errnoText(_ e: Int32) -> String { "\(String(cString: strerror(e))) (errno \(e))" }
