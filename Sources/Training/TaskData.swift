import Graph
import Tensor

/// The items of one task split: node ids, or edges with their endpoints and types.
public struct TaskItems: Equatable, Sendable {
  /// Global node ids (node tasks) or global edge ids (edge tasks).
  public var ids: [Int64]
  /// Edge tasks: per item its edge type id and endpoints (global ids); empty for node tasks.
  public var etype: [Int32] = []
  public var src: [Int64] = []
  public var dst: [Int64] = []

  public init(ids: [Int64], etype: [Int32] = [], src: [Int64] = [], dst: [Int64] = []) {
    self.ids = ids
    self.etype = etype
    self.src = src
    self.dst = dst
  }

  public var count: Int { ids.count }
  public var isEdges: Bool { !etype.isEmpty }

  /// The items at `positions`, in that order.
  public func subset(_ positions: ArraySlice<Int>) -> TaskItems {
    TaskItems(ids: positions.map { ids[$0] },
              etype: etype.isEmpty ? [] : positions.map { etype[$0] },
              src: src.isEmpty ? [] : positions.map { src[$0] },
              dst: dst.isEmpty ? [] : positions.map { dst[$0] })
  }

  /// Items whose owner (per `owner(id)`) passes `keep`.
  func filter(_ keep: (Int) -> Bool) -> TaskItems {
    let pos = (0..<count).filter(keep)
    return subset(pos[...])
  }

  /// Loads the items of `target` whose u8 mask `mask` is set, in global-id order.
  public static func load(_ graph: GraphAccess, target: TaskPlan.Target, mask: String) throws -> TaskItems {
    switch target {
    case .nodes(let t):
      let all = graph.allNodes(ntype: t)
      let m = try graph.nodeColumn(ntype: t, field: mask, ids: all)
      guard case .u8(let bits) = m, bits.count == all.count else {
        throw TrainingError(.badInput, "mask '\(mask)' of node type '\(graph.partitionConfig.ntypes[t])' must be u8 of width 1")
      }
      return TaskItems(ids: (0..<all.count).filter { bits[$0] != 0 }.map { all[$0] })
    case .edges(let es):
      var out = TaskItems(ids: [])
      for e in es {
        guard let info = graph.partitionConfig.edgeField(e, mask), info.dtype == .u8, info.width == 1 else {
          throw TrainingError(.badInput, "edge type \(graph.partitionConfig.etypes[e]) has no u8 mask '\(mask)'")
        }
        let s = try graph.allEdges(etype: e, maskField: mask)
        out.ids += s.eid
        out.src += s.src
        out.dst += s.dst
        out.etype += [Int32](repeating: Int32(e), count: s.eid.count)
      }
      return out
    }
  }
}

/// How a task's training items are divided among ranks and batched (SPEC §4, §6).
public enum RankSplit {
  /// Which ranks read partition `p`'s items: with `W ≥ P` ranks `p, p+P, p+2P, …` share it in
  /// contiguous chunks; with `W < P` rank `p mod W` takes all of it. `owners[i]` is item `i`'s
  /// partition. Returns, per rank, the positions of its items (ascending).
  public static func byOwnership(owners: [Int], numParts P: Int, worldSize W: Int) -> [[Int]] {
    var perPart = [[Int]](repeating: [], count: P)
    for (i, p) in owners.enumerated() { perPart[p].append(i) }
    var out = [[Int]](repeating: [], count: W)
    for p in 0..<P {
      if W < P { out[p % W] += perPart[p]; continue }
      let ranks = Array(stride(from: p, to: W, by: P))
      let n = perPart[p].count
      for (k, r) in ranks.enumerated() {
        out[r] += perPart[p][(n * k / ranks.count)..<(n * (k + 1) / ranks.count)]
      }
    }
    for r in 0..<W { out[r].sort() }
    return out
  }

  /// Positions per rank after balancing: the ownership split, unless some rank would get no
  /// batch while others have items — then an even split in id order (DGL's `force_even`).
  public static func split(owners: [Int], numParts: Int, worldSize: Int, batchSize: Int) -> [[Int]] {
    let own = byOwnership(owners: owners, numParts: numParts, worldSize: worldSize)
    if owners.isEmpty || own.allSatisfy({ !$0.isEmpty }) { return own }
    let n = owners.count
    return (0..<worldSize).map { r in Array((n * r / worldSize)..<(n * (r + 1) / worldSize)) }
  }

  /// Batches every rank runs per pass over its items: the minimum over ranks of
  /// ⌈count / batchSize⌉, so no rank waits at the collective. Each pass a rank uses the first
  /// `batches · batchSize` of its freshly shuffled items (a different subset each pass).
  public static func batchesPerPass(counts: [Int], batchSize: Int) -> Int {
    counts.map { ($0 + batchSize - 1) / batchSize }.min() ?? 0
  }
}

/// The multi-task schedule (SPEC §4): every step takes one batch of every task, in task order;
/// an epoch is the largest task's batch count; a task that runs out starts a new pass over its
/// items with a fresh shuffle. Stateless: the batch of (epoch, step, task) follows from the
/// seed, which is what makes `--resume` exact.
public struct Schedule: Sendable {
  public let batchesPerPass: [Int]
  public let batchSize: [Int]

  public init(batchesPerPass: [Int], batchSize: [Int]) {
    self.batchesPerPass = batchesPerPass
    self.batchSize = batchSize
  }

  /// Steps per epoch (every task has at least one batch).
  public var stepsPerEpoch: Int { batchesPerPass.max() ?? 0 }

  /// Task `t`'s pass number and batch within that pass at `step` of an epoch.
  public func position(task t: Int, step: Int) -> (pass: Int, batch: Int) {
    (step / batchesPerPass[t], step % batchesPerPass[t])
  }

  /// The item positions (into the rank's items, `count` of them) of task `t`'s batch at
  /// (`epoch`, `step`): the pass's shuffle is seeded by (seed, rank, epoch, task, pass).
  public func batch(task t: Int, epoch: Int, step: Int, count: Int, seed: UInt64, rank: Int) -> ArraySlice<Int> {
    let (pass, b) = position(task: t, step: step)
    let order = Schedule.shuffled(count: count, seed: deriveSeed(base: seed, rank: rank, epoch: epoch, task: t, step: pass, salt: 0x5348_5546))
    let used = min(count, batchesPerPass[t] * batchSize[t])
    let lo = b * batchSize[t], hi = min(used, lo + batchSize[t])
    return order[lo..<hi]
  }

  public static func shuffled(count: Int, seed: UInt64) -> [Int] {
    var a = Array(0..<count)
    var g = Generator(seed: seed)
    g.shuffle(&a)
    return a
  }
}
