import Collective
import Foundation
import Net

/// How the ranks of a job find each other (`--ring-peers`, `--ring-dir`): entry r of `peers`
/// is where rank r listens. A port of 0 is learnt through `directory`: each rank binds its own
/// entry's host on an ephemeral port, writes `<directory>/ring-<r>.port` (`host:port`, temp +
/// rename) and reads every other rank's file, all within `timeout`. The launcher removes stale
/// files before it starts the trainers. Hosts stay in the addresses, so ranks on other hosts
/// (a hostfile) rendezvous the same way over a shared workspace or with fixed ports.
public struct RingRendezvous {
  public var rank: Int
  public var peers: [String]
  public var directory: String?
  public var secretFile: String
  public var timeout: Double
  /// The job's tag in shared-memory object names (`CollectiveOptions.sharedMemoryJob`).
  public var shmTag: String?

  public init(rank: Int, peers: [String], directory: String?, secretFile: String, timeout: Double,
              shmTag: String? = nil) {
    self.rank = rank
    self.peers = peers
    self.directory = directory
    self.secretFile = secretFile
    self.timeout = timeout
    self.shmTag = shmTag
  }

  public static func portFile(directory: String, rank: Int) -> String { "\(directory)/ring-\(rank).port" }

  /// Binds, publishes, learns the peers' endpoints and connects the ring.
  public func connect(print: (String) -> Void = { _ in }) throws -> Communicator {
    let secret: Secret
    do { secret = try Secret.load(path: secretFile) } catch {
      throw TrainingError(.badInput, "--secret-file \(secretFile): \(error)")
    }
    var endpoints: [Endpoint] = []
    for (r, p) in peers.enumerated() {
      do { endpoints.append(try Endpoint(parsing: p)) } catch {
        throw TrainingError(.badInput, "--ring-peers entry \(r) '\(p)': \(error)")
      }
    }
    let listener = try TCPRing.listen(on: endpoints[rank])
    endpoints[rank] = listener.endpoint
    let deadline = Date().addingTimeInterval(timeout)
    if let dir = directory {
      try publish(listener.endpoint, directory: dir)
      for r in endpoints.indices where endpoints[r].port == 0 {
        endpoints[r] = try waitForPort(rank: r, directory: dir, deadline: deadline)
      }
    }
    print("rank \(rank) of \(peers.count): ring " + endpoints.map(\.description).joined(separator: " → "))
    return try TCPRing.connect(rank: rank, endpoints: endpoints, secret: secret,
                               options: CollectiveOptions(timeout: timeout, sharedMemoryJob: shmTag),
                               listener: listener)
  }

  func publish(_ e: Endpoint, directory: String) throws {
    let path = RingRendezvous.portFile(directory: directory, rank: rank)
    let tmp = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: tmp, contents: (e.description + "\n").data(using: .utf8)),
          rename(tmp, path) == 0 else {
      throw TrainingError(.runtime, "rank \(rank): cannot write \(path) (--ring-dir)")
    }
  }

  func waitForPort(rank r: Int, directory: String, deadline: Date) throws -> Endpoint {
    let path = RingRendezvous.portFile(directory: directory, rank: r)
    while true {
      if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do { return try Endpoint(parsing: t) } catch {
          throw TrainingError(.runtime, "rank \(rank): \(path) holds '\(t)', not host:port")
        }
      }
      if Date() > deadline {
        throw TrainingError(.runtime, "rank \(rank): rank \(r) did not publish its ring port (\(path)) within \(Int(timeout)) s (--ring-timeout)")
      }
      usleep(20_000)
    }
  }
}
