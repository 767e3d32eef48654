/// Net — Gust's socket layer: POSIX TCP with deadlines (`Connection`, `Listener`), the
/// HMAC-SHA256 challenge–response (`ServerHandshake` / `ClientHandshake` decide,
/// `Authentication` does the I/O), per-job secrets (`Secret`) and a threaded request/reply
/// server (`Server`). Frames and messages come from `Proto`; Net knows no graph types.
///
/// Every blocking call takes a `Deadline` and fails with a `NetError` naming the peer when it
/// passes; nothing here waits forever.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Net {
  /// Writes one line to standard error with write(2) (Glibc's `stderr` is not concurrency-safe).
  @Sendable public static func logToStandardError(_ line: String) {
    var text = line.hasSuffix("\n") ? line : line + "\n"
    text.withUTF8 { buf in
      var off = 0
      while off < buf.count {
        let n = write(2, buf.baseAddress! + off, buf.count - off)
        if n <= 0 { break }
        off += n
      }
    }
  }
}

/// The text for an errno value ("Connection refused (errno 111)").
func errnoText(_ code: Int32) -> String {
  var buf = [CChar](repeating: 0, count: 256)
  _ = strerror_r(code, &buf, buf.count)
  let text = string(fromNulTerminated: buf)
  return "\(text.isEmpty ? "unknown error" : text) (errno \(code))"
}

/// The characters before the first NUL.
func string(fromNulTerminated buf: [CChar]) -> String {
  let end = buf.firstIndex(of: 0) ?? buf.count
  return String(decoding: buf[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

#if canImport(Glibc)
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

extension Net {
  /// Bulk frames of up to tens of MB are allocated and freed per request; glibc would hand each
  /// back to the kernel (mmap/munmap) and page-fault it in again on the next request, which
  /// costs more than the copy. This keeps blocks up to 32 MiB in the heap for reuse (glibc's
  /// `M_MMAP_THRESHOLD` 32 MiB, `M_TRIM_THRESHOLD` 1 GiB). Servers call it at start; a trainer
  /// process that pulls large batches should too.
  public static func keepFreedMemory() {
    #if canImport(Glibc)
    _ = glibcMallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD
    _ = glibcMallopt(-1, 1 << 30)   // M_TRIM_THRESHOLD
    #endif
  }
}
