#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A finished child process: wall time, peak resident set size, exit status.
struct Measured {
  let seconds: Double
  let maxRSSBytes: Int
  let status: Int32
}

/// Runs `argv` (argv[0] a path) with stdout/stderr to `logPath`, waits, and reports its wall time
/// and peak RSS (wait4's rusage).
func runMeasured(_ argv: [String], logPath: String) -> Measured {
  let t0 = now()
  guard let pid = spawnLogged(argv, logPath: logPath) else { return Measured(seconds: 0, maxRSSBytes: 0, status: -1) }
  var status: Int32 = 0
  var usage = rusage()
  while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
  let t = now() - t0
  return Measured(seconds: t, maxRSSBytes: Int(usage.ru_maxrss) * 1024, status: exitCode(status))
}

/// Starts `argv` (argv[0] a path) with stdout and stderr to `logPath`; nil when it cannot start.
func spawnLogged(_ argv: [String], logPath: String) -> pid_t? {
  var pid: pid_t = 0
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  posix_spawn_file_actions_adddup2(&actions, 1, 2)
  let cargs = argv.map { strdup($0) } + [nil]
  defer { for p in cargs { free(p) } }
  let rc = posix_spawn(&pid, argv[0], &actions, nil, cargs, environ)
  posix_spawn_file_actions_destroy(&actions)
  return rc == 0 ? pid : nil
}

/// A wait status as a shell reports it: the exit code, or 128 + the signal.
func exitCode(_ status: Int32) -> Int32 {
  (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// The folder holding this executable (sibling binaries such as `gust` live there).
func executableDir() -> String {
  var buf = [CChar](repeating: 0, count: 4096)
  let n = readlink("/proc/self/exe", &buf, buf.count - 1)
  let path = n > 0 ? String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
  return path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
}

func fileExists(_ p: String) -> Bool { access(p, F_OK) == 0 }
