import Config
import Graph

/// `gust-trainer --dry-run` (and `gust train --dry-run`): the config validated against the graph
/// and the plan of the run, computed as the trainer would (masks read, items split over
/// `worldSize` ranks, batches per pass), without training or starting anything.
public struct DryRunReport: Equatable, Sendable {
  public struct Task: Equatable, Sendable {
    public var id: String
    public var kind: String
    /// Node type, or edge types joined by ", ".
    public var target: String
    public var train: Int
    public var val: Int?
    public var test: Int?
    public var batchSize: Int
    /// Batches of this task per pass over its items (every rank runs the same number).
    public var batchesPerEpoch: Int
  }

  public var graphName: String
  public var numParts: Int
  public var worldSize: Int
  public var tasks: [Task]
  /// Steps per epoch: the largest task's batch count.
  public var epochSteps: Int
  public var numEpochs: Int
  /// Node types with learnable embeddings and their width (`hidden_size`).
  public var embeddingTypes: [String]
  public var embeddingWidth: Int
  public var warnings: [String]

  /// Reads every task's masks through `graph` and splits them as `Trainer` does. `inference`:
  /// no train split (train sizes and batches are 0; `--inference --dry-run`).
  public static func make(plan: TrainingPlan, graph: GraphAccess, worldSize: Int, inference: Bool = false) throws -> DryRunReport {
    let g = graph.partitionConfig
    let nodeBook = PartitionBook.nodes(g), edgeBook = PartitionBook.edges(g)
    var tasks: [Task] = []
    for task in plan.tasks {
      let m = task.config.masks
      let target: String
      switch task.target {
      case .nodes(let t): target = g.ntypes[t]
      case .edges(let es): target = es.map { g.etypes[$0].key }.joined(separator: ", ")
      }
      func count(_ mask: String?) throws -> Int? { try mask.map { try TaskItems.load(graph, target: task.target, mask: $0).count } }
      if inference {
        tasks.append(Task(id: task.id, kind: task.config.kind.name.rawValue, target: target, train: 0, val: nil,
                          test: try count(m.test), batchSize: max(1, task.config.batchSize), batchesPerEpoch: 0))
        continue
      }
      guard let trainMask = m.train else {
        throw TrainingError(.badInput, "\(task.config.yamlPath).mask_fields: task \(task.id) has no train mask")
      }
      let train = try TaskItems.load(graph, target: task.target, mask: trainMask)
      let owners = train.isEdges ? train.ids.map { edgeBook.owner(of: $0)!.part } : train.ids.map { nodeBook.owner(of: $0)!.part }
      let B = max(1, task.config.batchSize)
      let split = RankSplit.split(owners: owners, numParts: g.numParts, worldSize: worldSize, batchSize: B)
      let nb = RankSplit.batchesPerPass(counts: split.map(\.count), batchSize: B)
      guard nb > 0 else {
        throw TrainingError(.badInput, "task \(task.id): the train mask '\(trainMask)' selects \(train.count) items, too few for \(worldSize) rank(s)")
      }
      tasks.append(Task(id: task.id, kind: task.config.kind.name.rawValue, target: target, train: train.count,
                        val: try count(m.val), test: try count(m.test), batchSize: B, batchesPerEpoch: nb))
    }
    return DryRunReport(graphName: g.graphName, numParts: g.numParts, worldSize: worldSize, tasks: tasks,
                        epochSteps: tasks.map(\.batchesPerEpoch).max() ?? 0, numEpochs: plan.config.training.numEpochs,
                        embeddingTypes: plan.embeddingTypes.map { g.ntypes[$0] }, embeddingWidth: plan.encoder.embeddingSize,
                        warnings: plan.config.warnings.map { "\($0)" } + plan.warnings)
  }

  /// The printed plan.
  public var lines: [String] {
    var out = ["dry run: config valid for graph '\(graphName)' (\(numParts) partition\(numParts == 1 ? "" : "s")), \(worldSize) trainer rank\(worldSize == 1 ? "" : "s"); nothing started"]
    for w in warnings { out.append("warning: \(w)") }
    out.append("tasks: \(tasks.count)")
    for t in tasks {
      out.append("  \(t.id)  kind \(t.kind)  target \(t.target)  train \(t.train)  val \(t.val.map(String.init) ?? "-")  "
        + "test \(t.test.map(String.init) ?? "-")  batch \(t.batchSize)  batches/epoch \(t.batchesPerEpoch)")
    }
    out.append("epoch: \(epochSteps) steps (the largest task's batch count) × \(numEpochs) epoch\(numEpochs == 1 ? "" : "s")")
    out.append("embeddings: " + (embeddingTypes.isEmpty ? "none" : "\(embeddingTypes.joined(separator: ", ")) (width \(embeddingWidth); gust-server --embed-dim \(embeddingWidth))"))
    return out
  }
}
