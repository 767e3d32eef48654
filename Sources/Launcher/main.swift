// `gust` — the user-facing command. Its subcommands arrive with their issues (SPEC.md §1);
// until one is implemented it is listed here as not available, never faked.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Construct
import Launch

func writeStderr(_ text: String) {
  var text = text
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let usage = """
  usage: gust <command> [options]

  commands (SPEC.md §1):
    construct   tables + gconstruct JSON -> partitioned graph
    generate    synthetic heterogeneous graph as parquet tables
    train       multi-task training: servers + trainers on this host, supervised
    infer       evaluation, predictions and embeddings (train's launch with --inference)
    remap       raw-id remapping of outputs kept in integer ids (--keep-integer-ids)
    demo        generate -> construct -> train -> infer -> per-task metrics table

  `gust <command> --help` shows a command's options. See README.md for what has landed.
  """

let args = CommandLine.arguments.dropFirst()
if args.first == "construct" {
  exit(runConstruct(Array(args.dropFirst())))
}
if args.first == "generate" {
  exit(runGenerate(Array(args.dropFirst())))
}
if args.first == "train" {
  exit(LaunchJob.main(Array(args.dropFirst()), mode: .train, env: .forCurrentExecutable()))
}
if args.first == "infer" {
  exit(LaunchJob.main(Array(args.dropFirst()), mode: .infer, env: .forCurrentExecutable()))
}
if args.first == "remap" {
  exit(runRemap(Array(args.dropFirst())))
}
if args.first == "demo" {
  exit(runDemo(Array(args.dropFirst())))
}
// Internal: how the launcher starts its children (sets PR_SET_PDEATHSIG, then execs them).
if args.first == ChildShim.command {
  exit(ChildShim.run(Array(args.dropFirst())))
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
