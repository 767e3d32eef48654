import Foundation
import XCTest

/// The built `gust` binary run as a real process, output kept in files (no pipe to fill up).
/// Binaries are found beside the running test bundle (any `--scratch-path`), else from this
/// file's path: `<package>/.build-launch/debug` or `.build/debug`.
enum Gust {
  static var binDir: String {
    for dir in [Bundle.main.bundleURL.path, Bundle.main.bundleURL.deletingLastPathComponent().path] {
      if FileManager.default.isExecutableFile(atPath: dir + "/gust") { return dir }
    }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
    for dir in [".build-launch", ".build"] {
      let d = "\(package)/\(dir)/debug"
      if FileManager.default.isExecutableFile(atPath: d + "/gust") { return d }
    }
    return "\(package)/.build/debug"
  }

  struct Result {
    var code: Int32
    var reason: Process.TerminationReason
    var out: String
    var err: String
    var all: String { "--- stdout\n\(out)\n--- stderr\n\(err)" }
  }

  /// A started `gust` process.
  final class Running {
    let process = Process()
    let outPath: String
    let errPath: String

    init(_ args: [String], in dir: String) throws {
      let tag = UUID().uuidString.prefix(8)
      outPath = "\(dir)/gust-\(tag).out"
      errPath = "\(dir)/gust-\(tag).err"
      FileManager.default.createFile(atPath: outPath, contents: nil)
      FileManager.default.createFile(atPath: errPath, contents: nil)
      process.executableURL = URL(fileURLWithPath: Gust.binDir + "/gust")
      process.arguments = args
      process.currentDirectoryURL = URL(fileURLWithPath: dir)
      process.standardOutput = FileHandle(forWritingAtPath: outPath)!
      process.standardError = FileHandle(forWritingAtPath: errPath)!
      try process.run()
    }

    /// A launcher still running when its test lets go of it (the test threw before waiting) is
    /// stopped as a user would: SIGTERM (it stops its children), SIGKILL after 10 s.
    deinit {
      guard process.isRunning else { return }
      kill(process.processIdentifier, SIGTERM)
      let deadline = Date().addingTimeInterval(10)
      while process.isRunning && Date() < deadline { usleep(20_000) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
    }

    var out: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var err: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` seconds (then SIGKILLs it and fails the test).
    func wait(timeout: Double = 120, file: StaticString = #filePath, line: UInt = #line) -> Result {
      let deadline = Date().addingTimeInterval(timeout)
      while process.isRunning && Date() < deadline { usleep(20_000) }
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTFail("gust did not finish within \(timeout) s\n\(out)\n\(err)", file: file, line: line)
      }
      return Result(code: process.terminationStatus, reason: process.terminationReason, out: out, err: err)
    }

    /// Waits until stdout contains `text` (or the process ends / `timeout` passes).
    func waitForOutput(_ text: String, timeout: Double = 60) -> Bool {
      let deadline = Date().addingTimeInterval(timeout)
      while Date() < deadline {
        if out.contains(text) { return true }
        if !process.isRunning { return false }
        usleep(20_000)
      }
      return false
    }
  }

  static func run(_ args: [String], in dir: String, timeout: Double = 120, file: StaticString = #filePath, line: UInt = #line) throws -> Result {
    try Running(args, in: dir).wait(timeout: timeout, file: file, line: line)
  }

  /// Live (non-zombie) processes whose command line mentions `marker`, other than this one.
  static func processes(mentioning marker: String) -> [String] {
    let me = getpid()
    var found: [String] = []
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let pid = Int32(entry), pid != me else { continue }
      guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
      let cmd = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
      guard cmd.contains(marker) else { continue }
      let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
      if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { continue }
      found.append("\(pid): \(cmd)")
    }
    return found
  }

  /// Waits up to `timeout` for every process mentioning `marker` to be gone; those left.
  static func leftover(_ marker: String, timeout: Double = 5) -> [String] {
    let deadline = Date().addingTimeInterval(timeout)
    var left = processes(mentioning: marker)
    while !left.isEmpty && Date() < deadline {
      usleep(50_000)
      left = processes(mentioning: marker)
    }
    return left
  }

  /// Every log under `<workspace>/logs`, for failure messages.
  static func logs(_ workspace: String) -> String {
    let dir = workspace + "/logs"
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    return files.map { "--- \($0)\n" + ((try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) ?? "") }
      .joined(separator: "\n")
  }
}
