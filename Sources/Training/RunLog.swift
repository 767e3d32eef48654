import Foundation

/// What the user sees (SPEC §7): progress lines and metric tables through `print` (rank 0),
/// and `metrics.jsonl`, one JSON object a line, appended and flushed as it happens.
public final class RunLog {
  public let isLeader: Bool
  let print: (String) -> Void
  let handle: FileHandle?
  public let metricsPath: String?

  public init(metricsPath: String?, isLeader: Bool, print: @escaping (String) -> Void) throws {
    self.isLeader = isLeader
    self.print = print
    self.metricsPath = metricsPath
    if isLeader, let metricsPath {
      let dir = (metricsPath as NSString).deletingLastPathComponent
      if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
      if !FileManager.default.fileExists(atPath: metricsPath) {
        guard FileManager.default.createFile(atPath: metricsPath, contents: nil) else {
          throw TrainingError(.badInput, "cannot create the metrics file \(metricsPath)")
        }
      }
      guard let h = FileHandle(forWritingAtPath: metricsPath) else {
        throw TrainingError(.badInput, "cannot open the metrics file \(metricsPath)")
      }
      h.seekToEndOfFile()
      handle = h
    } else {
      handle = nil
    }
  }

  deinit { try? handle?.close() }

  /// A message for the user (rank 0 only; other ranks' logs stay quiet but for warnings).
  public func info(_ s: String) { if isLeader { print(s) } }
  public func warning(_ s: String) { print("warning: " + s) }

  /// A JSON value with a fixed key order.
  public enum Value {
    case string(String), int(Int), double(Double?)
    var json: String {
      switch self {
      case .int(let i): return String(i)
      case .double(let d): return d.map { $0.isFinite ? "\($0)" : "null" } ?? "null"
      case .string(let s): return RunLog.quote(s)
      }
    }
  }

  public func record(_ fields: [(String, Value)]) {
    guard let handle else { return }
    let line = "{" + fields.map { "\(RunLog.quote($0.0)): \($0.1.json)" }.joined(separator: ", ") + "}\n"
    handle.write(line.data(using: .utf8)!)
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
      }
    }
    return out + "\""
  }

  // MARK: Formatting

  static func fmt(_ x: Double?) -> String {
    guard let x, x.isFinite else { return "-" }
    return String(format: "%.4f", x)
  }

  static func duration(_ s: Double) -> String {
    guard s.isFinite, s >= 0 else { return "?" }
    let t = Int(s.rounded())
    return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
  }

  /// A left-aligned text table.
  static func table(_ header: [String], _ rows: [[String]]) -> String {
    var w = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() { w[i] = max(w[i], c.count) } }
    func line(_ r: [String]) -> String {
      let padded = r.enumerated().map { $1.padding(toLength: w[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
      return String(padded.reversed().drop { $0 == " " }.reversed())
    }
    return ([line(header), w.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line)).joined(separator: "\n")
  }
}
