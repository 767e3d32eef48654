#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Median wall times of two bodies measured in alternation (A, B, A, B, …), so that load from
/// elsewhere on the machine hits both alike.
func interleavedMedians(reps: Int, warmup: Int = 2, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
  for _ in 0..<warmup { a(); b() }
  var ta: [Double] = [], tb: [Double] = []
  for _ in 0..<reps {
    var t0 = now()
    a()
    ta.append(now() - t0)
    t0 = now()
    b()
    tb.append(now() - t0)
  }
  ta.sort(); tb.sort()
  return (ta[ta.count / 2], tb[tb.count / 2])
}

/// Monotonic seconds.
func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Seconds of CPU time the calling thread has used (excludes time other processes held the core).
func threadCPUTime() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Median wall time (or, with `cpu`, the calling thread's CPU time: single-threaded work only)
/// of `reps` runs of `body` after `warmup` unmeasured ones.
func medianSeconds(reps: Int, warmup: Int = 2, cpu: Bool = false, _ body: () -> Void) -> Double {
  for _ in 0..<warmup { body() }
  var times: [Double] = []
  let clock = cpu ? threadCPUTime : now
  for _ in 0..<reps {
    let t0 = clock()
    body()
    times.append(clock() - t0)
  }
  times.sort()
  return times[times.count / 2]
}

/// Collects rows, appends each as a JSON line, prints them as a table at the end.
final class BenchReport {
  struct Row { let bench: String; let value: Double; let unit: String; let baseline: Double?; let goal: String; let note: String }
  private(set) var rows: [Row] = []
  let path: String

  init(path: String) { self.path = path }

  func add(_ bench: String, value: Double, unit: String, baseline: Double? = nil, goal: String,
           note: String = "") {
    let row = Row(bench: bench, value: value, unit: unit, baseline: baseline, goal: goal, note: note)
    rows.append(row)
    var json = "{\"bench\": \"\(bench)\", \"value\": \(fmt(value)), \"unit\": \"\(unit)\""
    json += ", \"baseline\": " + (baseline.map { fmt($0) } ?? "null")
    json += ", \"goal\": \"\(goal)\""
    if !note.isEmpty { json += ", \"note\": \"\(note)\"" }
    json += "}\n"
    if let f = fopen(path, "a") {
      fputs(json, f)
      fclose(f)
    }
    print(String(repeating: " ", count: 0) + "  \(bench): \(fmt(value)) \(unit)" + (baseline.map { " (baseline \(fmt($0)))" } ?? ""))
    fflush(nil)
  }

  func printTable() {
    let header = ["bench", "value", "unit", "baseline", "ratio", "goal", "note"]
    var table = [header]
    for r in rows {
      let ratio = r.baseline.map { $0 > 0 ? fmt(r.value / $0) : "-" } ?? "-"
      table.append([r.bench, fmt(r.value), r.unit, r.baseline.map(fmt) ?? "-", ratio, r.goal, r.note])
    }
    var widths = [Int](repeating: 0, count: header.count)
    for row in table { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    print("")
    for (k, row) in table.enumerated() {
      print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  "))
      if k == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
    }
    print("\nrows appended to \(path)")
  }
}

func fmt(_ x: Double) -> String {
  if x == 0 { return "0" }
  let a = abs(x)
  let digits = a >= 100 ? 1 : a >= 1 ? 2 : 4
  var s = String(format: digits, x)
  while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
  return s
}

private func String(format digits: Int, _ x: Double) -> String {
  var buf = [CChar](repeating: 0, count: 64)
  _ = buf.withUnsafeMutableBufferPointer { b in
    withVaList([digits, x]) { vsnprintf(b.baseAddress, 64, "%.*f", $0) }
  }
  return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension String {
  func padding(toLength n: Int, withPad pad: String, startingAt: Int) -> String {
    count >= n ? self : self + String(repeating: pad, count: n - count)
  }
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s[s.count / 2]
}

/// The 1-, 5- and 15-minute load averages ("5.64 4.10 3.02"), for benchmark notes.
func loadAverage() -> String {
  guard let f = fopen("/proc/loadavg", "r") else { return "?" }
  defer { fclose(f) }
  var buf = [CChar](repeating: 0, count: 128)
  guard fgets(&buf, 128, f) != nil else { return "?" }
  return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    .split(separator: " ").prefix(3).joined(separator: " ")
}
