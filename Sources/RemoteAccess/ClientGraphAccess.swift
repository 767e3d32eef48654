import Foundation
import Graph
import GraphClient
import Net
import Rand
import Tensor
import Training

/// Training's `GraphAccess` over a `GraphClient`: the graph and the learnable embeddings served
/// by `gust-server` processes. Every call is one bulk exchange (ids split by owner, one request
/// per partition involved — per (partition, mask) for sampling — sent at once, replies merged in
/// request order); the partition mapped on this host (`client.local`) is read directly.
///
/// Answers equal `LocalGraphAccess`'s for the same graph and job seed:
/// - sampling: same edges in the same order (grouped by seed in the order of `seeds`, within a
///   seed the owner's `Partition.sampleInNeighbors` order), since servers run the same sampler;
/// - features: the same `Float` rows; columns typed as stored (`nodeColumn` travels as the
///   wire's f32/i64/u8 and is converted back, so `f64` columns carry `f32` precision and `i32`
///   round-trips exactly; `edgeColumn` travels as `f32` rows, exact for `u8`, `f32` and integers
///   below 2²⁴ — labels and masks);
/// - embeddings: the servers' rows start from `EmbeddingInit` with the job seed (as
///   `LocalGraphAccess.addEmbeddings`) and take the same `SparseAdam` steps (server 0 of each
///   partition owns its rows).
///
/// Checkpoints: `dumpEmbeddings` has server 0 of every partition write
/// `<directory>/<ntype>-part<p>.emb` (GUSTEMB1 rows) and `<ntype>-part<p>.adam` (GUSTADM1: the
/// rows' sparse Adam state), on the server's host — the same host for now; `loadEmbeddings`
/// reads the rows back and, with `optimizerState`, the sparse Adam state too, so a run resumed
/// through servers repeats the uninterrupted one bit for bit.
///
/// Errors: a bad id or name is a `GraphError(.invalidArgument)` (as `LocalGraphAccess`);
/// transport failures stay `GraphClientError`, whose message names the partition, server,
/// host and port (gust-trainer exits 1). Not thread-safe (one `GraphClient`).
public final class ClientGraphAccess: GraphAccess {
  public let partitionConfig: PartitionConfig
  public let client: GraphClient
  /// Node type id → embedding width, for the types the servers hold rows of.
  let widths: [Int: Int]
  let warn: (String) -> Void
  private var warnedOptimizer = false

  /// `embeddings`: node type id → width of the rows the servers hold (checked by
  /// `checkEmbeddings`). `warn` receives warnings (default: standard error).
  public init(client: GraphClient, partitionConfig: PartitionConfig, embeddings: [Int: Int],
              warn: @escaping (String) -> Void = { FileHandle.standardError.write(("warning: " + $0 + "\n").data(using: .utf8)!) }) {
    self.client = client
    self.partitionConfig = partitionConfig
    self.widths = embeddings
    self.warn = warn
  }

  /// gust-trainer's `RemoteGraphFactory`: reads the servers and secret files, maps the
  /// partition this rank prefers (`rank % numParts`) when its files are on this host (the
  /// client's local fast path), connects, and checks every embedding type on the servers.
  public static func factory(_ spec: RemoteGraphSpec) throws -> GraphAccess {
    let c = spec.partitionConfig
    let servers = try ServersFile.load(path: spec.serversFile)
    guard servers.count == c.numParts else {
      throw TrainingError(.badInput, "--servers-file \(spec.serversFile): \(servers.count) partitions listed; the graph has \(c.numParts)")
    }
    let secret: Secret
    do { secret = try Secret.load(path: spec.secretFile) } catch let e as NetError {
      throw TrainingError(.badInput, "--secret-file: \(e.message)")
    }
    // The servers verified the partition's checksums when they mapped it.
    let local = try? Partition(configPath: spec.partConfigPath, partId: spec.rank % c.numParts, verify: false)
    let client: GraphClient
    do {
      client = try GraphClient(servers: servers, secret: secret, config: c, local: local,
                               options: ClientOptions(timeout: spec.timeout, role: .trainer, rank: UInt32(spec.rank)))
      client.localParallel = { n, body in parallelTasks(n, body) }
    } catch let e as GraphClientError where e.code == .invalidArgument {
      throw TrainingError(.badInput, "--servers-file \(spec.serversFile): \(e.message)")
    }
    let access = ClientGraphAccess(client: client, partitionConfig: c,
                                   embeddings: Dictionary(uniqueKeysWithValues: spec.embeddingTypes.map { ($0, spec.embeddingWidth) }))
    try access.checkEmbeddings(seed: spec.seed)
    return access
  }

