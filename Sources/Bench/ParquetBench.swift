import Foundation
import Parquet

/// Issue 3's figures: Gust's Parquet read throughput beside pyarrow's single-threaded read of
/// the same column of the same file (alternating runs, medians), and Gust's peak memory per
/// column against the size of the decoded output.
///
/// The table (10M rows; `--quick`: 1M) is made once by `scripts/parquet_bench.py make` and kept in
/// `.bench-data/` (git-ignored; `GUST_BENCH_DATA` overrides the folder). pyarrow runs as one
/// long-lived `parquet_bench.py serve` process answering "time <column>" lines, so both sides are
/// timed in process, without start-up.
func runParquetBenchmarks(_ report: BenchReport, quick: Bool) {
  guard let python = benchPython() else {
    print("parquet benchmarks skipped: no python with pyarrow (set GUST_PYTHON or run `make venv`)")
    return
  }
  let script = "scripts/parquet_bench.py"
  guard FileManager.default.fileExists(atPath: script) else {
    print("parquet benchmarks skipped: run from the repository root (\(script) not found)")
    return
  }
  let rows = quick ? 1_000_000 : 10_000_000
  let dir = ProcessInfo.processInfo.environment["GUST_BENCH_DATA"] ?? ".bench-data"
  let path = "\(dir)/parquet_\(rows / 1_000_000)M.parquet"
  if !FileManager.default.fileExists(atPath: path) {
    print("making \(path) with pyarrow (once; \(rows) rows) …")
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    guard (try? runProcess(python, [script, "make", path, "--rows", "\(rows)"])) != nil else {
      print("parquet benchmarks skipped: could not make \(path)")
      return
    }
  }
  print("parquet benchmarks: \(path) (load average \(loadAverage()))")
  let columns: [(name: String, kind: String, about: String)] = [
    ("id", "int64", "unique int64 ids: dictionary pages up to pyarrow's 1 MiB dictionary limit, then PLAIN"),
    ("label", "float64", "float64 class ids, 153 distinct: RLE_DICTIONARY throughout"),
    ("name", "string", "unique strings like p1234567: dictionary pages, then PLAIN"),
    ("features", "list_float", "list<float>, 64 per row, every row (2.56 GB decoded); "
       + "unit = floats/s (rows/s = value / 64)"),
  ]
  // Runs per column: more for the short reads, whose times the machine's other load moves most.
  func repsFor(_ kind: String, fresh: Bool) -> Int {
    if quick { return fresh ? 1 : 3 }
    if kind.hasPrefix("list") { return fresh ? 3 : 5 }
    return fresh ? 7 : 9
  }
  do {
    let py = try LineProcess(python, [script, "serve", path])
    defer { py.close() }
    for c in columns {
      let reps = repsFor(c.kind, fresh: false)
      var gust: [Double] = [], arrow: [Double] = []
      var values = 0, arrowValues = 0
      for k in 0..<(reps + 1) {  // the first round warms both up and is not counted
        let t0 = now()
        values = try gustRead(path, c.name)
        let tg = now() - t0
        let reply = try py.ask("time \(c.name)")
        guard let s = reply["seconds"] as? Double, let n = reply["values"] as? Int else {
          throw BenchError("pyarrow answered \(reply)")
        }
        arrowValues = n
        if k > 0 { gust.append(tg); arrow.append(s) }
      }
      guard values == arrowValues else {
        throw BenchError("column \(c.name): Gust read \(values) values, pyarrow \(arrowValues)")
      }
      let g = median(gust), a = median(arrow)
      let unit = c.kind.hasPrefix("list") ? "M floats/s" : "M values/s"
      let bench = c.kind.hasPrefix("list") ? "parquet_read_list_float" : "parquet_read_\(c.kind)"
      report.add(bench, value: Double(values) / g / 1e6, unit: unit,
                 baseline: Double(values) / a / 1e6, goal: ">= 0.5 of baseline",
                 note: "column '\(c.name)': \(c.about); \(rows / 1_000_000)M rows, \(values) values; medians of \(reps) "
                   + "alternating runs (Gust \(fmt(g)) s, pyarrow \(fmt(a)) s); pyarrow use_threads=False; "
                   + "Gust readAll = one contiguous array in fresh memory each run (pyarrow's mimalloc "
                   + "reuses its pages between runs); load \(loadAverage())")
    }
  } catch {
    print("parquet throughput benchmarks failed: \(error)")
  }

  // One-shot reads and peak memory: a fresh process per read (Gust: this executable; pyarrow:
  // the script), alternating. Page cache warm, allocator cold on both sides: the case of a table
  // loaded once, where neither side can reuse memory from an earlier read.
  let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    ?? CommandLine.arguments[0]
  var memoryRows: [() -> Void] = []
  for c in columns {
    let freshReps = repsFor(c.kind, fresh: true)
    do {
      var gs: [Double] = [], ps: [Double] = []
      var g: [String: Any] = [:], a: [String: Any] = [:]
      for _ in 0..<freshReps {
        g = try jsonLine(try runProcess(me, ["parquet-read-one", path, c.name]))
        a = try jsonLine(try runProcess(python, [script, "peak", path, c.name]))
        guard let tg = g["seconds"] as? Double, let ta = a["seconds"] as? Double else {
          throw BenchError("unexpected answers \(g) / \(a)")
        }
        gs.append(tg)
        ps.append(ta)
      }
      func ratio(_ j: [String: Any]) -> (Double, Int, Int)? {
        guard let peak = j["peak_rss"] as? Int, let before = j["rss_before"] as? Int,
              let decoded = j["decoded_bytes"] as? Int, decoded > 0 else { return nil }
        return (Double(peak - before) / Double(decoded), peak - before, decoded)
      }
      guard let (rg, pg, dg) = ratio(g), let (ra, pa, da) = ratio(a),
            let values = a["values"] as? Int else {
        throw BenchError("unexpected answers \(g) / \(a)")
      }
      let list = c.kind.hasPrefix("list")
      let tg = median(gs), ta = median(ps)
      report.add((list ? "parquet_read_list_float" : "parquet_read_\(c.kind)") + "_fresh",
                 value: Double(values) / tg / 1e6, unit: list ? "M floats/s" : "M values/s",
                 baseline: Double(values) / ta / 1e6, goal: ">= 0.5 of baseline",
                 note: "column '\(c.name)' read once in a fresh process (allocator cold on both sides), "
                   + "medians of \(freshReps) alternating: Gust \(fmt(tg)) s (open + readAll), pyarrow "
                   + "\(fmt(ta)) s (read_table, use_threads=False); load \(loadAverage())")
      memoryRows.append {
        report.add("parquet_peak_mem_\(c.name)", value: rg, unit: "x decoded size", baseline: ra,
                   goal: "<= 1.5", note: "peak RSS growth while reading column '\(c.name)' in a fresh "
                     + "process (VmHWM - VmRSS before the read): Gust \(mib(pg)) for \(mib(dg)) decoded, "
                     + "pyarrow \(mib(pa)) for \(mib(da)) decoded (baseline = pyarrow's ratio)")
      }
    } catch {
      print("parquet one-shot/peak-memory benchmark for \(c.name) failed: \(error)")
    }
  }
  for add in memoryRows { add() }
}

