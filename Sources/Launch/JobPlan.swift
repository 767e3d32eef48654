import Collective

/// One process of a job, as a plain value: what to run, where, with which arguments, and where
/// its output goes. `JobPlan.make` builds them; nothing here touches the system.
public struct ProcessSpec: Equatable, Sendable {
  public enum Role: String, Sendable { case server, trainer }

  public var role: Role
  /// Server: the partition it serves. Trainer: the partition its rank sits next to (rank mod
  /// parts), for messages only.
  public var partition: Int
  /// Server: its index among the partition's servers (0 holds the embeddings).
  public var serverID: Int
  /// Trainer: its rank.
  public var rank: Int
  /// The host it runs on (numeric address).
  public var host: String
  public var executable: String
  public var arguments: [String]
  /// `<workspace>/logs/<role>-<partition or rank>[-<server id>].log`.
  public var logPath: String
  /// Server: where it writes its bound port.
  public var portFile: String?

  /// `server 1.0`, `trainer 0`: the console prefix and the name in messages.
  public var name: String { role == .server ? "server \(partition).\(serverID)" : "trainer \(rank)" }
}

/// A job's processes and files, from the options, the graph's partition count and the config.
public struct JobPlan: Equatable, Sendable {
  public var options: LaunchOptions
  public var numParts: Int
  /// Host of each partition (127.0.0.1 without a hostfile).
  public var partitionHosts: [HostFile.Host]
  public var runDir: String
  public var logDir: String
  /// The job secret's file (mode 0600, written fresh per job).
  public var secretFile: String
  /// JSON `{"partitions": [["ip:port", …], …]}`: servers[p][s], written once every server is up.
  public var serversFile: String
  public var lockFile: String
  /// The job's tag in the names of the trainers' shared-memory objects
  /// (`/dev/shm/gust-ring-<tag>-…`): from the run directory, so the next job in the workspace
  /// finds what an earlier one left (`SharedMemoryObjects.jobTag`).
  public var shmTag: String
  public var servers: [ProcessSpec]
  public var trainers: [ProcessSpec]
  /// Width of the learnable embeddings the servers hold (the model's `hidden_size`).
  public var embedDim: Int
  public var embedAllTypes: Bool

  public var worldSize: Int { trainers.count }
  public var all: [ProcessSpec] { servers + trainers }

