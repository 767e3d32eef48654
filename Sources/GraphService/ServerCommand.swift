#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph
import Net
import Proto

/// `gust-server`'s command line, validated (swift-argument-parser's `validate()` shape without the
/// dependency): every problem is a `UsageError` whose message names the flag.
public struct ServerCommand: Sendable {
  public var partConfig = ""
  public var partID = -1
  public var serverID = 0
  public var listen = ""
  public var secretFile = ""
  public var threads = 1
  public var idleTimeout: Double = 600
  public var handshakeTimeout: Double = 5
  public var portFile: String?
  public var embedDim = 0
  public var embedAllTypes = false
  public var seed: UInt64?

  public struct UsageError: Error, CustomStringConvertible {
    public let description: String
  }

  public static let usage = """
    usage: gust-server --part-config P --part-id I --server-id S --listen IP:PORT --secret-file F
                       [--threads N] [--idle-timeout SECONDS] [--port-file F]
                       [--embed-dim D] [--embed-all-types] [--seed N]

    Serves partition I of the graph whose partition config is P on IP:PORT (port 0: an ephemeral
    port, written to the port file). Every connection must prove the job secret held in F.
      --server-id S      this server's index among its partition's servers; 0 owns the embeddings
      --threads N        requests executed at once (default 1)
      --idle-timeout S   close a connection silent for S seconds (default 600)
      --handshake-timeout S  a new connection must authenticate within S seconds (default 5)
      --port-file F      write the bound port to F (temporary name, then rename)
      --embed-dim D      learnable embeddings of width D for featureless node types (default 0: none)
      --embed-all-types  embeddings for every node type
      --seed N           job seed for the embedding initialisation (default: the config's seed)
    Stops cleanly on a shutdown request or SIGTERM. Exit 2: bad flags or a corrupt partition.
    """

  public init() {}

  /// Parses `arguments` (without the program name).
  public static func parse(_ arguments: [String]) throws -> ServerCommand {
    var c = ServerCommand()
    var i = 0
    func value(_ flag: String) throws -> String {
      i += 1
      guard i < arguments.count else { throw UsageError(description: "\(flag) needs a value") }
      return arguments[i]
    }
    func int(_ flag: String, _ text: String, min: Int) throws -> Int {
      guard let v = Int(text), v >= min else { throw UsageError(description: "\(flag) '\(text)': expected an integer ≥ \(min)") }
      return v
    }
    while i < arguments.count {
      let flag = arguments[i]
      switch flag {
      case "--part-config": c.partConfig = try value(flag)
      case "--part-id": c.partID = try int(flag, try value(flag), min: 0)
      case "--server-id": c.serverID = try int(flag, try value(flag), min: 0)
      case "--listen": c.listen = try value(flag)
      case "--secret-file": c.secretFile = try value(flag)
      case "--threads": c.threads = try int(flag, try value(flag), min: 1)
      case "--idle-timeout":
        let t = try value(flag)
        guard let v = Double(t), v > 0, v.isFinite else { throw UsageError(description: "\(flag) '\(t)': expected seconds > 0") }
        c.idleTimeout = v
      case "--handshake-timeout":
        let t = try value(flag)
        guard let v = Double(t), v > 0, v.isFinite else { throw UsageError(description: "\(flag) '\(t)': expected seconds > 0") }
        c.handshakeTimeout = v
      case "--port-file": c.portFile = try value(flag)
      case "--embed-dim": c.embedDim = try int(flag, try value(flag), min: 0)
      case "--embed-all-types": c.embedAllTypes = true
      case "--seed":
        let t = try value(flag)
        guard let v = UInt64(t) else { throw UsageError(description: "\(flag) '\(t)': expected an unsigned integer") }
        c.seed = v
      case "-h", "--help": throw UsageError(description: "")
      default: throw UsageError(description: "unknown argument '\(flag)'")
      }
      i += 1
    }
    if c.partConfig.isEmpty { throw UsageError(description: "--part-config is required") }
    if c.partID < 0 { throw UsageError(description: "--part-id is required") }
    if c.listen.isEmpty { throw UsageError(description: "--listen is required") }
    if c.secretFile.isEmpty { throw UsageError(description: "--secret-file is required") }
    do { _ = try Endpoint(parsing: c.listen) } catch let e as NetError {
      throw UsageError(description: "--listen: \(e.message)")
    }
    return c
  }

