#if canImport(Glibc)
import Glibc
#endif
import Collective
import Foundation
import Net

/// Issue 7's figures: all-reduce of a 4 MB and a 64 MB float buffer among 2 and 4 ranks,
/// each rank its own `gust-bench collective-rank` process on 127.0.0.1 (a real ring with the
/// job-secret handshake; the shared-memory group path, shared-memory ring links, then TCP links), as bus bandwidth 2(w−1)/w · bytes / time beside a raw loopback TCP
/// stream of the same bytes measured in the same run (`RawLoopback`, before and after each
/// configuration). Goal: ≥ 0.7 of raw.
func runCollectiveBenchmarks(_ report: BenchReport, quick: Bool) {
  print("collective benchmarks (ring all-reduce, one process per rank on 127.0.0.1)")
  let root = NSTemporaryDirectory() + "gust-bench-collective-\(getpid())"
  defer { try? FileManager.default.removeItem(atPath: root) }
  do {
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    try Data("collective-bench-secret".utf8).write(to: URL(fileURLWithPath: root + "/secret"))
  } catch {
    print("  cannot prepare \(root): \(error)")
    return
  }
  let exe = executableDir() + "/gust-bench"
  // The children link OpenBLAS (gust-bench does), whose idle pool threads spin in sched_yield
  // at start-up: one thread, so the ranks get the cores.
  setenv("OPENBLAS_NUM_THREADS", "1", 1)
  let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  // One discarded run first: whichever configuration ran first measured about half the bus
  // bandwidth of the same configuration run next (tried in both orders), so nothing is timed cold.
  _ = runRing(exe: exe, root: root, tag: "warmup", worldSize: 2, floats: 1 << 20, iterations: 5, links: "shm")
  for megabytes in [4, 64] {
    let bytes = megabytes << 20
    let loopback = RawLoopback(bytes: bytes)
    let rawReps = megabytes == 4 ? 15 : 5
    var rawTimes: [Double] = []
    func measureRaw() { rawTimes.append(medianSeconds(reps: rawReps, warmup: 1) { loopback.transfer() }) }
    for w in [2, 4] {
      for links in ["shm", "ring", "tcp"] {
        let load0 = loadAverage()
        measureRaw()
        let iterations = quick ? 3 : (megabytes == 4 ? 20 : 7)
        let tag = "\(megabytes)MB_w\(w)" + (links == "shm" ? "" : "_\(links)")
        guard let result = runRing(exe: exe, root: root, tag: tag, worldSize: w, floats: bytes / 4,
                                   iterations: iterations, links: links) else { continue }
        measureRaw()
        let raw = median(rawTimes.suffix(2))
        let rawRate = Double(bytes) / raw / 1e9
        let bus = 2 * Double(w - 1) / Double(w) * Double(bytes) / result.seconds / 1e9
        let how: String
        if links == "shm" {
          how = w >= CollectiveOptions().groupMinWorldSize
            ? "shared-memory group all-reduce (ShmGroup, the default on one host from \(CollectiveOptions().groupMinWorldSize) ranks; TCP ring beside it for liveness)"
            : "shared-memory ring links (the default on one host below \(CollectiveOptions().groupMinWorldSize) ranks; TCP beside them for liveness)"
        } else if links == "ring" {
          how = "shared-memory ring links (sharedMemoryGroup false; TCP beside them for liveness)"
        } else {
          // On loopback every byte costs a kernel copy out and one in, on the same cores: a rank
          // sends and receives 2(w-1)/w·bytes from one thread, w ranks share P cores, while the
          // raw stream splits its two copies over 2 threads. Bus/raw cannot exceed
          // min(P,w)/(w·min(P,2)).
          let ceiling = Double(min(cores, w)) / Double(w * min(cores, 2))
          how = "TCP ring links (sharedMemory false); CPU-bound ceiling of bus/raw on loopback with \(cores) cores: "
            + fmt(ceiling)
        }
        report.add("collective_allreduce_\(tag)", value: bus, unit: "GB/s bus", baseline: rawRate,
                   goal: ">= 0.7 of baseline",
                   note: "\(w) gust-bench processes on 127.0.0.1, \(how); \(megabytes) MiB f32 mean, median of "
                     + "\(iterations) (slowest rank per iteration) \(fmt(result.seconds * 1e3)) ms; bus = 2(w-1)/w*bytes/time; "
                     + "baseline = raw loopback TCP stream of the same bytes between 2 threads, medians before and after "
                     + "(\(fmt(raw * 1e3)) ms); load avg \(load0) -> \(loadAverage())")
      }
    }
  }
}