  /// Pulls one row of every embedding type from every partition: a type the servers hold no
  /// rows of, or rows of another width, is a `TrainingError(.badInput)` saying which
  /// `gust-server` flags are missing. With `seed`, rows that differ from `EmbeddingInit`'s for
  /// it draw a warning (servers started with another `--seed`, or already trained).
  public func checkEmbeddings(seed: UInt64? = nil) throws {
    for (t, w) in widths.sorted(by: { $0.key < $1.key }) {
      let ids = partitionConfig.nodeMap[t].filter { $0.count > 0 }.map(\.start)
      if ids.isEmpty { continue }
      let name = partitionConfig.ntypes[t]
      let rows: FloatMatrix
      do { rows = try client.pullEmbeddings(ntype: t, ids: ids) } catch let e as GraphClientError where e.code == .remote {
        throw TrainingError(.badInput, "the graph servers hold no learnable embeddings of '\(name)' (\(e.server ?? "server"): \(e.message)); "
          + "start every gust-server with --embed-dim \(w) --seed <job seed>" + (featureless(t) ? "" : " --embed-all-types"))
      }
      guard rows.width == w else {
        throw TrainingError(.badInput, "the graph servers hold embeddings of '\(name)' \(rows.width) wide; the model needs \(w) (hidden_size): start gust-server with --embed-dim \(w)")
      }
      if let seed {
        let expected = ids.flatMap { EmbeddingInit.row(jobSeed: seed, ntype: t, globalID: $0, dim: w) }
        if expected != rows.values {
          warn("the servers' embedding rows of '\(name)' are not the initial rows of --seed \(seed) (servers started with another --seed, or already trained)")
        }
      }
    }
  }

  /// The same access over a sibling `GraphClient` (its own connections and scratch: a client
  /// is not thread-safe) for the background sampler.
  public func samplingAccess() throws -> GraphAccess? {
    ClientGraphAccess(client: client.sibling(), partitionConfig: partitionConfig, embeddings: widths, warn: warn)
  }

  func featureless(_ t: Int) -> Bool { !partitionConfig.nodeFields[t].contains { $0.kind == .feature } }

