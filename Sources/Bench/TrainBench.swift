#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Issue 6's headline figures: multi-task training on the anchor data of `../shared/bench/`
/// (GraphStorm's ACM-like graph and its `acm_mt.yaml`), one trainer, one epoch, beside
/// GraphStorm's and a hand-written DGL loop's figures from that README.
///
/// The data is generated with the anchor generator (`GUST_PYTHON` with numpy and pyarrow) and
/// constructed with `gust construct` into `.bench-data/` once (cached). The trainer runs as a
/// child process; the PSS of its whole process tree is sampled while it runs.
enum TrainBench {
  /// Where the anchor generator and YAML live (`GUST_BENCH_ANCHOR`, default `../shared/bench`).
  static var anchorDir: String {
    getenv("GUST_BENCH_ANCHOR").map { String(cString: $0) } ?? "../shared/bench"
  }

  /// Whether the `train` group can run: the data is cached, or the generator and a Python with
  /// numpy and pyarrow are there. The reason when it cannot.
  static func availability() -> String? {
    if !fileExists(anchorDir + "/acm_mt.yaml") { return "\(anchorDir)/acm_mt.yaml is missing (set GUST_BENCH_ANCHOR)" }
    if fileExists(graphConfig("medium")) && fileExists(graphConfig("small")) { return nil }
    if !fileExists(anchorDir + "/gen_acm_like.py") { return "\(anchorDir)/gen_acm_like.py is missing" }
    guard let py = python() else { return "GUST_PYTHON is not set (a Python with numpy and pyarrow generates the anchor data)" }
    let m = runMeasured([py, "-c", "import numpy, pyarrow"], logPath: "/dev/null")
    return m.status == 0 ? nil : "\(py) lacks numpy or pyarrow"
  }

  static func python() -> String? {
    guard let p = getenv("GUST_PYTHON") else { return nil }
    let s = String(cString: p)
    return s.isEmpty ? nil : s
  }

  static let data = ".bench-data"
  static func graphConfig(_ scale: String) -> String { "\(data)/acm-\(scale)-graph/acm.json" }

  /// Generates and constructs the anchor graph of `scale` unless cached; false on failure.
  static func prepare(_ scale: String, gust: String) -> Bool {
    if fileExists(graphConfig(scale)) { return true }
    mkdir(data, 0o755)
    let tables = "\(data)/acm-\(scale)"
    if !fileExists(tables + "/acm_like_gconstruct.json") {
      guard let py = python() else { print("  train: GUST_PYTHON is not set; cannot generate the \(scale) anchor data"); return false }
      print("  generating the \(scale) anchor graph in \(tables) …")
      let g = runMeasured([py, anchorDir + "/gen_acm_like.py", "--scale", scale, "--out", tables],
                          logPath: "\(data)/gen-acm-\(scale).log")
      guard g.status == 0 else { print("  train: the anchor generator failed: see \(data)/gen-acm-\(scale).log"); return false }
    }
    print("  constructing the \(scale) anchor graph (1 partition) …")
    let c = runMeasured([gust, "construct", "--conf-file", tables + "/acm_like_gconstruct.json",
                         "--output-dir", "\(data)/acm-\(scale)-graph", "--graph-name", "acm", "--num-parts", "1"],
                        logPath: "\(data)/construct-acm-\(scale).log")
    guard c.status == 0 else { print("  train: gust construct failed: see \(data)/construct-acm-\(scale).log"); return false }
    return true
  }

  /// One training run's figures.
  struct Run {
    var epochSeconds: Double
    var wallSeconds: Double
    var peakPSSMB: Double
    /// task id → (metric, test value) after the epoch.
    var test: [String: (metric: String, value: Double)]
  }

