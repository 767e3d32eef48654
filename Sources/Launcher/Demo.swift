// `gust demo [--workspace W] [--num-epochs N]`: generate → construct (2 partitions) → train
// (1 server per partition, 1 trainer) → the per-task metrics table. Thin: the steps are the
// Synth, Construct and Launch libraries.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Construct
import Foundation
import Launch
import Synth

let demoUsage = """
  usage: gust demo [--workspace W] [--num-epochs N] [--scale tiny|small]

  The first thing to run: writes a synthetic ACM-like graph with every task kind (`gust generate
  --scale small`, into W/data), partitions it in two (`gust construct`, W/graph), trains all seven
  tasks for N epochs (default 10) with one gust-server per partition and one gust-trainer
  (`gust train`, workspace W/job), evaluates the last checkpoint on the test masks and writes
  every node's embeddings and the node/edge tasks' predictions (`gust infer`, workspace W/infer:
  W/infer/embeddings, W/infer/predictions),
  and prints each task's best validation metric with its test value. W defaults to ./gust-demo;
  data and graph are reused when already there.
  """

func runDemo(_ args: [String]) -> Int32 {
  if args.contains("--help") || args.contains("-h") { print(demoUsage); return 0 }
  var workspace = "gust-demo", epochs = 10, scale = SyntheticGraph.Scale.small
  var i = 0
  func bad(_ m: String) -> Int32 { writeStderr("gust demo: error: \(m)\n\(demoUsage)\n"); return 2 }
  while i < args.count {
    guard i + 1 < args.count else { return bad("\(args[i]) needs a value") }
    let v = args[i + 1]
    switch args[i] {
    case "--workspace": workspace = v
    case "--num-epochs":
      guard let n = Int(v), n >= 1 else { return bad("--num-epochs takes an integer ≥ 1, got '\(v)'") }
      epochs = n
    case "--scale":
      guard let s = SyntheticGraph.Scale(rawValue: v), s == .tiny || s == .small else { return bad("--scale is tiny or small") }
      scale = s
    default: return bad("unknown flag \(args[i])")
    }
    i += 2
  }
  let ws = absolutePath(workspace, cwd: currentDirectory())
  let data = ws + "/data", graphDir = ws + "/graph", job = ws + "/job"
  let graph = graphDir + "/acm.json", yaml = data + "/train.yaml"
  let t0 = monotonicNow()
  func step(_ s: String) { print("gust demo: \(s)"); fflush(nil) }

  if access(yaml, F_OK) == 0 && access(graph, F_OK) == 0 {
    step("reusing the generated data in \(data) and the partitioned graph in \(graphDir)")
  } else {
    if access(data, F_OK) == 0 && access(yaml, F_OK) != 0 { return bad("\(data) exists but holds no train.yaml: remove it or give another --workspace") }
    if access(yaml, F_OK) != 0 {
      step("1/4 gust generate --scale \(scale.rawValue) --output-dir \(data)")
      do {
        let s = try SyntheticWriter.generate(scale: scale, seed: 0, outputDir: data)
        step("    \(s.papers) papers, \(s.authors) authors, \(s.subjects) subjects, \(s.directedEdges) directed edges")
      } catch { writeStderr("gust demo: error: generate: \(error)\n"); return 1 }
    }
    step("2/4 gust construct --conf-file \(data)/gconstruct.json --output-dir \(graphDir) --graph-name acm --num-parts 2")
    do {
      let o = try ConstructOptions.parse(["--conf-file", data + "/gconstruct.json", "--output-dir", graphDir,
                                          "--graph-name", "acm", "--num-parts", "2"])
      let s = try GraphConstruction.run(o) { _ in }
      step("    \(s.config.numNodes) nodes, \(s.config.numEdges) edges in 2 partitions (edge cut \(s.edgeCut))")
    } catch { writeStderr("gust demo: error: construct: \(error)\n"); return 1 }
  }

  // One trainer: several need the gradient all-reduce, which is not in this build.
  let trainArgs = ["--part-config", graph, "--cf", yaml, "--workspace", job, "--num-servers", "1", "--num-trainers", "1",
                   "--num-epochs", "\(epochs)", "--save-model-path", job + "/model", "--log-interval", "10"]
  step("3/4 gust train " + trainArgs.joined(separator: " "))
  step("    (one trainer: several need the gradient all-reduce, which is not in this build)")
  let metrics = job + "/metrics.jsonl"
  unlink(metrics)
  let code = LaunchJob.main(trainArgs, mode: .train, env: .forCurrentExecutable())
  guard code == 0 else { writeStderr("gust demo: training failed (exit \(code))\n"); return code }

  let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
  let best = MetricsSummary.best(jsonl: text)

  // Inference from the last epoch's checkpoint, through the same kind of job.
  let saved = ((try? FileManager.default.contentsOfDirectory(atPath: job + "/model")) ?? [])
    .compactMap { $0.hasPrefix("epoch-") ? Int($0.dropFirst(6)) : nil }.sorted()
  if let last = saved.last {
    let ckpt = job + "/model/epoch-\(last)"
    let inferArgs = ["--part-config", graph, "--cf", yaml, "--workspace", ws + "/infer", "--num-servers", "1",
                     "--restore-model-path", ckpt, "--save-embed-path", ws + "/infer/embeddings",
                     "--save-prediction-path", ws + "/infer/predictions"]
    step("4/4 gust infer " + inferArgs.joined(separator: " "))
    let code = LaunchJob.main(inferArgs, mode: .infer, env: .forCurrentExecutable())
    guard code == 0 else { writeStderr("gust demo: inference failed (exit \(code))\n"); return code }
  }
  print("")
  step("best validation metric per task, with the test value at that step (from \(metrics)):")
  for l in MetricsSummary.table(best) { print("  " + l) }
  print("")
  step("outputs: data \(data)/, graph \(graphDir)/, checkpoints \(job)/model/, metrics \(metrics) "
    + "(inference: \(ws)/infer/metrics.jsonl), logs \(job)/logs/ and \(ws)/infer/logs/")
  if !saved.isEmpty {
    step("node embeddings (parquet: nid = raw id, emb) in \(ws)/infer/embeddings/<ntype>/, "
      + "predictions (nid or src_nid/dst_nid, pred) in \(ws)/infer/predictions/<task_id>/")
  }
  step(String(format: "done in %.1f s", monotonicNow() - t0))
  return 0
}

func monotonicNow() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
