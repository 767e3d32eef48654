import Graph

/// What a client must know of the graph to route ids: node and edge types, and every
/// partition's global id ranges per type — from the partition config, or assembled from the
/// servers' partition-info replies.
public struct GraphLayout: Sendable, Equatable {
  public var numParts: Int
  public var ntypes: [String]
  /// Edge type names (`src:rel:dst`) and their endpoint node type ids.
  public var etypes: [String]
  public var etypeSrc: [Int]
  public var etypeDst: [Int]
  /// `[type][partition]` global id ranges.
  public var nodeRanges: [[PartitionConfig.IdRange]]
  public var edgeRanges: [[PartitionConfig.IdRange]]

  public init(numParts: Int, ntypes: [String], etypes: [String], etypeSrc: [Int], etypeDst: [Int],
              nodeRanges: [[PartitionConfig.IdRange]], edgeRanges: [[PartitionConfig.IdRange]]) {
    self.numParts = numParts
    self.ntypes = ntypes
    self.etypes = etypes
    self.etypeSrc = etypeSrc
    self.etypeDst = etypeDst
    self.nodeRanges = nodeRanges
    self.edgeRanges = edgeRanges
  }

  public init(_ c: PartitionConfig) {
    self.init(numParts: c.numParts, ntypes: c.ntypes, etypes: c.etypes.map(\.key),
              etypeSrc: c.etypes.map { c.ntypeId($0.src)! }, etypeDst: c.etypes.map { c.ntypeId($0.dst)! },
              nodeRanges: c.nodeMap, edgeRanges: c.edgeMap)
  }

  public var nodeBook: PartitionBook { PartitionBook(ranges: nodeRanges) }
  public var edgeBook: PartitionBook { PartitionBook(ranges: edgeRanges) }
}
