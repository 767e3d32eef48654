import CMetis
import Graph

public enum PartMethod: String, Sendable, CaseIterable {
  case metis, random
}

/// Assigns every node to a partition: `assignment[t][v]` for node `v` (graph id) of type `t`.
public enum Partitioner {
  /// `trainWeights`: per task, per node type, how much training work each node brings (1 for a
  /// node in a node task's train mask; for an edge task, its train-mask edges counted at their
  /// destination, which owns them). METIS balances node count, owned edges and each of these.
  public static func assign(_ g: GraphData, numParts: Int, method: PartMethod, seed: UInt64,
                            trainWeights: [[[Int32]]] = []) throws -> [[Int32]] {
    let total = g.numNodes.reduce(0, +)
    guard numParts >= 1 else { throw ConstructError(.badFlag, "must be at least 1", key: "--num-parts") }
    guard numParts <= total else {
      throw ConstructError(.badFlag, "\(numParts) partitions for a graph of \(total) nodes; use at most \(total)", key: "--num-parts")
    }
    if numParts == 1 { return g.numNodes.map { [Int32](repeating: 0, count: $0) } }
    switch method {
    case .random: return random(g, numParts: numParts, seed: seed)
    case .metis: return try metis(g, numParts: numParts, seed: seed, trainWeights: trainWeights)
    }
  }

  /// Seeded and balanced: per node type a seeded permutation dealt round-robin, so each
  /// partition gets ⌊n/K⌋ or ⌈n/K⌉ nodes of every type.
  static func random(_ g: GraphData, numParts: Int, seed: UInt64) -> [[Int32]] {
    g.ntypes.enumerated().map { t, name in
      var order = Array(0..<g.numNodes[t])
      var rng = SeededGenerator(seed: seed, stableHash("random-partition"), stableHash(name))
      rng.shuffle(&order)
      var out = [Int32](repeating: 0, count: order.count)
      for (i, v) in order.enumerated() { out[v] = Int32(i % numParts) }
      return out
    }
  }

  /// The number of edges whose endpoints lie in different partitions.
  public static func edgeCut(_ g: GraphData, _ assignment: [[Int32]]) -> Int {
    var cut = 0
    for (e, et) in g.etypes.enumerated() {
      let s = g.ntypes.firstIndex(of: et.src)!, d = g.ntypes.firstIndex(of: et.dst)!
      for i in 0..<g.src[e].count where assignment[s][Int(g.src[e][i])] != assignment[d][Int(g.dst[e][i])] { cut += 1 }
    }
    return cut
  }

  static func metis(_ g: GraphData, numParts: Int, seed: UInt64, trainWeights: [[[Int32]]]) throws -> [[Int32]] {
    let idxBits = MemoryLayout<idx_t>.size * 8
    let idxMax = Int(idx_t.max)
    var offset = [Int](repeating: 0, count: g.ntypes.count + 1)
    for t in 0..<g.ntypes.count { offset[t + 1] = offset[t] + g.numNodes[t] }
    let n = offset.last!
    func tooBig(_ what: String) -> ConstructError {
      ConstructError(.partition, "METIS here has \(idxBits)-bit indices and cannot take \(what) (limit \(idxMax)); "
                     + "use --part-method random for this graph", key: "--part-method")
    }
    guard n <= idxMax else { throw tooBig("\(n) nodes") }

    // Symmetrised homogeneous graph without self-loops or repeated neighbours.
    let typeOf: [Int] = g.etypes.map { g.ntypes.firstIndex(of: $0.src)! }
    let dstTypeOf: [Int] = g.etypes.map { g.ntypes.firstIndex(of: $0.dst)! }
    var degree = [Int](repeating: 0, count: n + 1)
    var inDegree = [Int](repeating: 0, count: n)
    for e in 0..<g.etypes.count {
      for i in 0..<g.src[e].count {
        let u = offset[typeOf[e]] + Int(g.src[e][i]), v = offset[dstTypeOf[e]] + Int(g.dst[e][i])
        inDegree[v] += 1
        if u != v { degree[u + 1] += 1; degree[v + 1] += 1 }
      }
    }
    for i in 0..<n { degree[i + 1] += degree[i] }
    guard degree[n] <= idxMax else { throw tooBig("\(degree[n]) adjacency entries") }
    var adj = [idx_t](repeating: 0, count: degree[n])
    var fill = Array(degree[0..<n])
    for e in 0..<g.etypes.count {
      for i in 0..<g.src[e].count {
        let u = offset[typeOf[e]] + Int(g.src[e][i]), v = offset[dstTypeOf[e]] + Int(g.dst[e][i])
        if u == v { continue }
        adj[fill[u]] = idx_t(v); fill[u] += 1
        adj[fill[v]] = idx_t(u); fill[v] += 1
      }
    }
    var xadj = [idx_t](repeating: 0, count: n + 1)
    var w = 0
    for v in 0..<n {
      let lo = degree[v], hi = degree[v + 1]
      adj[lo..<hi].sort()
      var prev: idx_t = -1
      for k in lo..<hi where adj[k] != prev { adj[w] = adj[k]; prev = adj[k]; w += 1 }
      xadj[v + 1] = idx_t(w)
    }
    adj.removeLast(adj.count - w)

    // Vertex weights: one node, its owned (in-)edges, its training work per task. Constraints
    // that are zero everywhere are left out (METIS divides by their totals).
    var constraints: [[Int]] = [[Int](repeating: 1, count: n), inDegree]
    for task in trainWeights {
      var c = [Int](repeating: 0, count: n)
      for (t, ws) in task.enumerated() { for (v, x) in ws.enumerated() { c[offset[t] + v] = Int(x) } }
      constraints.append(c)
    }
    constraints = constraints.filter { c in c.contains { $0 != 0 } }
    for c in constraints { guard c.reduce(0, +) <= idxMax else { throw tooBig("a vertex weight total of \(c.reduce(0, +))") } }
    var ncon = idx_t(constraints.count)
    var vwgt = [idx_t](repeating: 0, count: n * constraints.count)
    for v in 0..<n { for (k, c) in constraints.enumerated() { vwgt[v * constraints.count + k] = idx_t(c[v]) } }

    var options = [idx_t](repeating: 0, count: Int(METIS_NOPTIONS))
    METIS_SetDefaultOptions(&options)
    options[Int(METIS_OPTION_SEED.rawValue)] = idx_t(truncatingIfNeeded: seed & 0x7fff_ffff)
    options[Int(METIS_OPTION_NUMBERING.rawValue)] = 0
    var nv = idx_t(n), np = idx_t(numParts), cut: idx_t = 0
    var part = [idx_t](repeating: 0, count: n)
    if adj.isEmpty { adj = [0] }   // METIS reads adjncy[0] even for an edgeless graph
    let status = METIS_PartGraphKway(&nv, &ncon, &xadj, &adj, &vwgt, nil, nil, &np, nil, nil, &options, &cut, &part)
    guard status == METIS_OK.rawValue else {
      let why = status == METIS_ERROR_MEMORY.rawValue ? "out of memory" : status == METIS_ERROR_INPUT.rawValue ? "rejected the input" : "failed"
      throw ConstructError(.partition, "METIS_PartGraphKway \(why) (status \(status)); --part-method random always works", key: "--part-method")
    }
    return (0..<g.ntypes.count).map { t in (0..<g.numNodes[t]).map { Int32(part[offset[t] + $0]) } }
  }
}
