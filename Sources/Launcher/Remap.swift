// `gust remap --part-config P [--save-embed-path E] [--save-prediction-path D]`: outputs written
// with `--keep-integer-ids` (graph ids) rewritten with the users' raw ids (SPEC §5.3).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Outputs

let remapUsage = """
  usage: gust remap --part-config P [--save-embed-path E] [--save-prediction-path D]

  Rewrites embeddings (E/<ntype>/embed-*, and E/<task_id>/ copies) and predictions
  (D/<task_id>/…/pred.predict-*) that `gust infer --keep-integer-ids` wrote with integer graph
  ids, replacing the id columns (nid, src_nid, dst_nid) by the raw ids of P's graph
  (raw_id_mappings/), file for file, in place (each file replaced atomically). Outputs already
  in raw ids are left alone. Parquet and CSV files are both handled.
  """

func runRemap(_ args: [String]) -> Int32 {
  if args.contains("--help") || args.contains("-h") {
    print(remapUsage)
    return 0
  }
  var part: String?, embed: String?, pred: String?
  func bad(_ m: String) -> Int32 {
    writeStderr("gust remap: error: \(m)\n\(remapUsage)\n")
    return 2
  }
  var i = 0
  while i < args.count {
    let flag = args[i]
    guard i + 1 < args.count else { return bad("\(flag) needs a value") }
    let v = args[i + 1]
    switch flag {
    case "--part-config": part = v
    case "--save-embed-path", "--node-emb-dir": embed = v
    case "--save-prediction-path", "--prediction-dir": pred = v
    default: return bad("unknown flag \(flag)")
    }
    i += 2
  }
  guard let part else { return bad("--part-config is required") }
  guard embed != nil || pred != nil else { return bad("give --save-embed-path and/or --save-prediction-path") }
  do {
    let r = try Remap(partConfigPath: part, log: { print($0) })
    let n = try r.run(embedPath: embed, predictionPath: pred)
    print("gust remap: \(n) files rewritten with raw ids")
    return 0
  } catch let e as OutputError {
    writeStderr("gust remap: error: \(e.message)\n")
    return e.code == .badInput ? 2 : 1
  } catch {
    writeStderr("gust remap: error: \(error)\n")
    return 1
  }
}
