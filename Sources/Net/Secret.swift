#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-job secret both ends of every connection prove they hold. It is the exact bytes of
/// the secret file (the launcher writes it, mode 0600, and hands its path to children outside the
/// command line); nothing is trimmed, so both sides must read the same file content.
public struct Secret: Sendable {
  public let bytes: [UInt8]

  public init(bytes: [UInt8]) throws {
    guard !bytes.isEmpty else { throw NetError(.secret, "the secret is empty") }
    self.bytes = bytes
  }

  /// `count` random bytes for a new job.
  public static func random(count: Int = 32) throws -> Secret {
    try Secret(bytes: Crypto.randomBytes(count))
  }

  /// Reads the whole file; a missing, unreadable, empty or huge (> 64 KiB) file is an error
  /// naming it.
  public static func load(path: String) throws -> Secret {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw NetError(.secret, "cannot open secret file '\(path)': \(errnoText(errno))")
    }
    defer { _ = close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw NetError(.secret, "cannot read secret file '\(path)': \(errnoText(errno))")
      }
      if n == 0 { break }
      bytes += chunk[..<n]
      if bytes.count > 64 << 10 {
        throw NetError(.secret, "secret file '\(path)' is over 64 KiB: is it the right file?")
      }
    }
    guard !bytes.isEmpty else {
      throw NetError(.secret, "secret file '\(path)' is empty: the launcher writes the job's "
        + "secret there; refusing to authenticate with an empty key")
    }
    return try Secret(bytes: bytes)
  }
}
