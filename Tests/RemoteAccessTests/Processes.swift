import Foundation
import Net
import RemoteAccess
import TestSupport

/// `gust-server` processes (TestSupport's `ServerProcesses`) and `gust-trainer` runs for one
/// test, with every log dumped when a test fails.
final class Processes: ServerProcesses {
  private(set) var trainerLogs: [String] = []

  /// One server per partition with embeddings `dim` wide from job seed `seed`.
  func startAll(parts: Int, dim: Int, seed: UInt64) throws {
    try startAll(parts: parts, extra: ["--embed-dim", "\(dim)", "--seed", "\(seed)"])
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
    process.executableURL = URL(fileURLWithPath: ServerProcesses.binary("gust-trainer"))
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
      process.executableURL = URL(fileURLWithPath: ServerProcesses.binary("gust-trainer"))
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

  override func logs() -> String {
    ([super.logs()] + trainerLogs.map { "--- \($0):\n" + ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "") })
      .joined(separator: "\n")
  }
}
