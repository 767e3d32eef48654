#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--ip-config`: DGL's `ip_config` shape, one host per line, `IP` or `IP PORT` (SPEC §6). Line
/// i's host serves partition i. Blank lines and lines starting with `#` are skipped.
public struct HostFile: Equatable, Sendable {
  public struct Host: Equatable, Sendable {
    /// A numeric IPv4 or IPv6 address (no host names: servers listen only on what this says).
    public var ip: String
    /// The first server's port on that host (server s listens on `port + s`); nil = ephemeral.
    public var port: Int?
    /// The 1-based line in the file.
    public var line: Int

    public init(ip: String, port: Int? = nil, line: Int) {
      self.ip = ip
      self.port = port
      self.line = line
    }

    /// 127.0.0.0/8 or ::1: a host the launcher can start processes on without ssh.
    public var isLoopback: Bool { ip.hasPrefix("127.") || ip == "::1" }
  }

  public var path: String
  public var hosts: [Host]

  /// Parses the file's text; errors name `path` and the line.
  public static func parse(_ text: String, path: String) throws -> HostFile {
    var hosts: [Host] = []
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingWhitespace()
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      guard fields.count <= 2 else {
        throw LaunchError.bad("--ip-config \(path):\(i + 1): expected 'IP' or 'IP PORT', found '\(line)'")
      }
      let ip = fields[0]
      guard isNumericAddress(ip) else {
        throw LaunchError.bad("--ip-config \(path):\(i + 1): '\(ip)' is not a numeric IPv4 or IPv6 address")
      }
      var port: Int?
      if fields.count == 2 {
        guard let p = Int(fields[1]), p > 0, p < 65536 else {
          throw LaunchError.bad("--ip-config \(path):\(i + 1): port '\(fields[1])' is not in 1…65535")
        }
        port = p
      }
      hosts.append(Host(ip: ip, port: port, line: i + 1))
    }
    guard !hosts.isEmpty else { throw LaunchError.bad("--ip-config \(path): no hosts in the file") }
    return HostFile(path: path, hosts: hosts)
  }

  /// Reads and parses the file and checks it has one host per partition.
  public static func load(path: String, numParts: Int) throws -> HostFile {
    guard let text = readTextFile(path) else { throw LaunchError.bad("--ip-config \(path): cannot read the file") }
    let h = try parse(text, path: path)
    try h.check(numParts: numParts)
    return h
  }

  /// The line count must equal the graph's partition count (host i serves partition i).
  public func check(numParts: Int) throws {
    guard hosts.count == numParts else {
      throw LaunchError.bad("--ip-config \(path): \(hosts.count) host(s) for a graph of \(numParts) partition(s); "
        + "give one line per partition (line i serves partition i)")
    }
  }

  static func isNumericAddress(_ s: String) -> Bool {
    var v4 = in_addr(), v6 = in6_addr()
    return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
  }
}

extension StringProtocol {
  func trimmingWhitespace() -> String {
    let scalars = Array(unicodeScalars)
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
    var s = String.UnicodeScalarView()
    s.append(contentsOf: scalars[first...last])
    return String(s)
  }
}

/// The whole file as UTF-8 text, or nil.
func readTextFile(_ path: String) -> String? {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 { if errno == EINTR { continue }; return nil }
    if n == 0 { break }
    bytes += chunk[..<n]
  }
  return String(decoding: bytes, as: UTF8.self)
}
