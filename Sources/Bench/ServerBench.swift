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
func runServerBenchmarks(_ report: BenchReport, quick: Bool) {
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
  FileManager.default.createFile(atPath: secretPath, contents: Data("bench-secret".utf8))
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

    // (a) 2-layer sampling, fanout 10,10 per edge type, 1024 paper seeds.
    let spec = BlockSampling(fanouts: [[10], [10]])
    let batches = quick ? 5 : 20
    let seedSets = (0..<batches).map { _ in randomPapers(1024) }
    _ = try client.sampleBlocks(seeds: [seedSets[0], [], []], spec, seed: 0)
    var edges = 0
    let ts = now()
    for (i, s) in seedSets.enumerated() { edges += try client.sampleBlocks(seeds: [s, [], []], spec, seed: UInt64(i)).numSampledEdges }
    let dt = now() - ts
    // Server side alone: the same sampling on a mapped partition, one thread.
    let part = try Partition(configPath: root + "/graph/medium.json", partId: 0)
    let local = seedSets.map { $0.filter { papers[0].contains($0) } }
    var localEdges = 0
    let tl = now()
    for (i, s) in local.enumerated() {
      for e in 0..<config.etypes.count where config.etypes[e].dst == "paper" {
        localEdges += try part.sampleInNeighbors(seeds: s, etype: e, fanout: 10, seed: UInt64(i)).dst.count
      }
    }
    let dl = now() - tl
    report.add("server_sampled_edges_per_s_per_thread", value: Double(edges) / dt / 2 / 1e6, unit: "M edges/s",
               baseline: Double(localEdges) / dl / 1e6, goal: ">= 5 M/s per server thread",
               note: "2 servers x 1 thread + client on 2 shared cores; end to end incl. client relabelling; \(edges / batches) edges/batch; baseline = Partition.sampleInNeighbors in-process, 1 thread")

    // (b) 100k random 64-dim feature rows, beside raw loopback TCP of the same bytes.
    let ids = randomPapers(100_000)
    let bytes = ids.count * 64 * 4
    let reps = quick ? 3 : 9
    let raw = rawLoopbackSeconds(bytes: bytes, reps: reps)
    let pull = medianSeconds(reps: reps, warmup: 1) { _ = try! client.pullNodeFeatures(ntype: 0, field: "feat", ids: ids) }
    report.add("server_feature_pull_gb_per_s", value: Double(bytes) / pull / 1e9, unit: "GB/s",
               baseline: Double(bytes) / raw / 1e9, goal: ">= 0.7 of baseline",
               note: "100k random rows x 64 f32 from 2 servers; baseline = raw loopback TCP, same bytes, same run")
    let checked = try GraphClient(servers: endpoints, secret: secret, config: config,
                                  options: ClientOptions(uncheckedLoopbackReplies: false))
    let pullChecked = medianSeconds(reps: reps, warmup: 1) { _ = try! checked.pullNodeFeatures(ntype: 0, field: "feat", ids: ids) }
    report.add("server_feature_pull_crc_gb_per_s", value: Double(bytes) / pullChecked / 1e9, unit: "GB/s",
               baseline: Double(bytes) / raw / 1e9, goal: "info",
               note: "the same with the payload crc32 computed and checked (pure-Swift CRC-32)")

    // (c) 1-id request latency.
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

/// Median seconds to move `bytes` over one loopback TCP connection between two threads of this
/// process (plain send/recv, the sockets tuned like Net's: 4 MiB buffers, TCP_NODELAY).
func rawLoopbackSeconds(bytes: Int, reps: Int) -> Double {
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
  let total = bytes * (reps + 1)
  let sender = Thread {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1, buf: Int32 = 4 << 20
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, 4)
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_addr.s_addr = inet_addr("127.0.0.1")
    a.sin_port = port
    _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    let data = [UInt8](repeating: 7, count: bytes)
    var sent = 0
    while sent < total {
      let n = data.withUnsafeBytes { send(fd, $0.baseAddress!, min(bytes, total - sent), Int32(MSG_NOSIGNAL)) }
      if n <= 0 { break }
      sent += n
    }
    close(fd)
  }
  sender.start()
  let fd = accept(listener, nil, nil)
  close(listener)
  var rb = buf
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, 4)
  var sink = [UInt8](repeating: 0, count: bytes)
  var times: [Double] = []
  for rep in 0...reps {
    let t = now()
    var got = 0
    while got < bytes {
      let n = sink.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, bytes - got, 0) }
      if n <= 0 { break }
      got += n
    }
    if rep > 0 { times.append(now() - t) }
  }
  close(fd)
  times.sort()
  return times[times.count / 2]
}
