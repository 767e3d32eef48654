import Config
import Foundation
import Graph
@_exported import TestSupport
import XCTest
@testable import Training

/// What TrainingTests add to the shared synthetic graph (Sources/TestSupport).
extension Synthetic {
  /// A local run over this graph: config parsed with `overrides`, embeddings created.
  func makeTrainer(yaml: String, overrides: [String] = [], seed: UInt64 = 1, options: (inout RunOptions) -> Void = { _ in },
                   inference: Bool = false, reducer: GradientReducer = IdentityReducer()) throws -> (Trainer, LocalGraphAccess) {
    let cfg = try GustConfig.parse(yaml: yaml, overrides: try ConfigOverrides.parse(overrides), mode: inference ? .infer : .train)
    let access = try LocalGraphAccess(configPath: configPath)
    let plan = try TrainingPlan.make(config: cfg, graph: access.partitionConfig, mode: inference ? .infer : .train)
    access.addEmbeddings(ntypes: plan.embeddingTypes, width: plan.encoder.embeddingSize, seed: seed,
                         lr: Float(cfg.training.sparseOptimizerLR))
    var o = RunOptions()
    o.seed = seed
    o.print = { _ in }
    o.logInterval = 5
    o.rank = reducer.rank
    o.worldSize = reducer.worldSize
    options(&o)
    return (try Trainer(plan: plan, graph: access, options: o, reducer: reducer, inference: inference), access)
  }

  /// Global id → (type id, graph id), from node_mapping.
  func globalToGraph() throws -> [Int64: (Int, Int64)] {
    let c = try PartitionConfig.load(path: configPath)
    var out: [Int64: (Int, Int64)] = [:]
    for (t, name) in c.ntypes.enumerated() {
      let e = c.globalFiles[PartitionConfig.nodeMappingName(ntype: name)]!
      let m = try MappedFile(path: root + "/graph/" + e.path, expectedBytes: e.bytes, crc32: e.crc32)
      let ids = withExtendedLifetime(m) { Array(m.typed(Int64.self)) }
      let globals = c.nodeMap[t].flatMap { Array($0.start..<$0.end) }
      for (k, g) in globals.enumerated() { out[g] = (t, ids[k]) }
    }
    return out
  }
}
