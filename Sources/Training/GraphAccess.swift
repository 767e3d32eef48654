import Graph

/// What a trainer needs from the graph, in bulk: arrays of global ids in, arrays out.
///
/// Two implementations: `LocalGraphAccess` (every partition mapped in this process, learnable
/// embeddings and their sparse Adam in memory — the test double and the same-host fast path)
/// and, later, the networked `GraphClient`, which routes each id to its owning partition's
/// servers (`PartitionBook`) and merges the replies. Every method must give the same answer for
/// the same request whichever implementation serves it; the comments say what "the same" means.
///
/// Ids are global ids (`PartitionConfig.nodeMap` / `edgeMap`); edge and node type ids index
/// `partitionConfig.etypes` / `ntypes`. Errors thrown are `GraphError` (bad request:
/// `.invalidArgument`) or the implementation's own transport errors.
public protocol GraphAccess: AnyObject {
  /// The partitioned graph's config: types, id ranges, fields.
  var partitionConfig: PartitionConfig { get }

  /// One hop of in-neighbour sampling for `seeds` (global ids of one node type, any
  /// partitions, no duplicates), for each request's edge type (whose destination type is the
  /// seeds' type). Result `k` answers `requests[k]`: its entries are grouped by seed **in the
  /// order of `seeds`**, ascending in-edge position within a seed (`Partition.sampleInNeighbors`
  /// per owner, re-assembled). A seed's choice depends only on (`seed`, edge type, node id), so
  /// any routing gives the same answer. `excluded` (sorted ascending, global edge ids of any
  /// type) are never returned.
  func sampleNeighbors(seeds: [Int64], requests: [SampleRequest], excluded: [Int64],
                       seed: UInt64) throws -> [SampledEdges]

  /// Rows of node fields of node type `ntype` for `ids` (all of that type): the fields'
  /// values converted to `Float` and concatenated per row (`ids.count × Σ widths`, row-major).
  func nodeFeatures(ntype: Int, fields: [String], ids: [Int64]) throws -> [Float]

  /// `nodeFeatures` written to `out` (`ids.count × Σ widths` floats): the input layer gathers
  /// straight into its step buffer. The default copies `nodeFeatures`' answer.
  func nodeFeatures(ntype: Int, fields: [String], ids: [Int64], into out: UnsafeMutablePointer<Float>) throws

  /// The feature rows of every node of `ntype`, readable in place for as long as this access
  /// lives, when `fields` is one `f32` field held in one piece on this host (a mapped
  /// partition): row `id - start` is node `id`'s. Nil otherwise (callers gather instead).
  func nodeFeatureTable(ntype: Int, fields: [String]) -> FeatureTable?

  /// One node field (label or mask, any dtype) for `ids`, typed as stored (`ids.count × width`).
  func nodeColumn(ntype: Int, field: String, ids: [Int64]) throws -> ArrayData

  /// Edge-field rows of edge type `etype` for global edge `ids`, as `nodeFeatures`.
  func edgeFeatures(etype: Int, fields: [String], ids: [Int64]) throws -> [Float]

  /// One edge field for global edge `ids`, typed as stored.
  func edgeColumn(etype: Int, field: String, ids: [Int64]) throws -> ArrayData

  /// Width of node type `ntype`'s learnable embedding rows, or nil when it has none.
  func embeddingWidth(ntype: Int) -> Int?

  /// True when every rank of the job reads and writes the same embedding rows (graph
  /// servers): one rank pushes a step's gradients. False when each rank holds its own copy
  /// (`LocalGraphAccess`): every rank applies the same pushes to its copy.
  var embeddingsShared: Bool { get }

  /// Learnable embedding rows of `ntype` for `ids` (`ids.count × width`, row-major).
  func pullEmbeddings(ntype: Int, ids: [Int64]) throws -> [Float]

  /// Applies one sparse Adam step at learning rate `lr` to the rows `ids` of `ntype` with
  /// gradients `grads` (`ids.count × width`). Repeated ids are summed first: one update per
  /// row per call (call it once per training step and type).
  func pushEmbeddingGradients(ntype: Int, ids: [Int64], grads: [Float], lr: Float) throws