/// What rank 0 of a benchmark ring reports.
struct RingResult {
  let seconds: Double
}

/// Starts `worldSize` `collective-rank` children, hands them each other's ports, waits for them.
func runRing(exe: String, root: String, tag: String, worldSize w: Int, floats: Int, iterations: Int,
             links: String) -> RingResult? {
  var pids: [pid_t] = []
  let endpointsFile = "\(root)/endpoints-\(tag)"
  for r in 0..<w {
    let args = [exe, "collective-rank", "--rank", "\(r)", "--world-size", "\(w)",
                "--port-file", "\(root)/port-\(tag)-\(r)", "--endpoints-file", endpointsFile,
                "--secret-file", "\(root)/secret", "--floats", "\(floats)", "--iterations", "\(iterations)",
                "--result-file", "\(root)/result-\(tag)-\(r)", "--links", links]
    guard let pid = spawnLogged(args, logPath: "\(root)/log-\(tag)-\(r)") else {
      print("  cannot start \(exe)")
      for p in pids { kill(p, SIGKILL) }
      return nil
    }
    pids.append(pid)
  }
  var ports: [String] = []
  let deadline = now() + 30
  for r in 0..<w {
    var port: String? = nil
    while port == nil && now() < deadline {
      port = (try? String(contentsOfFile: "\(root)/port-\(tag)-\(r)", encoding: .utf8))
      if port == nil { usleep(10_000) }
    }
    guard let port else {
      print("  rank \(r) did not write its port")
      for p in pids { kill(p, SIGKILL) }
      return nil
    }
    ports.append("127.0.0.1:\(port.trimmingCharacters(in: .whitespacesAndNewlines))")
  }
  writeAtomically(endpointsFile, ports.joined(separator: ","))
  var failed = false
  for (r, pid) in pids.enumerated() {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if exitCode(status) != 0 {
      failed = true
      let log = (try? String(contentsOfFile: "\(root)/log-\(tag)-\(r)", encoding: .utf8)) ?? ""
      print("  rank \(r) of \(tag) exited with \(exitCode(status)): \(log.suffix(2000))")
    }
  }
  guard !failed, let text = try? String(contentsOfFile: "\(root)/result-\(tag)-0", encoding: .utf8),
        let seconds = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
  return RingResult(seconds: seconds)
}

func writeAtomically(_ path: String, _ text: String) {
  let tmp = "\(path).tmp-\(getpid())"
  try? Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
  rename(tmp, path)
}

