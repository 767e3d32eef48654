import Foundation
import Net
import Training

/// The servers file the launcher writes for every trainer: `servers[p][s]` is server `s` of
/// partition `p` (server 0 owns the partition's learnable embeddings).
///
///     {"partitions": [["127.0.0.1:41234", "127.0.0.1:41235"], ["127.0.0.1:41236", "127.0.0.1:41237"]]}
public enum ServersFile {
  struct Contents: Codable {
    var partitions: [[String]]
  }

  /// Parses the file; every problem is a `TrainingError(.badInput)` naming the file (exit 2).
  public static func load(path: String) throws -> [[Endpoint]] {
    func bad(_ m: String) -> TrainingError { TrainingError(.badInput, "--servers-file \(path): \(m)") }
    guard let data = FileManager.default.contents(atPath: path) else { throw bad("cannot read the file") }
    let c: Contents
    do { c = try JSONDecoder().decode(Contents.self, from: data) } catch {
      throw bad("expected JSON {\"partitions\": [[\"host:port\", …], …]} (\(error))")
    }
    guard !c.partitions.isEmpty else { throw bad("no partitions") }
    return try c.partitions.enumerated().map { p, list in
      guard !list.isEmpty else { throw bad("partition \(p) has no server") }
      return try list.enumerated().map { s, text in
        do { return try Endpoint(parsing: text) } catch let e as NetError {
          throw bad("partitions[\(p)][\(s)] '\(text)': \(e.message)")
        }
      }
    }
  }

  /// The file's text for `servers` (the launcher and tests write it).
  public static func text(_ servers: [[Endpoint]]) -> String {
    let data = try! JSONEncoder().encode(Contents(partitions: servers.map { $0.map(\.description) }))
    return String(decoding: data, as: UTF8.self)
  }
}
