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

  /// Starts the real `gust-trainer` with `args`, its output to `log` (kept for `logs()`).
  private func startTrainer(_ args: [String], log: String) throws -> (process: Process, handle: FileHandle) {
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    trainerLogs.append(log)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ServerProcesses.binary("gust-trainer"))
    process.arguments = args
    let handle = FileHandle(forWritingAtPath: log)!
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return (process, handle)
  }

  /// Waits for a trainer from `startTrainer`; its exit code and log.
  private func finish(_ t: (process: Process, handle: FileHandle), log: String) -> (code: Int32, log: String) {
    t.process.waitUntilExit()
    try? t.handle.close()
    return (t.process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
  }

  /// Runs the real `gust-trainer` with `args`; `whileRunning` is called once it has started.
  func runTrainer(_ args: [String], tag: String, whileRunning: (Process, String) -> Void = { _, _ in }) throws -> (code: Int32, log: String, seconds: Double) {
    let log = "\(root)/trainer-\(tag).log"
    let start = Date()
    let t = try startTrainer(args, log: log)
    whileRunning(t.process, log)
    let r = finish(t, log: log)
    return (r.code, r.log, Date().timeIntervalSince(start))
  }

  /// Runs one `gust-trainer` per entry of `argsPerRank` at once (the ranks of one job); their
  /// exit codes and logs in rank order.
  func runTrainers(_ argsPerRank: [[String]], tag: String) throws -> [(code: Int32, log: String)] {
    let running = try argsPerRank.enumerated().map { r, args in
      let log = "\(root)/trainer-\(tag)-\(r).log"
      return (try startTrainer(args, log: log), log)
    }
    return running.map { finish($0.0, log: $0.1) }
  }

  override func logs() -> String {
    ([super.logs()] + trainerLogs.map { "--- \($0):\n" + ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "") })
      .joined(separator: "\n")
  }
}
