// `gust` — the user-facing command. Its subcommands arrive with their issues (SPEC.md §1);
// until one is implemented it is listed here as not available, never faked.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Construct

func writeStderr(_ text: String) {
  var text = text
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let usage = """
  usage: gust <command> [options]

  commands (SPEC.md §1):
    construct   tables + gconstruct JSON -> partitioned graph
    generate    synthetic heterogeneous graph as parquet tables
    train       multi-task training                                (not yet available)
    infer       evaluation, predictions and embeddings             (not yet available)
    remap       raw-id remapping of integer-id outputs             (not yet available)
    demo        generate -> construct -> train -> infer            (not yet available)

  `gust <command> --help` shows a command's options. See README.md for what has landed.
  """

let args = CommandLine.arguments.dropFirst()
if args.first == "construct" {
  exit(runConstruct(Array(args.dropFirst())))
}
if args.first == "generate" {
  exit(runGenerate(Array(args.dropFirst())))
}
if let first = args.first, first == "--help" || first == "-h" || first == "help" {
  print(usage)
  exit(0)
}
if let first = args.first {
  writeStderr("gust: '\(first)' is not available in this build\n\n")
}
writeStderr(usage + "\n")
exit(2)