  /// Writes every embedding row of `ntype` and its optimiser state under `directory` (each
  /// owner writes its own shard files; `loadEmbeddings` reads back exactly what this wrote).
  func dumpEmbeddings(ntype: Int, directory: String) throws

  /// Restores rows and optimiser state written by `dumpEmbeddings`. With `optimizerState`
  /// false only the rows are restored (`restore_model_path`).
  func loadEmbeddings(ntype: Int, directory: String, optimizerState: Bool) throws

  /// An access that one other thread (the training loop's background sampler) may use for the
  /// calls batch building makes (`sampleNeighbors`, `nodeColumn`, `edgeColumn`,
  /// `nodeFeatures`, `edgeFeatures`) while this one keeps serving its own thread, answering as
  /// this one would. Nil (the default): none; sampling stays on the calling thread.
  func samplingAccess() throws -> GraphAccess?
}

/// One edge type of a sampling request: `fanout` in-edges per seed (`-1` all, `0` none), only
/// edges whose `u8` edge field `maskField` is non-zero when given.
public struct SampleRequest: Equatable, Sendable {
  public var etype: Int
  public var fanout: Int
  public var maskField: String?

  public init(etype: Int, fanout: Int, maskField: String? = nil) {
    self.etype = etype
    self.fanout = fanout
    self.maskField = maskField
  }
}

/// Feature rows of one node type read in place (`GraphAccess.nodeFeatureTable`).
public struct FeatureTable {
  public let base: UnsafePointer<Float>
  /// Global id of row 0, and the row count.
  public let start: Int64
  public let count: Int
  public let width: Int

  public init(base: UnsafePointer<Float>, start: Int64, count: Int, width: Int) {
    self.base = base
    self.start = start
    self.count = count
    self.width = width
  }
}

extension GraphAccess {
  public func nodeFeatureTable(ntype: Int, fields: [String]) -> FeatureTable? { nil }

  public func samplingAccess() throws -> GraphAccess? { nil }

  public func nodeFeatures(ntype: Int, fields: [String], ids: [Int64], into out: UnsafeMutablePointer<Float>) throws {
    let x = try nodeFeatures(ntype: ntype, fields: fields, ids: ids)
    x.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: x.count) } }
  }

  /// Every edge of `etype` (optionally only those whose mask `maskField` is set) with its
  /// endpoints, in destination-partition then CSR order: a full sampling pass over every
  /// destination node, `chunk` seeds per request.
  public func allEdges(etype: Int, maskField: String?, chunk: Int = 1 << 16) throws -> SampledEdges {
    let c = partitionConfig
    let dt = c.ntypeId(c.etypes[etype].dst)!
    var out = SampledEdges()
    for r in c.nodeMap[dt] where r.count > 0 {
      var lo = r.start
      while lo < r.end {
        let hi = min(r.end, lo + Int64(chunk))
        let s = try sampleNeighbors(seeds: Array(lo..<hi), requests: [SampleRequest(etype: etype, fanout: -1, maskField: maskField)],
                                    excluded: [], seed: 0)[0]
        out.dst += s.dst
        out.src += s.src
        out.eid += s.eid
        lo = hi
      }
    }
    return out
  }

  /// Every global id of node type `ntype`, partition by partition.
  public func allNodes(ntype: Int) -> [Int64] {
    partitionConfig.nodeMap[ntype].flatMap { Array($0.start..<$0.end) }
  }
}

extension ArrayData {
  /// Values converted to Float.
  public var floats: [Float] {
    switch self {
    case .f32(let a): return a
    case .f64(let a): return a.map { Float($0) }
    case .i32(let a): return a.map { Float($0) }
    case .i64(let a): return a.map { Float($0) }
    case .u8(let a): return a.map { Float($0) }
    }
  }

  /// Values converted to Int64 (labels; floats are truncated).
  public var integers: [Int64] {
    switch self {
    case .f32(let a): return a.map { $0.isFinite ? Int64($0) : -1 }
    case .f64(let a): return a.map { $0.isFinite ? Int64($0) : -1 }
    case .i32(let a): return a.map { Int64($0) }
    case .i64(let a): return a
    case .u8(let a): return a.map { Int64($0) }
    }
  }
}
