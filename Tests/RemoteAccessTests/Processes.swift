import Foundation
import Net
import RemoteAccess
import XCTest

/// Real `gust-server` processes on 127.0.0.1 for one test (ephemeral ports learnt from port
/// files, logs kept in files and dumped when a test fails), and `gust-trainer` runs.
/// As Tests/GraphServiceTests/ServerProcesses.swift.
final class Processes {
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
  private(set) var trainerLogs: [String] = []

  /// A built binary of this package: beside the running test bundle (any `--scratch-path`),
  /// else found from this file's path (`.build-remote`, then `.build`).
  static func binary(_ name: String) -> String {
    for dir in [Bundle.main.bundleURL.path, Bundle.main.bundleURL.deletingLastPathComponent().path] {
      if FileManager.default.isExecutableFile(atPath: dir + "/" + name) { return dir + "/" + name }
    }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
    for dir in [".build-remote", ".build"] {
      let p = "\(package)/\(dir)/debug/\(name)"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return "\(package)/.build/debug/\(name)"
  }

  init(root: String, configPath: String, secret: String = "remote-access-test-secret") throws {
    self.root = root
    self.configPath = configPath
    secretPath = root + "/secret"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    try Data(secret.utf8).write(to: URL(fileURLWithPath: secretPath))
    chmod(secretPath, 0o600)
  }

  /// Starts server `serverID` of partition `part` and waits (up to 30 s) for its port file.
  @discardableResult
  func start(part: Int, serverID: Int = 0, extra: [String] = []) throws -> Handle {
    let tag = "p\(part)s\(serverID)-\(handles.count)"
    let portFile = "\(root)/port-\(tag)"
    let log = "\(root)/server-\(tag).log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Processes.binary("gust-server"))
    process.arguments = ["--part-config", configPath, "--part-id", "\(part)", "--server-id", "\(serverID)",
                         "--listen", "127.0.0.1:0", "--secret-file", secretPath, "--port-file", portFile] + extra
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

  /// One server per partition with embeddings `dim` wide from job seed `seed`.
  func startAll(parts: Int, dim: Int, seed: UInt64) throws {
    for p in 0..<parts { try start(part: p, extra: ["--embed-dim", "\(dim)", "--seed", "\(seed)"]) }
  }

  /// `servers[p][s]` for the handles started so far.
  var endpoints: [[Endpoint]] {
    let parts = (handles.map(\.part).max() ?? -1) + 1
    return (0..<parts).map { p in handles.filter { $0.part == p }.sorted { $0.serverID < $1.serverID }.map(\.endpoint) }
  }

  /// Writes the servers file the launcher would; returns its path.
  func writeServersFile() throws -> String {
    let path = root + "/servers.json"
    try ServersFile.text(endpoints).write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Runs the real `gust-trainer` with `args`; `whileRunning` is called once it has started.
  func runTrainer(_ args: [String], tag: String, whileRunning: (Process, String) -> Void = { _, _ in }) throws -> (code: Int32, log: String, seconds: Double) {
    let log = "\(root)/trainer-\(tag).log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    trainerLogs.append(log)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Processes.binary("gust-trainer"))
    process.arguments = args
    let handle = FileHandle(forWritingAtPath: log)!
    process.standardOutput = handle
    process.standardError = handle
    let start = Date()
    try process.run()
    whileRunning(process, log)
    process.waitUntilExit()
    try? handle.close()
    return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "", Date().timeIntervalSince(start))
  }

  /// Runs one `gust-trainer` per entry of `argsPerRank` at once (the ranks of one job); their
  /// exit codes and logs in rank order.
  func runTrainers(_ argsPerRank: [[String]], tag: String) throws -> [(code: Int32, log: String)] {
    var running: [(Process, FileHandle, String)] = []
    for (r, args) in argsPerRank.enumerated() {
      let log = "\(root)/trainer-\(tag)-\(r).log"
      _ = FileManager.default.createFile(atPath: log, contents: nil)
      trainerLogs.append(log)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: Processes.binary("gust-trainer"))
      process.arguments = args
      let handle = FileHandle(forWritingAtPath: log)!
      process.standardOutput = handle
      process.standardError = handle
      try process.run()
      running.append((process, handle, log))
    }
    return running.map { p, h, log in
      p.waitUntilExit()
      try? h.close()
      return (p.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
  }

  func logs() -> String {
    (handles.map { h in "--- server \(h.part)/\(h.serverID):\n" + ((try? String(contentsOfFile: h.log, encoding: .utf8)) ?? "") }
      + trainerLogs.map { "--- \($0):\n" + ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "") })
      .joined(separator: "\n")
  }

  /// SIGTERM to every server still running, then wait for them.
  func stopAll() {
    for h in handles where h.process.isRunning { h.process.terminate() }
    for h in handles { h.process.waitUntilExit() }
  }
}
