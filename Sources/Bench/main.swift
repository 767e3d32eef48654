// `gust-bench` — the numbers `make bench` prints. Each benchmark appends one JSON object a line
// to bench-results.jsonl (or the path in GUST_BENCH_OUT) and a row to the printed table.
// Usage: gust-bench [tensor] [parquet] [construct] [server] [train] [infer] [collective] [--quick] [--large]
//        [--server-parts=sample,pull,crc,latency] (a subset of the server group's measurements)
//        [--tensor-parts=linear,segment,linear-breakdown] (a subset of the tensor group's; the breakdown
//        times each piece of the linear layer beside the raw products, printed only)
//        gust-bench parquet-read-one <file> <column>   (the peak-memory probe the parquet group runs)
//        gust-bench collective-rank --rank R …         (one rank of the collective group's rings)
// `train` and `infer` run in a plain `gust-bench` only when the anchor data is cached or can be generated
// (GUST_PYTHON with numpy and pyarrow); otherwise it prints why it was skipped.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let args = Array(CommandLine.arguments.dropFirst())
if args.first == "parquet-read-one" { exit(parquetReadOne(Array(args.dropFirst()))) }
if args.first == "collective-rank" { exit(collectiveRank(Array(args.dropFirst()))) }
let quick = args.contains("--quick")
let groups = args.filter { !$0.hasPrefix("--") }
let known = ["tensor", "parquet", "construct", "server", "train", "infer", "collective"]
for g in groups where !known.contains(g) {
  var msg = "gust-bench: unknown benchmark group '\(g)' (known: \(known.joined(separator: ", ")))\n"
  msg.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
  exit(2)
}
let report = BenchReport(path: getenv("GUST_BENCH_OUT").map { String(cString: $0) } ?? "bench-results.jsonl")
if groups.isEmpty || groups.contains("tensor") {
  let partsArg = args.first { $0.hasPrefix("--tensor-parts=") }
  let parts = partsArg.map { Set($0.dropFirst("--tensor-parts=".count).split(separator: ",").map(String.init)) }
    ?? ["linear", "segment"]
  runTensorBenchmarks(report, quick: quick, parts: parts)
}
if groups.isEmpty || groups.contains("parquet") { runParquetBenchmarks(report, quick: quick) }
if groups.isEmpty || groups.contains("construct") {
  runConstructBenchmarks(report, quick: quick, large: args.contains("--large"))
}
if groups.isEmpty || groups.contains("server") {
  let partsArg = args.first { $0.hasPrefix("--server-parts=") }
  let parts = partsArg.map { Set($0.dropFirst("--server-parts=".count).split(separator: ",").map(String.init)) }
    ?? ["sample", "pull", "crc", "latency"]
  runServerBenchmarks(report, quick: quick, parts: parts)
}
if groups.isEmpty || groups.contains("train") { runTrainBenchmarks(report, quick: quick, explicit: groups.contains("train")) }
if groups.isEmpty || groups.contains("infer") { runInferBenchmarks(report, quick: quick, explicit: groups.contains("infer")) }
if groups.isEmpty || groups.contains("collective") { runCollectiveBenchmarks(report, quick: quick) }
report.printTable()
