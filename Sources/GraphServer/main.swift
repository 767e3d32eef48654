// `gust-server` — one graph partition served over the binary protocol (issue: graph servers).
// Started by `gust`, never by hand. Until the server lands it only prints its usage.
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
  usage: gust-server --part-config P --part-id I --server-id S --listen IP:PORT --secret-file F
                     [--threads N] [--idle-timeout SECONDS]

  Serves one partition of a constructed graph. Not available in this build.
  """
writeStderr(usage + "\n")
exit(2)