  /// - Parameters:
  ///   - binDir: the directory holding `gust-server` and `gust-trainer`.
  ///   - hosts: the hostfile's hosts (one per partition), or nil for 127.0.0.1 everywhere.
  ///   - embedDim: `hidden_size`; `embedAllTypes`: `use_node_embeddings`.
  public static func make(options o: LaunchOptions, numParts: Int, hosts: [HostFile.Host]?, embedDim: Int,
                          embedAllTypes: Bool, binDir: String) -> JobPlan {
    let ws = o.workspace
    let run = ws + "/run", logs = ws + "/logs"
    let partHosts = hosts ?? (0..<numParts).map { _ in HostFile.Host(ip: "127.0.0.1", port: nil, line: 0) }
    let secret = run + "/secret", serversFile = run + "/servers.json"
    var servers: [ProcessSpec] = []
    for p in 0..<numParts {
      let h = partHosts[p]
      for s in 0..<o.numServers {
        let port = h.port.map { $0 + s } ?? 0
        let portFile = run + "/server-\(p)-\(s).port"
        var args = ["--part-config", o.partConfig, "--part-id", "\(p)", "--server-id", "\(s)",
                    "--listen", endpoint(h.ip, port), "--secret-file", secret, "--port-file", portFile,
                    "--seed", "\(o.seed)", "--embed-dim", "\(embedDim)"]
        if embedAllTypes { args.append("--embed-all-types") }
        if let t = o.serverThreads { args += ["--threads", "\(t)"] }
        servers.append(ProcessSpec(role: .server, partition: p, serverID: s, rank: -1, host: h.ip,
                                   executable: binDir + "/gust-server", arguments: args,
                                   logPath: logs + "/server-\(p)-\(s).log", portFile: portFile))
      }
    }
    var trainers: [ProcessSpec] = []
    let shmTag = SharedMemoryObjects.jobTag(runDirectory: run)
    let world = o.numTrainers  // one host until the multi-host issue: world size = trainers
    // Several trainers join a TCP ring: rank r listens on its host at a free port it publishes
    // as run/ring-<r>.port (the trainers read each other's; `RingRendezvous`).
    let ringPeers = (0..<world).map { endpoint(partHosts[$0 % max(numParts, 1)].ip, 0) }.joined(separator: ",")
    for r in 0..<world {
      var args = ["--part-config", o.partConfig, "--cf", o.configFile, "--workspace", ws,
                  "--rank", "\(r)", "--world-size", "\(world)", "--seed", "\(o.seed)"]
      if o.localTrainer { args.append("--local") } else { args += ["--servers-file", serversFile] }
      if !o.localTrainer || world > 1 { args += ["--secret-file", secret] }
      if world > 1 {
        args += ["--ring-peers", ringPeers, "--ring-dir", run, "--shm-tag", shmTag]
        if let t = o.ringTimeout { args += ["--ring-timeout", "\(t)"] }
      }
      if o.resume { args.append("--resume") }
      if o.mode == .infer { args.append("--inference") }
      if let m = o.metricsFile { args += ["--metrics-file", m] }
      if let n = o.logInterval { args += ["--log-interval", "\(n)"] }
      if let t = o.trainerThreads { args += ["--threads", "\(t)"] }
      if let t = o.serverTimeout, !o.localTrainer { args += ["--server-timeout", "\(t)"] }
      args += o.overrideArgs
      let p = r % max(numParts, 1)
      trainers.append(ProcessSpec(role: .trainer, partition: p, serverID: -1, rank: r, host: partHosts[p].ip,
                                  executable: binDir + "/gust-trainer", arguments: args,
                                  logPath: logs + "/trainer-\(r).log", portFile: nil))
    }
    return JobPlan(options: o, numParts: numParts, partitionHosts: partHosts, runDir: run, logDir: logs,
                   secretFile: secret, serversFile: serversFile, lockFile: run + "/lock", shmTag: shmTag, servers: servers,
                   trainers: trainers, embedDim: embedDim, embedAllTypes: embedAllTypes)
  }

  /// Where rank r publishes its ring port (several trainers).
  public func ringPortFile(rank r: Int) -> String { "\(runDir)/ring-\(r).port" }

  /// The servers file's JSON for the bound endpoints, `endpoints[p][s]` = "ip:port".
  public static func serversJSON(_ endpoints: [[String]]) -> String {
    let parts = endpoints.map { "[" + $0.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
    return "{\"partitions\": [" + parts.joined(separator: ", ") + "]}\n"
  }

  /// What `--dry-run` prints about processes and hosts.
  public func describeProcesses() -> [String] {
    var lines: [String] = []
    let mode = options.localTrainer ? "reading partitions in-process (--local-trainer)" : "through the servers (\(serversFile))"
    lines.append("processes: \(servers.count) server(s) (\(options.numServers) per partition × \(numParts) partition(s)), "
      + "\(trainers.count) trainer(s) (world size \(worldSize)), \(mode)")
    for s in servers {
      let port = s.arguments[s.arguments.firstIndex(of: "--listen")! + 1]
      lines.append("  \(s.name): gust-server on \(port == endpoint(s.host, 0) ? s.host + " (free port)" : port), partition \(s.partition)"
        + (s.serverID == 0 ? " (holds its embeddings)" : " (replica)") + "  → \(s.logPath)")
    }
    for t in trainers {
      lines.append("  \(t.name): gust-trainer on \(t.host), rank \(t.rank)/\(worldSize)  → \(t.logPath)")
    }
    if worldSize > 1 {
      lines.append("ring: \(worldSize) trainers all-reduce gradients over TCP; rank r publishes its port in \(runDir)/ring-<r>.port")
      lines.append("shared memory: trainers on one host link through \(SharedMemoryObjects.directory)/"
        + "\(SharedMemoryObjects.prefix(job: shmTag))<pid>-…, removed when the job ends")
    }
    lines.append("files: secret \(secretFile) (0600), servers \(serversFile), logs \(logDir)/")
    return lines
  }
}

/// `ip:port`, IPv6 in brackets.
func endpoint(_ ip: String, _ port: Int) -> String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
