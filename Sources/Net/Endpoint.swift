#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An explicit IP address and TCP port: `127.0.0.1:7000`, `[::1]:7000`. Host names are refused
/// on purpose: servers listen only on the address the hostfile gives them (SPEC §6), and a
/// resolver is one more thing that can hang.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
  public var host: String
  public var port: UInt16

  public init(host: String, port: UInt16) throws {
    guard Endpoint.family(of: host) != nil else {
      throw NetError(.invalidAddress, "'\(host)' is not an IPv4 or IPv6 address (host names are "
        + "not accepted: give the IP the hostfile names)")
    }
    self.host = host
    self.port = port
  }

  /// A loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127.x): bytes to it never leave
  /// this host's memory.
  public var isLoopback: Bool {
    host.hasPrefix("127.") || host == "::1" || host.lowercased().hasPrefix("::ffff:127.")
  }

  /// Parses `IP:PORT` (IPv6 in brackets: `[::1]:PORT`). Port 0 asks for an ephemeral port.
  public init(parsing text: String) throws {
    let hostPart: Substring
    let portPart: Substring
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]"),
            text[text.index(after: close)...].hasPrefix(":")
      else { throw NetError(.invalidAddress, "'\(text)': expected [IPv6]:PORT") }
      hostPart = text[text.index(after: text.startIndex)..<close]
      portPart = text[text.index(close, offsetBy: 2)...]
    } else {
      guard let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon else {
        throw NetError(.invalidAddress, "'\(text)': expected IP:PORT (IPv6 as [IP]:PORT)")
      }
      hostPart = text[..<colon]
      portPart = text[text.index(after: colon)...]
    }
    guard let port = UInt16(portPart) else {
      throw NetError(.invalidAddress, "'\(text)': port '\(portPart)' is not 0...65535")
    }
    try self.init(host: String(hostPart), port: port)
  }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

  static func family(of host: String) -> Int32? {
    var v4 = in_addr()
    var v6 = in6_addr()
    if inet_pton(AF_INET, host, &v4) == 1 { return AF_INET }
    if inet_pton(AF_INET6, host, &v6) == 1 { return AF_INET6 }
    return nil
  }

  var family: Int32 { Endpoint.family(of: host)! }

  /// Calls `body` with this endpoint as a sockaddr.
  func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
    var storage = sockaddr_storage()
    let length: socklen_t
    if family == AF_INET {
      var sin = sockaddr_in()
      sin.sin_family = sa_family_t(AF_INET)
      sin.sin_port = port.bigEndian
      _ = inet_pton(AF_INET, host, &sin.sin_addr)
      withUnsafeBytes(of: &sin) { src in
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
      }
      length = socklen_t(MemoryLayout<sockaddr_in>.size)
    } else {
      var sin6 = sockaddr_in6()
      sin6.sin6_family = sa_family_t(AF_INET6)
      sin6.sin6_port = port.bigEndian
      _ = inet_pton(AF_INET6, host, &sin6.sin6_addr)
      withUnsafeBytes(of: &sin6) { src in
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
      }
      length = socklen_t(MemoryLayout<sockaddr_in6>.size)
    }
    return try withUnsafePointer(to: &storage) {
      try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
    }
  }

  /// The endpoint a sockaddr names (accept, getsockname); nil for other families.
  init?(_ storage: sockaddr_storage) {
    var storage = storage
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    switch Int32(storage.ss_family) {
    case AF_INET:
      let sin = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in.self) }
      var addr = sin.sin_addr
      guard inet_ntop(AF_INET, &addr, &text, socklen_t(text.count)) != nil else { return nil }
      host = string(fromNulTerminated: text)
      port = UInt16(bigEndian: sin.sin_port)
    case AF_INET6:
      let sin6 = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
      var addr = sin6.sin6_addr
      guard inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count)) != nil else { return nil }
      host = string(fromNulTerminated: text)
      port = UInt16(bigEndian: sin6.sin6_port)
    default:
      return nil
    }
  }
}