  /// Runs a client call; the caller's mistakes become `GraphError(.invalidArgument)`.
  @inline(__always)
  func call<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as GraphClientError where e.code == .invalidArgument {
      throw GraphError(.invalidArgument, e.message)
    }
  }

  // MARK: Sampling

  public func sampleNeighbors(seeds: [Int64], requests: [SampleRequest], excluded: [Int64],
                              seed: UInt64) throws -> [Graph.SampledEdges] {
    guard let first = requests.first else { return [] }
    let c = partitionConfig
    let dt = c.ntypeId(c.etypes[first.etype].dst)!
    for r in requests where c.ntypeId(c.etypes[r.etype].dst) != dt {
      throw GraphError(.invalidArgument, "edge type \(c.etypes[r.etype]) does not end at '\(c.ntypes[dt])'")
    }
    let res = try call {
      try client.sampleNeighbors(seeds: seeds, requests: requests.map { NeighborRequest(etype: $0.etype, fanout: $0.fanout, maskField: $0.maskField) },
                                 excluded: excluded, seed: seed)
    }
    return res.map {
      var s = Graph.SampledEdges()
      s.dst = $0.dst
      s.src = $0.src
      s.eid = $0.eids
      return s
    }
  }

  // MARK: Fields

  /// The mapped partition on this host holds every node of `ntype`: its feature rows in place.
  public func nodeFeatureTable(ntype: Int, fields: [String]) -> FeatureTable? {
    guard fields.count == 1, let part = client.local else { return nil }
    let ranges = partitionConfig.nodeMap[ntype]
    let live = ranges.indices.filter { ranges[$0].count > 0 }
    guard live == [part.partId], let f = part.nodeField(ntype, fields[0]), f.info.dtype == .f32,
          let base = f.data.baseAddress else { return nil }
    let r = ranges[part.partId]
    guard f.data.count >= r.count * f.info.width * 4 else { return nil }
    return FeatureTable(base: base.assumingMemoryBound(to: Float.self), start: r.start, count: r.count, width: f.info.width)
  }

  public func nodeFeatures(ntype: Int, fields: [String], ids: [Int64]) throws -> [Float] {
    concatenated(try call { try client.pullNodeFeatures(ntype: ntype, fields: fields, ids: ids) }, rows: ids.count)
  }

  /// One field: each server's rows arrive in one block (`GraphClient.pullNodeFeatureRows`) and
  /// are put in request order by the one copy into `out`.
  public func nodeFeatures(ntype: Int, fields: [String], ids: [Int64], into out: UnsafeMutablePointer<Float>) throws {
    guard fields.count == 1 else {
      let x = try nodeFeatures(ntype: ntype, fields: fields, ids: ids)
      x.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: x.count) } }
      return
    }
    try call { try client.pullNodeFeatureRows(ntype: ntype, field: fields[0], ids: ids) }.gather(into: out)
  }

  public func edgeFeatures(etype: Int, fields: [String], ids: [Int64]) throws -> [Float] {
    concatenated(try call { try client.pullEdgeFeatures(etype: etype, fields: fields, ids: ids) }, rows: ids.count)
  }

  /// Field matrices side by side, row by row.
  func concatenated(_ m: [FloatMatrix], rows n: Int) -> [Float] {
    if m.count == 1 { return m[0].values }
    let total = m.reduce(0) { $0 + $1.width }
    var out = [Float](repeating: 0, count: n * total)
    var c0 = 0
    for f in m {
      let w = f.width
      for i in 0..<n { for j in 0..<w { out[i * total + c0 + j] = f.values[i * w + j] } }
      c0 += w
    }
    return out
  }

  public func nodeColumn(ntype: Int, field: String, ids: [Int64]) throws -> ArrayData {
    guard let info = partitionConfig.nodeField(ntype, field) else {
      throw GraphError(.invalidArgument, "node type '\(partitionConfig.ntypes[ntype])' has no field '\(field)'")
    }
    let col = try call { try client.pullLabelsMasks(ntype: ntype, fields: [field], ids: ids) }[0]
    switch (info.dtype, col) {
    case (.u8, .uint8(_, let v)): return .u8(v)
    case (.i64, .int64(_, let v)): return .i64(v)
    case (.i32, .int64(_, let v)): return .i32(v.map { Int32(truncatingIfNeeded: $0) })
    case (.f32, .float32(_, let v)): return .f32(v)
    case (.f64, .float32(_, let v)): return .f64(v.map { Double($0) })
    default:
      throw GraphClientError(.protocolError, "field '\(field)' of '\(partitionConfig.ntypes[ntype])' is \(info.dtype.rawValue); the servers sent another type")
    }
  }

  public func edgeColumn(etype: Int, field: String, ids: [Int64]) throws -> ArrayData {
    guard let info = partitionConfig.edgeField(etype, field) else {
      throw GraphError(.invalidArgument, "edge type \(partitionConfig.etypes[etype]) has no field '\(field)'")
    }
    let v = try call { try client.pullEdgeFeatures(etype: etype, fields: [field], ids: ids) }[0].values
    switch info.dtype {
    case .f32: return .f32(v)
    case .f64: return .f64(v.map { Double($0) })
    case .i32: return .i32(v.map { Int32($0) })
    case .i64: return .i64(v.map { Int64($0) })
    case .u8: return .u8(v.map { UInt8($0) })
    }
  }

  // MARK: Embeddings

  public func embeddingWidth(ntype: Int) -> Int? { widths[ntype] }
  /// The servers hold one copy of the rows for every trainer.
  public var embeddingsShared: Bool { true }

  func width(_ ntype: Int) throws -> Int {
    guard let w = widths[ntype] else {
      throw GraphError(.invalidArgument, "node type '\(partitionConfig.ntypes[ntype])' has no learnable embeddings")
    }
    return w
  }

  public func pullEmbeddings(ntype: Int, ids: [Int64]) throws -> [Float] {
    let w = try width(ntype)
    if ids.isEmpty { return [] }
    let m = try call { try client.pullEmbeddings(ntype: ntype, ids: ids) }
    guard m.width == w else {
      throw GraphClientError(.protocolError, "embedding rows of '\(partitionConfig.ntypes[ntype])' are \(m.width) wide; expected \(w)")
    }
    return m.values
  }

  public func pushEmbeddingGradients(ntype: Int, ids: [Int64], grads: [Float], lr: Float) throws {
    let w = try width(ntype)
    precondition(grads.count == ids.count * w, "pushEmbeddingGradients: \(grads.count) values for \(ids.count) rows of \(w)")
    if ids.isEmpty { return }
    try call { _ = try client.pushEmbeddingGradients(ntype: ntype, ids: ids, gradients: grads, width: w, learningRate: lr) }
  }

  /// `directory` as an absolute path (servers only accept those), created here (same host).
  func serverDirectory(_ directory: String) throws -> String {
    let dir = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// The rows (`<ntype>-part<p>.emb`) and their sparse Adam state (`<ntype>-part<p>.adam`).
  public func dumpEmbeddings(ntype: Int, directory: String) throws {
    _ = try width(ntype)
    let dir = try serverDirectory(directory)
    try call {
      _ = try client.dumpEmbeddings(ntype: ntype, directory: dir)
      _ = try client.dumpEmbeddingOptimizer(ntype: ntype, directory: dir)
    }
  }

  /// The rows and, with `optimizerState`, their sparse Adam state. A checkpoint written before
  /// servers saved that state has no `.adam` files: its rows load and the state starts afresh
  /// (a warning says so).
  public func loadEmbeddings(ntype: Int, directory: String, optimizerState: Bool) throws {
    _ = try width(ntype)
    let dir = try serverDirectory(directory)
    try call { _ = try client.loadEmbeddings(ntype: ntype, directory: dir) }
    guard optimizerState else { return }
    let files = (0..<partitionConfig.numParts).map { client.optimizerPath(ntype, $0, dir) }
    if files.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
      try call { _ = try client.loadEmbeddingOptimizer(ntype: ntype, directory: dir) }
    } else if !warnedOptimizer {
      warnedOptimizer = true
      warn("\(dir) has no sparse Adam state of the embedding rows (\(files.first { !FileManager.default.fileExists(atPath: $0) }!) is missing; saved by an older Gust): their optimiser starts afresh, so the resumed run is close to, not bit for bit, the uninterrupted one")
    }
  }
}
