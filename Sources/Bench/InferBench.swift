#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Issue 8's figures: `gust infer` on the anchor graph (`../shared/bench/`, medium and small)
/// with embeddings and predictions saved, 1 trainer + 1 server like GraphStorm's run: whole-job
/// wall time and peak PSS of the process tree beside GraphStorm's (goal ≥ 10× faster, ≤ 25%
/// memory), and rows written per second.
///
/// The checkpoint is made once per scale (cached in `.bench-data/infer-<scale>-model`): at most
/// 20 training steps of the anchor YAML with `gust-trainer --local` (a checkpoint at step 20, or
/// at the end of the epoch when it is shorter) — inference's cost does not depend on how well
/// the weights were trained.
enum InferBench {
  static func checkpoint(_ scale: String, trainer: String) -> String? {
    let root = FileManager.default.currentDirectoryPath + "/\(TrainBench.data)/infer-\(scale)-model"
    func saved() -> String? {
      let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix("epoch-") }.sorted()
      return names.map { root + "/" + $0 }.first { fileExists($0 + "/state.json") }
    }
    if let dir = saved() { return dir }
    _ = runMeasured(["/bin/rm", "-rf", root, root + "-ws"], logPath: "/dev/null")
    print("  training 20 steps on \(scale) for a checkpoint …")
    setenv("GUST_PROFILE_STEPS", "20", 1)
    defer { unsetenv("GUST_PROFILE_STEPS") }
    let m = runMeasured([trainer, "--part-config", TrainBench.graphConfig(scale), "--cf", TrainBench.anchorDir + "/acm_mt.yaml",
                         "--workspace", root + "-ws", "--local", "--num-epochs", "1", "--save-model-frequency", "20",
                         "--save-model-path", root], logPath: "\(TrainBench.data)/infer-\(scale)-model.log")
    guard m.status == 0, let dir = saved() else {
      print("  infer: making the checkpoint failed: see \(TrainBench.data)/infer-\(scale)-model.log"); return nil
    }
    return dir
  }

  struct Run {
    var wallSeconds: Double
    var peakPSSMB: Double
    var embeddingRows: Int
    var predictionRows: Int
    var embeddingSeconds: Double
  }

  static func infer(_ scale: String, gust: String, checkpoint: String) -> Run? {
    let ws = "\(TrainBench.data)/infer-\(scale)-ws"
    _ = runMeasured(["/bin/rm", "-rf", ws], logPath: "/dev/null")
    let log = "\(TrainBench.data)/infer-\(scale).log"
    let m = runSampled([gust, "infer", "--num-trainers", "1", "--num-servers", "1", "--part-config", TrainBench.graphConfig(scale),
                        "--cf", TrainBench.anchorDir + "/acm_mt.yaml", "--workspace", ws, "--restore-model-path", checkpoint,
                        "--save-embed-path", ws + "/emb", "--save-prediction-path", ws + "/pred"], logPath: log)
    guard m.status == 0, let text = try? String(contentsOfFile: ws + "/logs/trainer-0.log", encoding: .utf8) else {
      print("  infer (\(scale)): gust infer failed (exit \(m.status)): see \(log)"); return nil
    }
    var run = Run(wallSeconds: m.seconds, peakPSSMB: m.peakPSSBytes / 1e6, embeddingRows: 0, predictionRows: 0, embeddingSeconds: 0)
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ")
      // "embeddings: N rows of T node types (rank r of w) in S s (R rows/s) → path"
      if let i = words.firstIndex(of: "embeddings:"), i + 1 < words.count, let n = Int(words[i + 1]) {
        run.embeddingRows += n
        if let k = words.firstIndex(of: "in"), k + 1 < words.count, let s = Double(words[k + 1]) { run.embeddingSeconds += s }
      }
      // "task <id>: N predictions (rank r) → dir"
      if let i = words.firstIndex(of: "predictions"), i >= 1, let n = Int(words[i - 1]) { run.predictionRows += n }
    }
    return run
  }
}

/// GraphStorm's inference figures (whole job, with embeddings and predictions saved).
private let graphStorm: [String: (seconds: Double, pssMB: Double)] = ["small": (42.4, 1630), "medium": (128, 2070)]

func runInferBenchmarks(_ report: BenchReport, quick: Bool, explicit: Bool) {
  let dir = executableDir()
  let gust = dir + "/gust", trainer = dir + "/gust-trainer"
  guard fileExists(gust), fileExists(trainer) else {
    print("infer benchmarks: skipped: \(gust) or \(trainer) is missing (build them with `swift build -c release`)")
    return
  }
  if let why = TrainBench.availability() {
    print("infer benchmarks: skipped: \(why)")
    if explicit { exit(2) }
    return
  }
  print("infer benchmarks (anchor data of \(TrainBench.anchorDir); gust infer, 1 trainer + 1 server, embeddings + predictions saved)")
  for scale in quick ? ["small"] : ["small", "medium"] {
    guard TrainBench.prepare(scale, gust: gust), let ckpt = InferBench.checkpoint(scale, trainer: trainer) else { continue }
    var runs: [InferBench.Run] = []
    for _ in 0..<(quick || scale == "small" ? 1 : 3) { if let r = InferBench.infer(scale, gust: gust, checkpoint: ckpt) { runs.append(r) } }
    guard !runs.isEmpty else { continue }
    let n = runs.count
    let gs = graphStorm[scale]!
    let wall = runs.map(\.wallSeconds).sorted()[n / 2]
    report.add("infer_\(scale)_job_seconds", value: wall, unit: "s", baseline: gs.seconds,
               goal: String(format: "<= %.1f", gs.seconds / 10),
               note: "whole job (servers, restore, test metrics, embeddings, predictions); median of \(n); baseline: GraphStorm")
    report.add("infer_\(scale)_peak_pss_mb", value: runs.map(\.peakPSSMB).sorted()[n / 2], unit: "MB", baseline: gs.pssMB,
               goal: String(format: "<= %.0f", gs.pssMB / 4), note: "all processes; median of \(n); baseline: GraphStorm")
    let r = runs.sorted { $0.wallSeconds < $1.wallSeconds }[n / 2]
    report.add("infer_\(scale)_rows_per_second", value: Double(r.embeddingRows + r.predictionRows) / r.wallSeconds, unit: "rows/s",
               baseline: nil, goal: "-",
               note: "\(r.embeddingRows) embedding + \(r.predictionRows) prediction rows over the whole job")
    report.add("infer_\(scale)_embedding_rows_per_second", value: Double(r.embeddingRows) / max(r.embeddingSeconds, 1e-9),
               unit: "rows/s", baseline: nil, goal: "-",
               note: String(format: "the embedding pass alone (%.1f s: the layer-wise pass, which also gives the node tasks' predictions, and writing)", r.embeddingSeconds))
  }
}