/// `gust-bench collective-rank --rank R --world-size W --port-file F --endpoints-file E
/// --secret-file S --floats N --iterations K [--timeout T] [--result-file O] [--links shm|tcp]
/// [--ring-bytes B] [--slot-floats F] [--shm-tag T]`: one rank of a benchmark (or test) ring (`shm`: the shared-memory group path,
/// `ring`: shared-memory ring links (`sharedMemoryGroup` false), `tcp`: `CollectiveOptions.sharedMemory`
/// false; B: `sharedMemoryRingBytes`; F: `groupSlotFloats`, else env GUST_BENCH_SLOT_FLOATS — a tuning knob;
/// T: `sharedMemoryJob`, the job tag in its /dev/shm object names).
/// Listens on 127.0.0.1:0, writes its port to F, waits for E (comma-separated IP:PORT of every
/// rank), joins the ring, then: one all-reduce (sum) checked
/// against the plain sum, then K × (barrier, all-reduce) timed, then an all-gather of the times;
/// rank 0 writes the median over iterations of the slowest rank's time to O. Exit 0, or 1 with
/// the error (a `CollectiveError` names the peer).
func collectiveRank(_ args: [String]) -> Int32 {
  func value(_ flag: String) -> String? {
    guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
    return args[i + 1]
  }
  guard let rank = value("--rank").flatMap(Int.init), let w = value("--world-size").flatMap(Int.init),
        let portFile = value("--port-file"), let endpointsFile = value("--endpoints-file"),
        let secretFile = value("--secret-file"), let n = value("--floats").flatMap(Int.init),
        let iterations = value("--iterations").flatMap(Int.init) else {
    Net.logToStandardError("collective-rank: missing or bad flags: \(args)")
    return 2
  }
  let timeout = value("--timeout").flatMap(Double.init) ?? 60
  let links = value("--links") ?? "shm"
  guard links == "shm" || links == "ring" || links == "tcp" else {
    Net.logToStandardError("collective-rank: --links is shm, ring or tcp, got \(links)")
    return 2
  }
  do {
    Net.keepFreedMemory()
    let secret = try Secret.load(path: secretFile)
    let listener = try TCPRing.listen(on: try Endpoint(parsing: "127.0.0.1:0"))
    writeAtomically(portFile, "\(listener.endpoint.port)\n")
    let deadline = now() + timeout
    var text: String? = nil
    while text == nil && now() < deadline {
      text = try? String(contentsOfFile: endpointsFile, encoding: .utf8)
      if text == nil { usleep(5_000) }
    }
    guard let text else { throw CollectiveError(.rendezvous, "no endpoints file \(endpointsFile)") }
    let endpoints = try text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
      .map { try Endpoint(parsing: String($0)) }
    guard endpoints.count == w else { throw CollectiveError(.badArgument, "\(endpoints.count) endpoints for \(w) ranks") }
    let c = try TCPRing.connect(rank: rank, endpoints: endpoints, secret: secret,
                                options: .init(timeout: timeout, sharedMemory: links != "tcp",
                                              sharedMemoryRingBytes: value("--ring-bytes").flatMap(Int.init) ?? 4 << 20,
                                              sharedMemoryGroup: links == "shm",
                                              groupSlotFloats: value("--slot-floats").flatMap(Int.init)
                                                ?? ProcessInfo.processInfo.environment["GUST_BENCH_SLOT_FLOATS"].flatMap(Int.init)
                                                ?? CollectiveOptions().groupSlotFloats,
                                              sharedMemoryJob: value("--shm-tag")),
                                listener: listener)
    defer { c.close() }
    var buf = [Float](repeating: 0, count: n)
    for i in 0..<n { buf[i] = Float((i &* 7 &+ rank &* 13) % 17) - 8 }
    try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .sum) }
    for i in 0..<min(n, 1 << 16) {
      var s: Float = 0
      for r in 0..<w { s += Float((i &* 7 &+ r &* 13) % 17) - 8 }
      if buf[i] != s { throw CollectiveError(.protocolViolation, "wrong sum at [\(i)]: \(buf[i]) != \(s)") }
    }
    var times: [Double] = []
    for _ in 0..<iterations {
      try c.barrier()
      let t0 = now()
      try buf.withUnsafeMutableBufferPointer { try c.allReduce($0.baseAddress!, count: n, op: .mean) }
      times.append(now() - t0)
    }
    let all = try c.allGather(times)
    if rank == 0, let out = value("--result-file") {
      let slowest = (0..<iterations).map { i in all.map { $0[i] }.max()! }
      writeAtomically(out, "\(median(slowest))\n")
    }
    return 0
  } catch {
    Net.logToStandardError("collective-rank \(rank): \(error)")
    return 1
  }
}
