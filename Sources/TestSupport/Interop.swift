import Foundation

/// The interop tests' Python (pyarrow reads and writes the files Gust reads and writes) and a
/// way to run a helper process and keep its output.
public enum Interop {
  /// The package's root folder.
  public static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  }

  /// `GUST_PYTHON`, else `<root>/.venv-interop/bin/python` (`make venv`), else the system's
  /// python3 — the first that imports pyarrow; nil when none does.
  public static func pythonWithPyarrow() -> String? {
    var candidates: [String] = []
    if let p = ProcessInfo.processInfo.environment["GUST_PYTHON"], !p.isEmpty { candidates.append(p) }
    candidates += [packageRoot.appendingPathComponent(".venv-interop/bin/python").path, "/usr/bin/python3"]
    return candidates.first { c in
      FileManager.default.isExecutableFile(atPath: c) && (try? run(c, ["-c", "import pyarrow"])) != nil
    }
  }

  /// A failed helper process: its executable and what it wrote to stderr.
  public struct ProcessFailure: Error, CustomStringConvertible {
    public let executable: String
    public let stderr: String
    public var description: String { "\(executable) failed: \(stderr)" }
  }

  /// Runs `exe args`, waits, returns its stdout; a non-zero exit throws `ProcessFailure`.
  @discardableResult
  public static func run(_ exe: String, _ args: [String]) throws -> String {
    let r = try capture(exe, args)
    guard r.code == 0 else { throw ProcessFailure(executable: exe, stderr: r.stderr) }
    return r.stdout
  }

  /// Runs `exe args` (in `cwd` when given), waits; its exit code, stdout and stderr.
  public static func capture(_ exe: String, _ args: [String], cwd: String? = nil) throws
    -> (code: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }
}
