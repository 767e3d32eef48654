import Graph

/// What a networked `GraphAccess` is built from. Training has no networking: the `gust-trainer`
/// executable hands `TrainerCommand.main` a `RemoteGraphFactory` (RemoteAccess's
/// `ClientGraphAccess.factory`), which `--servers-file F --secret-file F` runs use.
public struct RemoteGraphSpec {
  /// The partition config (`--part-config`, absolute) and its contents.
  public var partConfigPath: String
  public var partitionConfig: PartitionConfig
  /// `--servers-file` (JSON `{"partitions": [["host:port", …], …]}`, `servers[p][s]`) and
  /// `--secret-file` (the job secret), absolute paths.
  public var serversFile: String
  public var secretFile: String
  public var rank: Int
  public var worldSize: Int
  /// Node type ids whose learnable embeddings the servers must hold, `embeddingWidth` wide
  /// (the servers were started with `--embed-dim` = `hidden_size` and the job's `--seed`).
  public var embeddingTypes: [Int]
  public var embeddingWidth: Int
  /// The job seed (`--seed`): the servers' initial embedding rows follow from it.
  public var seed: UInt64
  /// Seconds allowed to connect and for every reply (`--server-timeout`).
  public var timeout: Double

  public init(partConfigPath: String, partitionConfig: PartitionConfig, serversFile: String, secretFile: String,
              rank: Int, worldSize: Int, embeddingTypes: [Int], embeddingWidth: Int, seed: UInt64, timeout: Double) {
    self.partConfigPath = partConfigPath
    self.partitionConfig = partitionConfig
    self.serversFile = serversFile
    self.secretFile = secretFile
    self.rank = rank
    self.worldSize = worldSize
    self.embeddingTypes = embeddingTypes
    self.embeddingWidth = embeddingWidth
    self.seed = seed
    self.timeout = timeout
  }
}

/// Builds the networked `GraphAccess` of a run. Its errors end the run with exit 1 (transport:
/// the message names the server) or 2 (a `TrainingError(.badInput)`, e.g. a malformed servers file).
public typealias RemoteGraphFactory = (RemoteGraphSpec) throws -> GraphAccess