  /// One epoch of the anchor YAML on `scale`: through the launcher (`gust train`, 1 trainer and
  /// 1 server, like GraphStorm's run) or, with `local`, one `gust-trainer --local` reading the
  /// partition in-process.
  /// `trainers` > 1: that many ranks through the launcher; the epoch time is rank 0's.
  /// `trainerThreads`: each trainer's `--trainer-threads` (nil: every core, the default).
  static func train(_ scale: String, gust: String, trainer: String, local: Bool, label: String, trainers: Int = 1,
                    trainerThreads: Int? = nil) -> Run? {
    let tag = "\(scale)\(local ? "-local" : "")\(trainers > 1 ? "-t\(trainers)" : "")"
    let ws = "\(data)/train-\(tag)-ws"
    _ = runMeasured(["/bin/rm", "-rf", ws], logPath: "/dev/null")
    let log = "\(data)/train-\(tag).log"
    let common = ["--part-config", graphConfig(scale), "--cf", anchorDir + "/acm_mt.yaml", "--workspace", ws, "--num-epochs", "1"]
    let threads = trainerThreads.map { ["--trainer-threads", "\($0)"] } ?? []
    let argv = local ? [trainer] + common + ["--local"]
                     : [gust, "train", "--num-trainers", "\(trainers)", "--num-servers", "1"] + threads + common
    let m = runSampled(argv, logPath: log)
    guard m.status == 0 else { print("  train (\(label)): \(local ? "gust-trainer" : "gust train") failed (exit \(m.status)): see \(log)"); return nil }
    guard let text = try? String(contentsOfFile: ws + "/metrics.jsonl", encoding: .utf8) else {
      print("  train (\(label)): no metrics.jsonl in \(ws)"); return nil
    }
    var epoch: Double? = nil
    var test: [String: (String, Double)] = [:]
    for line in text.split(separator: "\n") {
      guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
      switch obj["kind"] as? String {
      case "epoch": epoch = (obj["seconds"] as? NSNumber)?.doubleValue
      case "eval":
        if obj["split"] as? String == "test", let t = obj["task_id"] as? String, let k = obj["metric"] as? String,
           let v = (obj["value"] as? NSNumber)?.doubleValue {
          test[t] = (k, v)
        }
      default: break
      }
    }
    guard let epoch else { print("  train (\(label)): no epoch line in metrics.jsonl"); return nil }
    return Run(epochSeconds: epoch, wallSeconds: m.seconds, peakPSSMB: m.peakPSSBytes / 1e6,
               test: test.mapValues { (metric: $0.0, value: $0.1) })
  }
}

/// GraphStorm's medium figures (README of `../shared/bench/`) and issue 6's goals, per metric.
private let metricRows: [String: (baseline: Double, goal: String, note: String)] = [
  "accuracy": (0.968, ">= 0.95", "baseline: GraphStorm; DGL loop 0.950"),
  "rmse": (1.346, "<= 0.70", "baseline: GraphStorm (its loss broadcasts); DGL loop 0.677"),
  "mrr": (0.070, ">= 0.065", "baseline: GraphStorm; DGL loop 0.068"),
  "mse": (15.73, "<= 15.8", "baseline: GraphStorm; DGL loop 15.81"),
]

