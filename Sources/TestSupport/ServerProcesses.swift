import Foundation
import Net

/// Real `gust-server` processes on 127.0.0.1 for tests: started with ephemeral ports (learnt
/// from port files), logs kept in files under `root` so a failing test can print them.
open class ServerProcesses {
  public struct Handle {
    public let part: Int
    public let serverID: Int
    public let process: Process
    public let log: String
    public let endpoint: Endpoint
  }

  public let root: String
  public let configPath: String
  public let secretPath: String
  /// Arguments every server gets after the standard ones (e.g. a short handshake timeout).
  public let serverArguments: [String]
  public private(set) var handles: [Handle] = []

  /// A built binary of this package (`gust-server`, `gust-trainer`, …): beside the running test
  /// bundle (whatever `--scratch-path` built it), else found from this file's path under
  /// `.build-*` or `.build`.
  public static func binary(_ name: String) -> String {
    for dir in [Bundle.main.bundleURL.path, Bundle.main.bundleURL.deletingLastPathComponent().path] {
      if FileManager.default.isExecutableFile(atPath: dir + "/" + name) { return dir + "/" + name }
    }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
    let scratch = ((try? FileManager.default.contentsOfDirectory(atPath: package)) ?? [])
      .filter { $0.hasPrefix(".build") }.sorted()
    for dir in scratch {
      let p = "\(package)/\(dir)/debug/\(name)"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return "\(package)/.build/debug/\(name)"
  }

  /// Creates `root` and writes the job secret (mode 0600) the servers and clients share.
  public init(root: String, configPath: String, secret: String = "job-secret-for-tests",
              serverArguments: [String] = []) throws {
    self.root = root
    self.configPath = configPath
    self.serverArguments = serverArguments
    secretPath = root + "/secret"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    try Data(secret.utf8).write(to: URL(fileURLWithPath: secretPath))
    chmod(secretPath, 0o600)
  }

  /// Starts server `serverID` of partition `part` and waits (up to 30 s) for its port file.
  @discardableResult
  public func start(part: Int, serverID: Int = 0, extra: [String] = []) throws -> Handle {
    let tag = "p\(part)s\(serverID)-\(handles.count)"
    let portFile = "\(root)/port-\(tag)"
    let log = "\(root)/server-\(tag).log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.binary("gust-server"))
    process.arguments = ["--part-config", configPath, "--part-id", "\(part)", "--server-id", "\(serverID)",
                         "--listen", "127.0.0.1:0", "--secret-file", secretPath, "--port-file", portFile]
      + serverArguments + extra
    let handle = FileHandle(forWritingAtPath: log)!
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
         let port = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
        let h = Handle(part: part, serverID: serverID, process: process, log: log,
                       endpoint: try Endpoint(host: "127.0.0.1", port: port))
        handles.append(h)
        return h
      }
      if !process.isRunning { break }
      usleep(10_000)
    }
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    process.terminate()
    throw NSError(domain: "gust-server", code: 1, userInfo: [NSLocalizedDescriptionKey: "server \(tag) did not start: \(text)"])
  }

  /// One server per partition with `extra` arguments each.
  public func startAll(parts: Int, extra: [String] = []) throws {
    for p in 0..<parts { try start(part: p, extra: extra) }
  }

  /// `servers[p][s]` for the handles started so far.
  public var endpoints: [[Endpoint]] {
    let parts = (handles.map(\.part).max() ?? -1) + 1
    return (0..<parts).map { p in handles.filter { $0.part == p }.sorted { $0.serverID < $1.serverID }.map(\.endpoint) }
  }

  /// Every server's log, headed by its partition and server id.
  open func logs() -> String {
    handles.map { h in "--- server \(h.part)/\(h.serverID):\n" + ((try? String(contentsOfFile: h.log, encoding: .utf8)) ?? "") }
      .joined(separator: "\n")
  }

  /// SIGTERM to every server still running, then wait for them.
  public func stopAll() {
    for h in handles where h.process.isRunning { h.process.terminate() }
    for h in handles { h.process.waitUntilExit() }
  }
}
