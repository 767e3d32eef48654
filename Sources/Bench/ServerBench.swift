#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Graph
import GraphClient
import Net

/// Issue 5's figures on a graph of the `medium` shape, 2 partitions served by 2 `gust-server`
/// processes (release build next to this binary): sampled edges/s per server thread, feature
/// pull GB/s beside a raw loopback TCP transfer measured in the same run, 1-id request latency.
func runServerBenchmarks(_ report: BenchReport, quick: Bool,
                         parts: Set<String> = ["sample", "pull", "crc", "latency"]) {
  let root = NSTemporaryDirectory() + "gust-bench-server-\(getpid())"
  // What a trainer process does too: keep freed reply-sized blocks for reuse (see gust-server).
  Net.keepFreedMemory()
  defer { try? FileManager.default.removeItem(atPath: root) }
  print("server benchmarks (medium-shaped graph synthesised with GraphWriter, seed 1)")
  let t0 = now()
  let config: PartitionConfig
  do {
    try FileManager.default.createDirectory(atPath: root + "/graph", withIntermediateDirectories: true)
    config = try writeMediumGraph(root: root + "/graph")
  } catch {
    print("  cannot write the graph: \(error)")
    return
  }
  print("  graph written in \(fmt(now() - t0)) s: \(config.numNodes) nodes, \(config.numEdges) edges")
  let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/gust-server"
  guard FileManager.default.isExecutableFile(atPath: bin) else {
    print("  \(bin) not found: build it (swift build -c release --product gust-server)")
    return
  }
  let secretPath = root + "/secret"
  guard FileManager.default.createFile(atPath: secretPath, contents: Data("bench-secret".utf8)) else {
    print("  cannot write \(secretPath)")
    return
  }
  var processes: [Process] = []
  var endpoints: [[Endpoint]] = []
  defer { for p in processes { p.terminate(); p.waitUntilExit() } }
  for part in 0..<2 {
    let portFile = "\(root)/port\(part)"
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = ["--part-config", root + "/graph/medium.json", "--part-id", "\(part)", "--server-id", "0",
                   "--listen", "127.0.0.1:0", "--secret-file", secretPath, "--port-file", portFile, "--threads", "1"]
    do { try p.run() } catch { print("  cannot start gust-server: \(error)"); return }
    processes.append(p)
    var port: UInt16?
    let deadline = now() + 30
    while port == nil && now() < deadline {
      port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
      if port == nil { usleep(20_000) }
    }
    guard let port else { print("  gust-server \(part) did not start"); return }
    endpoints.append([try! Endpoint(host: "127.0.0.1", port: port)])
  }
  let secret = try! Secret(bytes: Array("bench-secret".utf8))
  do {
    let client = try GraphClient(servers: endpoints, secret: secret, config: config)
    try client.heartbeatAll()
    let papers = config.nodeMap[0]  // per partition ranges of papers
    var g = SplitMix(seed: 7)
    func randomPapers(_ n: Int) -> [Int64] {
      (0..<n).map { _ in
        let p = Int(g.next() % 2)
        return papers[p].start + Int64(g.next() % UInt64(papers[p].count))
      }
    }

    let load0 = loadAverage()
    // (a) 2-layer sampling, fanout 10,10 per edge type, 1024 paper seeds. Rounds alternate the
    // end-to-end run with the in-process baseline, so load from elsewhere hits both alike; the
    // rows are medians over rounds. Server CPU time (both processes, every thread) is read from
    // /proc around the end-to-end runs.
    if parts.contains("sample") {
      let spec = BlockSampling(fanouts: [[10], [10]])
      let batches = quick ? 5 : 20
      let rounds = quick ? 3 : 7
      let seedSets = (0..<batches).map { _ in randomPapers(1024) }
      _ = try client.sampleBlocks(seeds: [seedSets[0], [], []], spec, seed: 0)
      let part = try Partition(configPath: root + "/graph/medium.json", partId: 0)
      let local = seedSets.map { $0.filter { papers[0].contains($0) } }
      var edges = 0, localEdges = 0
      var rates: [Double] = [], localRates: [Double] = [], cpuRates: [Double] = []
      var walls: [Double] = [], clientCPU: [Double] = [], serverCPU: [Double] = []
      for _ in 0..<rounds {
        edges = 0
        let cpu0 = processes.reduce(0) { $0 + cpuSeconds(pid: $1.processIdentifier) }
        let c0 = threadCPUSeconds()
        let ts = now()
        for (i, s) in seedSets.enumerated() { edges += try client.sampleBlocks(seeds: [s, [], []], spec, seed: UInt64(i)).numSampledEdges }
        let dt = now() - ts
        let cpu = processes.reduce(0) { $0 + cpuSeconds(pid: $1.processIdentifier) } - cpu0
        walls.append(dt / Double(batches) * 1e3)
        clientCPU.append((threadCPUSeconds() - c0) / Double(batches) * 1e3)
        serverCPU.append(cpu / Double(batches) * 1e3)
        rates.append(Double(edges) / dt / 2 / 1e6)
        if cpu > 0 { cpuRates.append(Double(edges) / cpu / 1e6) }
        // Server side alone: the same sampling on a mapped partition, one thread.
        localEdges = 0
        let tl = now()
        for (i, s) in local.enumerated() {
          for e in 0..<config.etypes.count where config.etypes[e].dst == "paper" {
            localEdges += try part.sampleInNeighbors(seeds: s, etype: e, fanout: 10, seed: UInt64(i)).dst.count
          }
        }
        localRates.append(Double(localEdges) / (now() - tl) / 1e6)
      }
      report.add("server_sampled_edges_per_s_per_thread", value: median(rates), unit: "M edges/s",
                 baseline: median(localRates), goal: ">= 5 M/s per server thread",
                 note: "2 servers x 1 thread + client on 2 shared cores; end to end incl. client relabelling; \(edges / batches) edges/batch; median of \(rounds) rounds of \(batches) batches (min \(fmt(rates.min()!)), max \(fmt(rates.max()!))); baseline = Partition.sampleInNeighbors in-process, 1 thread, alternating rounds; load avg \(load0) -> \(loadAverage())")
      if !cpuRates.isEmpty {
        report.add("server_sampled_edges_per_server_cpu_s", value: median(cpuRates), unit: "M edges/s",
                   baseline: median(localRates), goal: "info",
                   note: "the same runs: edges / CPU seconds the 2 gust-server processes used (all threads, /proc schedstat), i.e. per busy server thread; per batch (medians): wall \(fmt(median(walls))) ms, client CPU \(fmt(median(clientCPU))) ms, servers' CPU \(fmt(median(serverCPU))) ms")
      }
    }

    // (b) 100k random 64-dim feature rows, beside raw loopback TCP of the same bytes (request
    // then reply over one kept-open connection), measured alternately; medians.
    let ids = randomPapers(100_000)
    let bytes = ids.count * 64 * 4
    let reps = quick ? 5 : 15
    if parts.contains("pull") {
      let loopback = RawLoopback(bytes: bytes)
      let l0 = loadAverage()
      var clientCPU: [Double] = [], serverCPU: [Double] = []
      // The pull a trainer makes (`pullNodeFeatureRows`, what ClientGraphAccess uses): every
      // server's rows land in one block of the result; `rowOf` maps request order to rows.
      let (raw, pull) = interleavedMedians(reps: reps, warmup: 2, { loopback.transfer() }) {
        let s0 = processes.reduce(0) { $0 + cpuSeconds(pid: $1.processIdentifier) }
        let c0 = threadCPUSeconds()
        _ = try! client.pullNodeFeatureRows(ntype: 0, field: "feat", ids: ids)
        clientCPU.append((threadCPUSeconds() - c0) * 1e3)
        serverCPU.append((processes.reduce(0) { $0 + cpuSeconds(pid: $1.processIdentifier) } - s0) * 1e3)
      }
      report.add("server_feature_pull_gb_per_s", value: Double(bytes) / pull / 1e9, unit: "GB/s",
                 baseline: Double(bytes) / raw / 1e9, goal: ">= 0.7 of baseline",
                 note: "100k random rows x 64 f32 from 2 servers, grouped by server (pullNodeFeatureRows: rows + rowOf); baseline = raw loopback TCP, same bytes, same run; medians of \(reps) alternating reps (raw \(fmt(raw * 1e3)) ms, pull \(fmt(pull * 1e3)) ms: client CPU \(fmt(median(clientCPU))) ms, servers' CPU \(fmt(median(serverCPU))) ms); load avg \(l0) -> \(loadAverage())")
      // The same rows in request order (pullNodeFeatures: one readv piece per row).
      let (raw1, ordered) = interleavedMedians(reps: reps, warmup: 1, { loopback.transfer() }) {
        _ = try! client.pullNodeFeatures(ntype: 0, field: "feat", ids: ids)
      }
      report.add("server_feature_pull_request_order_gb_per_s", value: Double(bytes) / ordered / 1e9, unit: "GB/s",
                 baseline: Double(bytes) / raw1 / 1e9, goal: "info",
                 note: "the same ids with pullNodeFeatures (rows in request order, read from the socket into their rows, one readv piece per row)")
      if parts.contains("crc") {
        let checked = try GraphClient(servers: endpoints, secret: secret, config: config,
                                      options: ClientOptions(uncheckedLoopbackReplies: false))
        let (raw2, pullChecked) = interleavedMedians(reps: reps, warmup: 1, { loopback.transfer() }) {
          _ = try! checked.pullNodeFeatureRows(ntype: 0, field: "feat", ids: ids)
        }
        report.add("server_feature_pull_crc_gb_per_s", value: Double(bytes) / pullChecked / 1e9, unit: "GB/s",
                   baseline: Double(bytes) / raw2 / 1e9, goal: "info",
                   note: "the same with the payload crc32 computed and checked (pure-Swift CRC-32)")
      }
    }

    // (c) 1-id request latency.
    if parts.contains("latency") {
    let one = [ids[0]]
    for _ in 0..<200 { _ = try client.pullNodeFeatures(ntype: 0, field: "feat", ids: one) }
    var times: [Double] = []
    for _ in 0..<(quick ? 500 : 3000) {
      let t = now()
      _ = try client.pullNodeFeatures(ntype: 0, field: "feat", ids: one)
      times.append(now() - t)
    }
    times.sort()
    report.add("server_1id_request_latency_us", value: times[times.count / 2] * 1e6, unit: "us",
               goal: "<= 50 us median", note: "pull 1 feature row, round trip over loopback; p90 \(fmt(times[times.count * 9 / 10] * 1e6)) us")
    }
    try client.shutdownAll()
  } catch {
    print("  server benchmark failed: \(error)")
  }
}

struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// The `medium` shape of issue 5 (100k papers with 64-dim features, 30k authors, 500 subjects,
/// ~1.5M edges), random and seeded, 2 partitions assigned at random.
func writeMediumGraph(root: String) throws -> PartitionConfig {
  var g = SplitMix(seed: 1)
  func r(_ n: Int) -> Int64 { Int64(g.next() % UInt64(n)) }
  let nP = 100_000, nA = 30_000, nS = 500
  let feat = (0..<(nP * 64)).map { _ in Float(Int(g.next() % 2001) - 1000) / 1000 }
  let label = (0..<nP).map { _ in r(40) }
  let train = (0..<nP).map { _ in UInt8(g.next() % 2) }
  var cs: [Int64] = [], cd: [Int64] = []
  for _ in 0..<500_000 { cs.append(r(nP)); cd.append(r(nP)) }
  var ws: [Int64] = [], wd: [Int64] = []
  for _ in 0..<300_000 { ws.append(r(nA)); wd.append(r(nP)) }
  var hs: [Int64] = [], hd: [Int64] = []
  for _ in 0..<200_000 { hs.append(r(nP)); hd.append(r(nS)) }
  let data = GraphData(
    ntypes: ["paper", "author", "subject"], numNodes: [nP, nA, nS],
    nodeFields: [[Field(name: "feat", kind: .feature, width: 64, data: .f32(feat)),
                  Field(name: "label", kind: .label, width: 1, data: .i64(label)),
                  Field(name: "train_mask", kind: .mask, width: 1, data: .u8(train))], [], []],
    etypes: [EdgeType("paper", "cites", "paper"), EdgeType("author", "writes", "paper"),
             EdgeType("paper", "written_by", "author"), EdgeType("paper", "has_subject", "subject"),
             EdgeType("subject", "subject_of", "paper")],
    src: [cs, ws, wd, hs, hd], dst: [cd, wd, ws, hd, hs], edgeFields: [[], [], [], [], []])
  let assignment = [nP, nA, nS].map { n in (0..<n).map { _ in Int32(g.next() % 2) } }
  return try GraphWriter.write(data, assignment: assignment, numParts: 2, partMethod: "random",
                               graphName: "medium", seed: 1, root: root)
}

