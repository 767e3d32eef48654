#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Issue 4's figures: `gust construct` of the generated medium graph into 2 METIS partitions
/// (wall time and peak RSS, beside GraphStorm's gconstruct: 19 s, 1.06 GB for one partition on
/// this kind of machine), and the large graph (goal: under 2 minutes within 6 GB).
func runConstructBenchmarks(_ report: BenchReport, quick: Bool, large: Bool) {
  let gust = executableDir() + "/gust"
  guard fileExists(gust) else {
    print("construct benchmarks: \(gust) is missing (build it with `swift build -c release`)")
    return
  }
  let data = ".bench-data"
  mkdir(data, 0o755)
  var scales = ["medium"]
  if large { scales.append("large") }
  for scale in scales {
    let tables = "\(data)/gen-\(scale)"
    if !fileExists(tables + "/gconstruct.json") {
      print("  generating the \(scale) graph in \(tables) …")
      let g = runMeasured([gust, "generate", "--scale", scale, "--output-dir", tables], logPath: "\(data)/generate-\(scale).log")
      guard g.status == 0 else { print("  gust generate failed: see \(data)/generate-\(scale).log"); return }
      report.add("generate_\(scale)_seconds", value: g.seconds, unit: "s", goal: "-",
                 note: "gust generate --scale \(scale); peak RSS \(fmt(Double(g.maxRSSBytes) / 1e6)) MB")
    }
    var times: [Double] = [], rss: [Int] = []
    for _ in 0..<(quick || scale == "large" ? 1 : 3) {
      let out = "\(data)/graph-\(scale)"
      let m = runMeasured([gust, "construct", "--conf-file", tables + "/gconstruct.json", "--output-dir", out,
                           "--graph-name", "acm", "--num-parts", "2", "--part-method", "metis"],
                          logPath: "\(data)/construct-\(scale).log")
      guard m.status == 0 else { print("  gust construct failed: see \(data)/construct-\(scale).log"); return }
      times.append(m.seconds); rss.append(m.maxRSSBytes)
    }
    times.sort(); rss.sort()
    let t = times[times.count / 2], r = Double(rss[rss.count / 2]) / 1e6
    if scale == "medium" {
      report.add("construct_medium_2parts_metis_seconds", value: t, unit: "s", baseline: 19.0, goal: "<= 4",
                 note: "baseline: GraphStorm gconstruct, 1 partition")
      report.add("construct_medium_2parts_metis_peak_rss", value: r, unit: "MB", baseline: 1060, goal: "<= 400",
                 note: "baseline: GraphStorm gconstruct, 1 partition")
    } else {
      report.add("construct_large_2parts_metis_seconds", value: t, unit: "s", goal: "<= 120")
      report.add("construct_large_2parts_metis_peak_rss", value: r, unit: "MB", goal: "<= 6000")
    }
  }
}