func runTrainBenchmarks(_ report: BenchReport, quick: Bool, explicit: Bool) {
  let dir = executableDir()
  let gust = dir + "/gust", trainer = dir + "/gust-trainer"
  guard fileExists(gust), fileExists(trainer) else {
    print("train benchmarks: skipped: \(gust) or \(trainer) is missing (build them with `swift build -c release`)")
    return
  }
  if let why = TrainBench.availability() {
    print("train benchmarks: skipped: \(why)")
    if explicit { exit(2) }
    return
  }
  print("train benchmarks (anchor data of \(TrainBench.anchorDir); gust train, 1 trainer + 1 server, 1 epoch)")
  // Small: a quick figure (GraphStorm: 1.68 s per epoch on this kind of machine).
  if TrainBench.prepare("small", gust: gust) {
    var runs: [TrainBench.Run] = []
    for _ in 0..<(quick ? 1 : 3) { if let r = TrainBench.train("small", gust: gust, trainer: trainer, local: false, label: "small") { runs.append(r) } }
    if !runs.isEmpty {
      let t = runs.map(\.epochSeconds).sorted()[runs.count / 2]
      report.add("train_small_epoch_seconds", value: t, unit: "s", baseline: 1.68, goal: "-",
                 note: "median of \(runs.count); baseline: GraphStorm (mean of 100 epochs)")
    }
  }
  guard TrainBench.prepare("medium", gust: gust) else { return }
  var runs: [TrainBench.Run] = []
  for _ in 0..<(quick ? 1 : 3) { if let r = TrainBench.train("medium", gust: gust, trainer: trainer, local: false, label: "medium") { runs.append(r) } }
  guard !runs.isEmpty else { return }
  let median = runs.sorted { $0.epochSeconds < $1.epochSeconds }[runs.count / 2]
  let n = runs.count
  report.add("train_medium_epoch_seconds", value: median.epochSeconds, unit: "s", baseline: 715, goal: "<= 71.5",
             note: "gust train, 1 trainer + 1 server; median of \(n); baseline: GraphStorm (DGL loop 207 s)")
  let pss = runs.map(\.peakPSSMB).sorted()[n / 2]
  report.add("train_medium_peak_pss_mb", value: pss, unit: "MB", baseline: 2840, goal: "<= 710",
             note: "all processes; median of \(n); baseline: GraphStorm (DGL loop 1500 RSS)")
  report.add("train_medium_job_seconds", value: runs.map(\.wallSeconds).sorted()[n / 2], unit: "s", baseline: 784, goal: "-",
             note: "whole job: start-up, epoch, evaluation; baseline: GraphStorm")
  // Issue 7: two trainers (a TCP ring, each half the items, each with the default threads) beside one.
  var two: [TrainBench.Run] = []
  for _ in 0..<(quick ? 1 : 3) {
    if let r = TrainBench.train("medium", gust: gust, trainer: trainer, local: false, label: "medium, 2 trainers", trainers: 2) { two.append(r) }
  }
  if !two.isEmpty {
    let t2 = two.map(\.epochSeconds).sorted()[two.count / 2]
    report.add("train_medium_2trainers_epoch_seconds", value: t2, unit: "s", baseline: median.epochSeconds, goal: "<= 1 trainer's",
               note: "gust train --num-trainers 2 + 1 server; median of \(two.count); baseline: 1 trainer above")
    report.add("train_medium_2trainers_speedup", value: median.epochSeconds / t2, unit: "x", baseline: 1, goal: ">= 1",
               note: "1-trainer epoch / 2-trainer epoch, same run and load")
  }
  if let l = TrainBench.train("medium", gust: gust, trainer: trainer, local: true, label: "medium, local") {
    report.add("train_medium_local_epoch_seconds", value: l.epochSeconds, unit: "s", baseline: 715, goal: "<= 71.5",
               note: "gust-trainer --local (partition mapped in-process, no server); 1 run")
  }
  for task in median.test.keys.sorted() {
    let (metric, value) = median.test[task]!
    let row = metricRows[metric]
    let short = task.split(separator: "-").first.map(String.init) ?? task
    report.add("train_medium_test_\(short)_\(metric)", value: value, unit: metric, baseline: row?.baseline,
               goal: row?.goal ?? "-", note: row?.note ?? "")
  }
}

/// A finished child process with the peak PSS of its process tree.
struct Sampled {
  let seconds: Double
  let peakPSSBytes: Double
  let status: Int32
}

/// Runs `argv` like `runMeasured`, sampling every 0.2 s the summed `Pss:` of
/// `/proc/<pid>/smaps_rollup` over the child and all its descendants (shared pages counted once).
func runSampled(_ argv: [String], logPath: String) -> Sampled {
  let t0 = now()
  guard let pid = spawnLogged(argv, logPath: logPath) else { return Sampled(seconds: 0, peakPSSBytes: 0, status: -1) }
  var status: Int32 = 0
  var peak = 0.0
  while true {
    let r = waitpid(pid, &status, WNOHANG)
    if r == pid { break }
    if r < 0 && errno != EINTR { break }
    peak = max(peak, treePSSBytes(root: pid))
    usleep(200_000)
  }
  let t = now() - t0
  return Sampled(seconds: t, peakPSSBytes: peak, status: exitCode(status))
}

/// Σ PSS over `root` and its descendants (found through the `ppid` field of `/proc/*/stat`).
func treePSSBytes(root: pid_t) -> Double {
  var parent: [Int32: Int32] = [:]
  if let d = opendir("/proc") {
    while let e = readdir(d) {
      let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      guard let p = Int32(name) else { continue }
      guard let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")") else { continue }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      if fields.count > 1, let pp = Int32(fields[1]) { parent[p] = pp }
    }
    closedir(d)
  }
  var tree: Set<Int32> = [root]
  var grew = true
  while grew {
    grew = false
    for (p, pp) in parent where !tree.contains(p) && tree.contains(pp) { tree.insert(p); grew = true }
  }
  var kb = 0.0
  for p in tree {
    guard let s = try? String(contentsOfFile: "/proc/\(p)/smaps_rollup", encoding: .utf8) else { continue }
    for line in s.split(separator: "\n") where line.hasPrefix("Pss:") {
      kb += Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
  }
  return kb * 1024
}