/// The raw loopback baseline: one TCP connection between two threads of this process (plain
/// send/recv, the sockets tuned like Net's: 4 MiB buffers, TCP_NODELAY). `transfer()` sends a
/// 1-byte request and receives `bytes` back, like a pull's request and reply.
final class RawLoopback: @unchecked Sendable {
  let bytes: Int
  private var fd: Int32 = -1
  private var sink: [UInt8]

  init(bytes: Int) {
    self.bytes = bytes
    sink = [UInt8](repeating: 0, count: bytes)
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1, buf: Int32 = 4 << 20
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, 4)
    setsockopt(listener, SOL_SOCKET, SO_SNDBUF, &buf, 4)
    setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &buf, 4)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
    listen(listener, 1)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
    let port = addr.sin_port
    let bytes = bytes
    let sender = Thread {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var one: Int32 = 1, buf: Int32 = 4 << 20
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, 4)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, 4)
      setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
      var a = sockaddr_in()
      a.sin_family = sa_family_t(AF_INET)
      a.sin_addr.s_addr = inet_addr("127.0.0.1")
      a.sin_port = port
      _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
      let data = [UInt8](repeating: 7, count: bytes)
      var token: UInt8 = 0
      while recv(fd, &token, 1, 0) == 1 {
        var sent = 0
        while sent < bytes {
          let n = data.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes - sent, Int32(MSG_NOSIGNAL)) }
          if n <= 0 { break }
          sent += n
        }
      }
      close(fd)
    }
    sender.start()
    fd = accept(listener, nil, nil)
    close(listener)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, 4)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, 4)
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
  }

  deinit { close(fd) }  // the sender sees end of stream and finishes

  func transfer() {
    var token: UInt8 = 1
    _ = send(fd, &token, 1, Int32(MSG_NOSIGNAL))
    var got = 0
    while got < bytes {
      let n = sink.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, bytes - got, 0) }
      if n <= 0 { break }
      got += n
    }
  }
}

/// CPU seconds the calling thread has used.
func threadCPUSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}


/// CPU seconds a process has used so far, summed over its threads (/proc/<pid>/task/*/schedstat,
/// nanoseconds; threads that already ended are not counted).
func cpuSeconds(pid: Int32) -> Double {
  guard let dir = opendir("/proc/\(pid)/task") else { return 0 }
  defer { closedir(dir) }
  var total = 0.0
  while let e = readdir(dir) {
    let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    guard !name.hasPrefix(".") else { continue }
    guard let f = fopen("/proc/\(pid)/task/\(name)/schedstat", "r") else { continue }
    var ns: UInt64 = 0
    var buf = [CChar](repeating: 0, count: 128)
    if fgets(&buf, 128, f) != nil {
      ns = UInt64(String(decoding: buf.prefix { $0 != 0 && $0 != 32 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) ?? 0
    }
    fclose(f)
    total += Double(ns) * 1e-9
  }
  return total
}
