import Tensor

/// A canonical edge type `src:rel:dst` (DGL's triple). Its `name` is the key used in parameter
/// names and in the partition config (`"paper:cites:paper"`).
public struct EdgeType: Hashable, Sendable, Comparable, CustomStringConvertible {
  public let src: String
  public let rel: String
  public let dst: String

  public init(_ src: String, _ rel: String, _ dst: String) {
    self.src = src
    self.rel = rel
    self.dst = dst
  }

  /// `"src:rel:dst"`.
  public var name: String { "\(src):\(rel):\(dst)" }
  public var description: String { name }

  public static func < (a: EdgeType, b: EdgeType) -> Bool { a.name < b.name }
}

/// One message-flow block (DGL's MFG) of one GNN layer: per node type, how many source and
/// destination nodes it has (destinations are the FIRST rows of the sources, DGL's convention),
/// and per canonical edge type a destination-sorted `CSR` from destination-local to
/// source-local rows (`csr.numDst == numDst[etype.dst]`, `csr.numSrc == numSrc[etype.src]`).
/// An edge type absent from `edges` has no edges in this block.
public struct Block: Sendable, Equatable {
  public var numSrc: [String: Int]
  public var numDst: [String: Int]
  public var edges: [EdgeType: CSR]

  public init(numSrc: [String: Int], numDst: [String: Int], edges: [EdgeType: CSR]) {
    self.numSrc = numSrc
    self.numDst = numDst
    self.edges = edges
  }
}

/// The sampled computation of one mini-batch: `layers.count` blocks, outermost first.
///
/// `nodes[l][t]` are the global node ids of type `t` that layer `l` reads (its sources);
/// `nodes[L][t]` are the seeds (the output rows). For every `l`, `nodes[l + 1][t]` is a prefix
/// of `nodes[l][t]`. The input layer reads features and embeddings for `nodes[0]`.
/// Plain values: the sampler fills them, `validate()` checks them at the boundary.
public struct MessageFlow: Sendable, Equatable {
  /// `L + 1` node sets, per node type.
  public var nodes: [[String: [Int64]]]
  /// `L` blocks; `blocks[l]` maps `nodes[l]` (sources) to `nodes[l + 1]` (destinations).
  public var blocks: [Block]

  public init(nodes: [[String: [Int64]]], blocks: [Block]) {
    self.nodes = nodes
    self.blocks = blocks
  }

  /// Builds the blocks' counts from `nodes` and the per-layer CSRs.
  public init(nodes: [[String: [Int64]]], edges: [[EdgeType: CSR]]) {
    precondition(nodes.count == edges.count + 1, "MessageFlow: \(nodes.count) node sets for \(edges.count) layers")
    var blocks: [Block] = []
    for l in 0..<edges.count {
      blocks.append(Block(numSrc: nodes[l].mapValues(\.count), numDst: nodes[l + 1].mapValues(\.count),
                          edges: edges[l]))
    }
    self.init(nodes: nodes, blocks: blocks)
  }

  public var numLayers: Int { blocks.count }
  /// The seeds per node type (the rows the encoder outputs).
  public var seeds: [String: [Int64]] { nodes.last ?? [:] }

  public struct Invalid: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { "MessageFlow: \(message)" }
  }

  /// Checks counts, the prefix rule and every CSR's shape.
  public func validate() throws {
    guard nodes.count == blocks.count + 1 else {
      throw Invalid(message: "\(nodes.count) node sets for \(blocks.count) blocks (need one more)")
    }
    for (l, b) in blocks.enumerated() {
      for (t, n) in b.numSrc where nodes[l][t]?.count ?? 0 != n {
        throw Invalid(message: "layer \(l): \(n) sources of '\(t)', \(nodes[l][t]?.count ?? 0) ids")
      }
      for (t, n) in b.numDst {
        guard nodes[l + 1][t]?.count ?? 0 == n else {
          throw Invalid(message: "layer \(l): \(n) destinations of '\(t)', \(nodes[l + 1][t]?.count ?? 0) ids")
        }
        guard n <= b.numSrc[t] ?? 0 else {
          throw Invalid(message: "layer \(l): \(n) destinations of '\(t)' but \(b.numSrc[t] ?? 0) sources")
        }
        if let src = nodes[l][t], let dst = nodes[l + 1][t], n > 0, Array(src[0..<n]) != dst {
          throw Invalid(message: "layer \(l): destinations of '\(t)' are not the first source rows")
        }
      }
      for (et, csr) in b.edges {
        guard csr.numDst == b.numDst[et.dst] ?? 0, csr.numSrc == b.numSrc[et.src] ?? 0 else {
          throw Invalid(message: "layer \(l): CSR of \(et) is \(csr.numDst)×\(csr.numSrc), block has "
                          + "\(b.numDst[et.dst] ?? 0) '\(et.dst)' destinations and \(b.numSrc[et.src] ?? 0) '\(et.src)' sources")
        }
      }
    }
  }
}