  /// The whole process: parse, map, listen, serve until a shutdown request or SIGTERM. Returns
  /// the exit code (0 clean stop, 1 runtime failure, 2 bad flags or a corrupt partition).
  public static func main(_ arguments: [String]) -> Int32 {
    let command: ServerCommand
    do {
      command = try parse(arguments)
    } catch let e as UsageError {
      if !e.description.isEmpty { log("gust-server: \(e.description)") }
      log(usage)
      return 2
    } catch {
      log("gust-server: \(error)")
      return 2
    }
    return command.run()
  }

  public func run() -> Int32 {
    Net.keepFreedMemory()
    let tag = "gust-server[part \(partID) server \(serverID)]"
    // SIGTERM / SIGINT are taken synchronously by the main thread below; block them before any
    // thread starts so no other thread gets them.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    pthread_sigmask(SIG_BLOCK, &signals, nil)

    let partition: Partition
    let secret: Secret
    do {
      partition = try Partition(configPath: partConfig, partId: partID)
      secret = try Secret.load(path: secretFile)
    } catch {
      ServerCommand.log("\(tag): \(error)")
      return 2
    }
    let service = GraphService(partition: partition, options: ServiceOptions(
      serverID: serverID, embeddingDim: embedDim, embedAllTypes: embedAllTypes, seed: seed,
      threads: threads))
    let server: Server
    do {
      server = try Server(listeningOn: try Endpoint(parsing: listen), secret: secret,
                          options: ServerOptions(handshakeTimeout: handshakeTimeout, idleTimeout: idleTimeout),
                          log: { ServerCommand.log("\(tag): \($0)") },
                          frameHandler: { try service.handle($0) })
    } catch {
      ServerCommand.log("\(tag): \(error)")
      return 1
    }
    server.start()
    if let portFile {
      do { try ServerCommand.writeAtomically("\(server.endpoint.port)\n", to: portFile) } catch {
        ServerCommand.log("\(tag): \(error)")
        server.stop()
        return 1
      }
    }
    let embedded = service.embeddedTypes.map { partition.config.ntypes[$0] }
    ServerCommand.log("\(tag): serving \(partition.config.graphName) partition \(partID) on \(server.endpoint)"
      + (embedded.isEmpty ? "" : "; embeddings (dim \(embedDim)) for \(embedded.joined(separator: ", "))"))

    var timeout = timespec(tv_sec: 0, tv_nsec: 20_000_000)
    var reason = ""
    while reason.isEmpty {
      let sig = sigtimedwait(&signals, nil, &timeout)
      if sig == SIGTERM { reason = "SIGTERM" } else if sig == SIGINT { reason = "SIGINT" }
      else if service.shutdownRequested {
        reason = "shutdown request"
        // Let the acknowledgement leave before the connections are shut down.
        usleep(20_000)
      }
    }
    server.stop()
    ServerCommand.log("\(tag): stopped (\(reason))")
    return 0
  }

  static func log(_ line: String) { Net.logToStandardError(line) }

  /// Writes `text` to `path` through `path.tmp-<pid>` and a rename.
  static func writeAtomically(_ text: String, to path: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ServiceFailure("cannot create '\(tmp)': \(String(cString: strerror(errno)))") }
    var text = text
    let ok = text.withUTF8 { write(fd, $0.baseAddress, $0.count) == $0.count }
    close(fd)
    guard ok, rename(tmp, path) == 0 else {
      unlink(tmp)
      throw ServiceFailure("cannot write the port file '\(path)': \(String(cString: strerror(errno)))")
    }
  }
}