/// `gust-bench parquet-read-one <file> <column>`: reads one column (all row groups, one
/// contiguous output) and prints {"peak_rss", "rss_before", "decoded_bytes"} as one JSON line.
func parquetReadOne(_ args: [String]) -> Int32 {
  guard args.count == 2 else {
    print("usage: gust-bench parquet-read-one <file> <column>")
    return 2
  }
  let before = procStatusBytes("VmRSS")
  do {
    let t0 = now()
    let f = try ParquetFile.open(args[0])
    let cols = try f.readAll(columns: [args[1]])
    let seconds = now() - t0
    let peak = procStatusBytes("VmHWM")
    let decoded = cols.reduce(0) { $0 + decodedBytes($1) }
    print("{\"peak_rss\": \(peak), \"rss_before\": \(before), \"decoded_bytes\": \(decoded), "
          + "\"seconds\": \(seconds)}")
    return 0
  } catch {
    print("gust-bench parquet-read-one: \(error)")
    return 1
  }
}

/// Reads a column the way a Gust user would (all row groups into one contiguous array) and
/// returns the number of leaf values.
func gustRead(_ path: String, _ column: String) throws -> Int {
  let f = try ParquetFile.open(path)
  let c = try f.readAll(columns: [column])[0]
  return c.values.count
}

