#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func getenvString(_ name: String) -> String? {
  guard let p = getenv(name) else { return nil }
  return String(cString: p)
}

enum ProcessInfoLite {
  static var activeProcessorCount: Int {
    let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    return n > 0 ? Int(n) : 1
  }
}

/// Large float buffers for the numeric core: 2 MiB-aligned and, on Linux, advised for
/// transparent huge pages (`MADV_HUGEPAGE`; the system default here is `madvise`). Random row
/// reads over tens of megabytes (segment reductions, gathers) otherwise miss the TLB on nearly
/// every row; huge pages measured ~1.3× faster for them on this machine. Small buffers come from
/// the ordinary allocator. Release with `releaseFloats`.
enum LargeBuffer {
  static let hugePage = 2 << 20

  static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let bytes = max(count, 1) * MemoryLayout<Float>.stride
    if bytes < hugePage { return .allocate(capacity: max(count, 1)) }
    let rounded = (bytes + hugePage - 1) / hugePage * hugePage
    var raw: UnsafeMutableRawPointer? = nil
    guard posix_memalign(&raw, hugePage, rounded) == 0, let raw else {
      preconditionFailure("LargeBuffer: cannot allocate \(rounded) bytes")
    }
    #if os(Linux)
    _ = madvise(raw, rounded, MADV_HUGEPAGE)
    #endif
    return raw.bindMemory(to: Float.self, capacity: rounded / MemoryLayout<Float>.stride)
  }

  /// Releases a buffer from `allocateFloats(count)` (the same `count`).
  static func releaseFloats(_ p: UnsafeMutablePointer<Float>, count: Int) {
    if max(count, 1) * MemoryLayout<Float>.stride < hugePage { p.deallocate() } else { free(p) }
  }
}
