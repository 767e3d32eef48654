// `gust-trainer` — one training rank (issue: multi-task training). Started by `gust`, never by
// hand. Until training lands it only prints its usage.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func writeStderr(_ text: String) {
  var text = text
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let usage = """
  usage: gust-trainer --rank R --world-size W --part-config P --cf Y [options]

  One rank of a training job started by `gust train`. Not available in this build.
  """
writeStderr(usage + "\n")
exit(2)
