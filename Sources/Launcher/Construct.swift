// `gust construct`: parse flags, call Construct, report. Exit codes (SPEC §1): 0 done, 2 bad
// input (config, data, flags) naming the file/row/key/flag, 1 a runtime failure.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Construct

func runConstruct(_ args: [String]) -> Int32 {
  if args.contains("--help") || args.contains("-h") {
    print(ConstructOptions.usage)
    return 0
  }
  do {
    let options = try ConstructOptions.parse(args)
    let summary = try GraphConstruction.run(options) { print("gust construct: \($0)") }
    for w in summary.warnings { writeStderr("gust construct: warning: \(w)\n") }
    let c = summary.config
    print("gust construct: wrote \(c.graphName): \(c.numNodes) nodes, \(c.numEdges) edges, \(c.numParts) partition(s) "
          + "(\(c.partMethod), edge cut \(summary.edgeCut)) to \(summary.outputDir)/\(c.graphName).json")
    return 0
  } catch let e as ConstructError {
    writeStderr("gust construct: error: \(e)\n")
    if e.code == .badFlag { writeStderr(ConstructOptions.usage + "\n") }
    return e.isBadInput ? 2 : 1
  } catch {
    writeStderr("gust construct: error: \(error)\n")
    return 1
  }
}