/// Bytes of the decoded buffers of a column: values (strings: bytes + Int32 offsets), validity
/// (one byte per slot), list offsets and list validity.
func decodedBytes(_ c: ColumnData) -> Int {
  var n: Int
  switch c.values {
  case .bool(let v): n = v.count
  case .int32(let v), .date(let v): n = 4 * v.count
  case .int64(let v), .timestamp(let v, _): n = 8 * v.count
  case .uint64(let v): n = 8 * v.count
  case .float(let v): n = 4 * v.count
  case .double(let v): n = 8 * v.count
  case .string(let o, let b), .binary(let o, let b): n = 4 * o.count + b.count
  case .fixedBinary(_, let b): n = b.count
  }
  n += c.validity?.count ?? 0
  n += 4 * (c.listOffsets?.count ?? 0)
  n += c.listValidity?.count ?? 0
  return n
}

func procStatusBytes(_ key: String) -> Int {
  guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
  for line in s.split(separator: "\n") where line.hasPrefix(key + ":") {
    let parts = line.split(separator: " ", omittingEmptySubsequences: true)
    if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
  }
  return 0
}

func mib(_ bytes: Int) -> String { fmt(Double(bytes) / 1_048_576) + " MiB" }

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

/// GUST_PYTHON, else `.venv-interop/bin/python`, if it imports pyarrow.
func benchPython() -> String? {
  var candidates: [String] = []
  if let p = ProcessInfo.processInfo.environment["GUST_PYTHON"], !p.isEmpty { candidates.append(p) }
  candidates.append(".venv-interop/bin/python")
  for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
    if (try? runProcess(c, ["-c", "import pyarrow"])) != nil { return c }
  }
  return nil
}

/// Runs a command to completion; returns its stdout; throws on a non-zero exit. Stderr passes
/// through.
@discardableResult
func runProcess(_ exe: String, _ args: [String]) throws -> String {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: exe)
  p.arguments = args
  let out = Pipe()
  p.standardOutput = out
  try p.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  guard p.terminationStatus == 0 else {
    throw BenchError("\(exe) \(args.joined(separator: " ")) exited with \(p.terminationStatus)")
  }
  return String(decoding: data, as: UTF8.self)
}

func jsonLine(_ s: String) throws -> [String: Any] {
  guard let line = s.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
        let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
    throw BenchError("no JSON line in output: \(s.prefix(200))")
  }
  return obj
}

/// A child process spoken to in lines: `ask` writes one line and returns the JSON line answered.
final class LineProcess {
  private let p = Process()
  private let input = Pipe(), output = Pipe()
  private var buffer = Data()

  init(_ exe: String, _ args: [String]) throws {
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    p.standardInput = input
    p.standardOutput = output
    try p.run()
  }

  func ask(_ line: String) throws -> [String: Any] {
    input.fileHandleForWriting.write(Data((line + "\n").utf8))
    while true {
      if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        let l = buffer[buffer.startIndex..<nl]
        buffer = Data(buffer[(nl + 1)...])
        return try jsonLine(String(decoding: l, as: UTF8.self))
      }
      let more = output.fileHandleForReading.availableData
      if more.isEmpty { throw BenchError("the pyarrow process ended") }
      buffer.append(more)
    }
  }

  func close() {
    input.fileHandleForWriting.write(Data("quit\n".utf8))
    try? input.fileHandleForWriting.close()
    p.waitUntilExit()
  }
}
