import Foundation
import Net
import XCTest

/// Real `gust-server` processes on 127.0.0.1 for one test class: started with ephemeral ports
/// (learnt from port files), logs kept in files and printed when a test fails.
final class ServerProcesses {
  struct Handle {
    let part: Int
    let serverID: Int
    let process: Process
    let log: String
    let endpoint: Endpoint
  }

  let root: String
  let configPath: String
  let secretPath: String
  private(set) var handles: [Handle] = []

  /// The built binary: beside the running test bundle (whatever `--scratch-path` built it), else
  /// from this file's path, `<package>/.build-server/debug/gust-server` or
  /// `<package>/.build/debug/gust-server`.
  static var binary: String {
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent().path
    for dir in [bundleDir, Bundle.main.bundleURL.path] {
      let p = "\(dir)/gust-server"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
    for dir in [".build-server", ".build-remote", ".build"] {
      let p = "\(package)/\(dir)/debug/gust-server"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return "\(package)/.build/debug/gust-server"
  }

  init(root: String, configPath: String, secret: String = "job-secret-for-tests") throws {
    self.root = root
    self.configPath = configPath
    secretPath = root + "/secret"
    try Data(secret.utf8).write(to: URL(fileURLWithPath: secretPath))
  }

  /// Starts server `serverID` of partition `part` and waits (up to 20 s) for its port file.
  @discardableResult
  func start(part: Int, serverID: Int = 0, extra: [String] = []) throws -> Handle {
    let tag = "p\(part)s\(serverID)-\(handles.count)"
    let portFile = "\(root)/port-\(tag)"
    let log = "\(root)/log-\(tag).txt"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ServerProcesses.binary)
    process.arguments = ["--part-config", configPath, "--part-id", "\(part)", "--server-id", "\(serverID)",
                         "--listen", "127.0.0.1:0", "--secret-file", secretPath, "--port-file", portFile,
                         "--handshake-timeout", "0.3"] + extra
    let handle = FileHandle(forWritingAtPath: log)!
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(20)
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

  /// `servers[p][s]` for the handles started so far.
  var endpoints: [[Endpoint]] {
    let parts = (handles.map(\.part).max() ?? -1) + 1
    return (0..<parts).map { p in handles.filter { $0.part == p }.sorted { $0.serverID < $1.serverID }.map(\.endpoint) }
  }

  func logs() -> String {
    handles.map { h in "--- \(h.part)/\(h.serverID):\n" + ((try? String(contentsOfFile: h.log, encoding: .utf8)) ?? "") }
      .joined(separator: "\n")
  }

  /// SIGTERM to every server still running, then wait for them.
  func stopAll() {
    for h in handles where h.process.isRunning { h.process.terminate() }
    for h in handles { h.process.waitUntilExit() }
  }
}
