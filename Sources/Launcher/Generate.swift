// `gust generate --scale tiny|small|medium|large --output-dir D [--seed S]`: a synthetic
// ACM-like graph as Parquet tables plus a gconstruct JSON and a seven-task training YAML.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synth

let generateUsage = """
  usage: gust generate --scale tiny|small|medium|large --output-dir D [--seed S]

  Writes D/nodes/*.parquet, D/edges/*.parquet, D/gconstruct.json (for `gust construct`) and
  D/train.yaml (every task kind, for `gust train`). Sizes: tiny ≈ 300 papers; small ≈ 3k
  papers / 30k edges; medium ≈ 100k papers / 1.5M edges; large ≈ 2M papers / 30M edges.
  """

func runGenerate(_ args: [String]) -> Int32 {
  if args.contains("--help") || args.contains("-h") {
    print(generateUsage)
    return 0
  }
  var scale: SyntheticGraph.Scale?
  var out: String?
  var seed: UInt64 = 0
  var i = 0
  func bad(_ m: String) -> Int32 {
    writeStderr("gust generate: error: \(m)\n\(generateUsage)\n")
    return 2
  }
  while i < args.count {
    let flag = args[i]
    guard i + 1 < args.count else { return bad("\(flag) needs a value") }
    let v = args[i + 1]
    switch flag {
    case "--scale":
      guard let s = SyntheticGraph.Scale(rawValue: v) else {
        return bad("--scale '\(v)' is not one of \(SyntheticGraph.Scale.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      scale = s
    case "--output-dir": out = v
    case "--seed":
      guard let s = UInt64(v) else { return bad("--seed '\(v)' is not a non-negative integer") }
      seed = s
    default: return bad("unknown flag \(flag)")
    }
    i += 2
  }
  guard let scale else { return bad("--scale is required") }
  guard let out else { return bad("--output-dir is required") }
  do {
    let s = try SyntheticWriter.generate(scale: scale, seed: seed, outputDir: out)
    print("gust generate: \(scale.rawValue) graph (\(s.papers) papers, \(s.authors) authors, \(s.subjects) subjects, "
          + "\(s.directedEdges) directed edges) in \(s.outputDir)")
    print("gust generate: next: gust construct --conf-file \(s.outputDir)/gconstruct.json --output-dir <graph dir> --graph-name acm --num-parts 2")
    return 0
  } catch let e as GenerateError {
    writeStderr("gust generate: error: \(e)\n")
    return 2
  } catch {
    writeStderr("gust generate: error: \(error)\n")
    return 1
  }
}
