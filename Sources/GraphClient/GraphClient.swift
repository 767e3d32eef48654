#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph
import Net
import Proto

/// Timeouts and identity of a graph client.
public struct ClientOptions: Sendable {
  /// Seconds allowed to connect and authenticate, and for every reply (DESIGN: default 60 s).
  public var timeout: Double
  /// Who this client is (checked by nobody, logged by servers).
  public var role: ClientRole
  public var rank: UInt32
  /// Ask loopback servers to skip the crc32 of bulk replies (`Proto.Flags`): TCP over loopback
  /// never leaves this host's memory, and the crc costs more than the transfer.
  public var uncheckedLoopbackReplies: Bool

  public init(timeout: Double = 60, role: ClientRole = .trainer, rank: UInt32 = 0,
              uncheckedLoopbackReplies: Bool = true) {
    self.timeout = timeout
    self.role = role
    self.rank = rank
    self.uncheckedLoopbackReplies = uncheckedLoopbackReplies
  }
}

/// A trainer's view of the whole partitioned graph. Every id is routed to its owning partition
/// with `PartitionBook` (a binary search over the few (partition, type) ranges; no per-id
/// table or hashing). A call splits its ids by owner, sends each remote part to its server at
/// once (one connection per server, kept open), does the part owned by a partition mapped on
/// this host directly (`local`) while the others are in flight, then gathers the replies with
/// poll(2) and merges them in request order.
///
/// Servers: `servers[p][s]` is server `s` of partition `p`. Graph requests go to server
/// `rank % servers[p].count` (spreading trainers over replicas); embedding requests always go to
/// server 0 of the owning partition, which alone holds the rows (replicas stay consistent by
/// not having any).
///
/// Deadlines: connecting and every reply are bounded by `options.timeout`; a dead or silent
/// server is a `GraphClientError` naming the partition, server, host and port. A connection
/// that failed is dropped and reopened on next use.
///
/// Not thread-safe: use one client per thread.
public final class GraphClient {
  public let layout: GraphLayout
  /// The partition config, when the client was given one (or a local partition).
  public let config: PartitionConfig?
  /// A partition mapped on this host, read without a socket.
  public let local: Partition?
  /// Runs the local partition's sampling in chunks on the caller's workers (`body(i)` for
  /// `i < n`, any threads); nil: on the calling thread. The answer is the same either way.
  public var localParallel: ((_ n: Int, _ body: (Int) -> Void) -> Void)? = nil
  public let options: ClientOptions
  public let servers: [[Endpoint]]
  let nodeBook: PartitionBook
  let edgeBook: PartitionBook
  private let secret: Secret
  private var links: [Int: Link] = [:]  // p * 1024 + s
  /// Per node type, the id map block sampling relabels with (reused across batches).
  private var sampleMaps: [IdMap] = []

  /// The per-type id maps, emptied.
  func idMaps(_ types: Int) -> [IdMap] {
    if sampleMaps.count != types { sampleMaps = (0..<types).map { _ in IdMap(capacity: 1 << 14) } }
    for m in sampleMaps { m.reset() }
    return sampleMaps
  }

  final class Link {
    let part: Int
    let server: Int
    let connection: Connection
    let flags: UInt32
    var name: String { "partition \(part) server \(server) at \(connection.peer)" }
    init(part: Int, server: Int, connection: Connection, flags: UInt32) {
      self.part = part
      self.server = server
      self.connection = connection
      self.flags = flags
    }
  }

  /// Connects to nothing yet (links open on first use) unless the layout has to be learnt from
  /// the servers (no `config` and no `local`): then it asks server 0 of every partition.
  public init(servers: [[Endpoint]], secret: Secret, config: PartitionConfig? = nil,
              local: Partition? = nil, options: ClientOptions = ClientOptions()) throws {
    self.servers = servers
    self.secret = secret
    self.options = options
    self.local = local
    let config = config ?? local?.config
    self.config = config
    guard servers.allSatisfy({ !$0.isEmpty }) else {
      throw GraphClientError(.invalidArgument, "every partition needs at least one server address")
    }
    if let config {
      guard config.numParts == servers.count else {
        throw GraphClientError(.invalidArgument, "the graph has \(config.numParts) partitions; \(servers.count) server lists given")
      }
      layout = GraphLayout(config)
    } else {
      layout = try GraphClient.learnLayout(servers: servers, secret: secret, options: options)
    }
    nodeBook = layout.nodeBook
    edgeBook = layout.edgeBook
  }

  /// A client of the same servers (same secret, layout, local partition, options and
  /// `localParallel`) with its own connections, opened on first use, and its own scratch: what
  /// a second thread uses (the training loop's background sampler), since a client is not
  /// thread-safe. Requests answer as this client's would (same replica per partition).
  public func sibling() -> GraphClient { GraphClient(copying: self) }

  private init(copying o: GraphClient) {
    layout = o.layout
    config = o.config
    local = o.local
    localParallel = o.localParallel
    options = o.options
    servers = o.servers
    nodeBook = o.nodeBook
    edgeBook = o.edgeBook
    secret = o.secret
  }

  deinit { for link in links.values { link.connection.close() } }

  /// The layout from every partition's partition-info reply.
  static func learnLayout(servers: [[Endpoint]], secret: Secret, options: ClientOptions) throws -> GraphLayout {
    var infos: [PartitionInfo] = []
    for (p, list) in servers.enumerated() {
      let name = "partition \(p) server 0 at \(list[0])"
      do {
        let c = try Connection.connect(to: list[0], deadline: .after(seconds: options.timeout))
        try Authentication.client(c, secret: secret, role: options.role, rank: options.rank,
                                  deadline: .after(seconds: options.timeout))
        guard case .partitionInfo(let info) = try c.request(.partitionInfoRequest, deadline: .after(seconds: options.timeout)) else {
          throw GraphClientError(.protocolError, "unexpected reply to partitionInfoRequest", server: name)
        }
        c.close()
        guard info.partitionID == p, info.numPartitions == servers.count else {
          throw GraphClientError(.invalidArgument, "serves partition \(info.partitionID) of \(info.numPartitions); expected \(p) of \(servers.count)", server: name)
        }
        infos.append(info)
      } catch let e as NetError {
        throw GraphClientError.from(e, server: name)
      }
    }
    let first = infos[0]
    let T = first.nodeTypes.count, E = first.edgeTypes.count
    for (p, info) in infos.enumerated() where info.nodeTypes != first.nodeTypes || info.edgeTypes != first.edgeTypes {
      throw GraphClientError(.invalidArgument, "partition \(p) serves another graph (its types differ from partition 0's)")
    }
    return GraphLayout(
      numParts: servers.count, ntypes: first.nodeTypes, etypes: first.edgeTypes,
      etypeSrc: first.edgeSrcTypes.map { Int($0) }, etypeDst: first.edgeDstTypes.map { Int($0) },
      nodeRanges: (0..<T).map { t in infos.map { .init($0.nodeRanges[2 * t], $0.nodeRanges[2 * t + 1]) } },
      edgeRanges: (0..<E).map { e in infos.map { .init($0.edgeRanges[2 * e], $0.edgeRanges[2 * e + 1]) } })
  }

  // MARK: links

  /// The replica graph requests of partition `p` go to.
  func graphServer(_ p: Int) -> Int { Int(options.rank) % servers[p].count }

  func link(_ p: Int, _ s: Int) throws -> Link {
    if let l = links[p * 1024 + s], l.connection.isOpen { return l }
    let endpoint = servers[p][s]
    let name = "partition \(p) server \(s) at \(endpoint)"
    do {
      let deadline = Deadline.after(seconds: options.timeout)
      let c = try Connection.connect(to: endpoint, deadline: deadline)
      try Authentication.client(c, secret: secret, role: options.role, rank: options.rank, deadline: deadline)
      let unchecked = endpoint.isLoopback && options.uncheckedLoopbackReplies
      c.acceptsUncheckedPayload = unchecked
      let l = Link(part: p, server: s, connection: c, flags: unchecked ? Proto.Flags.uncheckedReplyWelcome : 0)
      links[p * 1024 + s] = l
      return l
    } catch let e as NetError {
      throw GraphClientError.from(e, server: name)
    }
  }

  /// Closes every connection (they reopen on next use).
  public func disconnect() {
    for l in links.values { l.connection.close() }
    links.removeAll()
  }

  // MARK: exchange

  /// One request of an exchange: to server `server` of partition `part`.
  struct Outgoing {
    var part: Int
    var server: Int
    var message: Message
    /// Where a reply of the expected kind and size is read to, straight from the socket.
    var scatter: Connection.Scatter? = nil
  }

  /// Requests of at least this many payload bytes skip the crc32 on links with unchecked replies.
  static let uncheckedRequestBytes = 64 << 10

  /// Sends every request at once, runs `local` meanwhile, then waits (poll) for every reply
  /// until the deadline. Returns the reply frames in the order of `requests`. An error reply
  /// is thrown (naming its server) after all replies are in; a transport failure or the
  /// deadline closes the links still waiting and throws at once.
  func exchange(_ requests: [Outgoing], whileWaiting local: () throws -> Void = {}) throws -> [Frame] {
    try exchangeAll(requests, whileWaiting: local).map(\.frame)
  }

  /// `exchange` that also says which replies went into their request's `scatter` segments
  /// (those frames have an empty payload).
  func exchangeAll(_ requests: [Outgoing], whileWaiting local: () throws -> Void = {}) throws -> [(frame: Frame, scattered: Bool)] {
    let deadline = Deadline.after(seconds: options.timeout)
    var replies = [(frame: Frame, scattered: Bool)?](repeating: nil, count: requests.count)
    // Per link, the requests in flight in send order: (index in requests, request id).
    var inFlight: [ObjectIdentifier: (link: Link, queue: [(Int, UInt64)])] = [:]
    for (i, r) in requests.enumerated() {
      let l = try link(r.part, r.server)
      let id = l.connection.makeRequestID()
      // On a trusted (loopback) link large requests go without a crc32 too (servers accept that
      // from loopback peers only).
      let flags = l.flags != 0 && r.message.estimatedPayloadSize >= GraphClient.uncheckedRequestBytes
        ? l.flags | Proto.Flags.uncheckedPayload : l.flags
      do {
        try l.connection.send(r.message, requestID: id, flags: flags, deadline: deadline)
      } catch let e as NetError {
        drop(l)
        for (_, v) in inFlight where v.link !== l { drop(v.link) }
        throw GraphClientError.from(e, server: l.name)
      }
      inFlight[ObjectIdentifier(l), default: (l, [])].queue.append((i, id))
    }
    do {
      try local()
    } catch {
      for v in inFlight.values { drop(v.link) }  // replies still to come: the streams are out of step
      throw error
    }
    var remaining = requests.count
    var firstError: GraphClientError?
    while remaining > 0 {
      var progressed = false
      for key in Array(inFlight.keys) {
        guard var entry = inFlight[key], !entry.queue.isEmpty else { continue }
        do {
          while let (i0, _) = entry.queue.first,
                let incoming = try entry.link.connection.receiveIfReady(scatter: requests[i0].scatter) {
            let (i, id) = entry.queue.removeFirst()
            let frame: Frame
            let scattered: Bool
            switch incoming {
            case .frame(let f):
              frame = f
              scattered = false
            case .scattered(let h):
              frame = Frame(kind: h.kind, flags: h.flags, requestID: h.requestID, payload: [])
              scattered = true
            }
            guard frame.requestID == id else {
              throw NetError(.unexpectedReply, "reply for request \(frame.requestID), expected \(id)")
            }
            if frame.kind == .error {
              let e = (try? frame.message()).flatMap { m -> ErrorReply? in
                if case .error(let r) = m { return r }
                return nil
              }
              if firstError == nil {
                firstError = GraphClientError(.remote, e.map { "\($0.code): \($0.message)" } ?? "undecodable error reply",
                                              server: entry.link.name, remote: e)
              }
            } else if frame.kind != requests[i].message.kind.replyKind {
              throw NetError(.unexpectedReply, "sent \(requests[i].message.kind), got \(frame.kind)")
            }
            replies[i] = (frame, scattered)
            remaining -= 1
            progressed = true
          }
          inFlight[key] = entry
        } catch let e as NetError {
          let failed = entry.link
          for v in inFlight.values where !v.queue.isEmpty { drop(v.link) }
          throw GraphClientError.from(e, server: failed.name)
        }
      }
      if remaining == 0 || progressed { continue }
      let waiting = inFlight.values.filter { !$0.queue.isEmpty }
      var fds = waiting.map { pollfd(fd: $0.link.connection.fd, events: Int16(POLLIN), revents: 0) }
      let ms = Int32(min((deadline.remainingNanoseconds + 999_999) / 1_000_000, UInt64(Int32.max)))
      let r = poll(&fds, nfds_t(fds.count), ms)
      if r == 0 && deadline.hasPassed {
        let names = waiting.map(\.link.name).joined(separator: ", ")
        for v in waiting { drop(v.link) }
        throw GraphClientError(.timedOut, "no reply within \(options.timeout) s (the server is dead, stalled or overloaded)",
                               server: names)
      }
    }
    if let firstError { throw firstError }
    return replies.map { $0! }
  }

  private func drop(_ l: Link) {
    l.connection.close()
    if links[l.part * 1024 + l.server] === l { links[l.part * 1024 + l.server] = nil }
  }

  /// Decodes a reply frame as a message (the error names the server).
  func decode(_ frame: Frame, from p: Int, _ s: Int) throws -> Message {
    do { return try frame.message() } catch {
      throw GraphClientError(.protocolError, "\(error)", server: "partition \(p) server \(s) at \(servers[p][s])")
    }
  }

  // MARK: routing

  /// Ids split by owning partition: per partition, the ids and their positions in the request.
  struct Split {
    var ids: [[Int64]]
    var positions: [[Int]]
  }

  /// Routes node ids that must all be of node type `t` (nil: any type).
  func splitNodes(_ ids: [Int64], type t: Int?) throws -> Split {
    if let t { return try split(ids, ranges: layout.nodeRanges[t]) { i in
      let id = ids[i]
      guard let o = nodeBook.owner(of: id) else {
        return "ids[\(i)] = \(id) is not a node of the graph (it has \(nodeBook.total))"
      }
      return "ids[\(i)] = \(id) is a \(layout.ntypes[o.type]) node, not \(layout.ntypes[t])"
    } }
    var split = Split(ids: Array(repeating: [], count: layout.numParts),
                      positions: Array(repeating: [], count: layout.numParts))
    for (i, id) in ids.enumerated() {
      guard let o = nodeBook.owner(of: id) else {
        throw GraphClientError(.invalidArgument, "ids[\(i)] = \(id) is not a node of the graph (it has \(nodeBook.total))")
      }
      if let t, o.type != t {
        throw GraphClientError(.invalidArgument, "ids[\(i)] = \(id) is a \(layout.ntypes[o.type]) node, not \(layout.ntypes[t])")
      }
      split.ids[o.part].append(id)
      split.positions[o.part].append(i)
    }
    return split
  }

  func splitEdges(_ ids: [Int64], type e: Int) throws -> Split {
    try split(ids, ranges: layout.edgeRanges[e]) { i in "ids[\(i)] = \(ids[i]) is not an edge of type \(layout.etypes[e])" }
  }

  /// Routes ids of one type, whose ids in partition p are `ranges[p]`: a pass that finds each
  /// id's partition among the few ranges and counts, then exact-size arrays filled in place
  /// (no per-id append). `bad(i)` words the error for an id in none of them.
  func split(_ ids: [Int64], ranges: [PartitionConfig.IdRange], bad: (Int) -> String) throws -> Split {
    let P = ranges.count, n = ids.count
    var owner = [UInt16](unsafeUninitializedCapacity: n) { _, k in k = n }
    var counts = [Int](repeating: 0, count: P)
    let badAt: Int? = ids.withUnsafeBufferPointer { idb in
      owner.withUnsafeMutableBufferPointer { ob in
        counts.withUnsafeMutableBufferPointer { cb in
          ranges.withUnsafeBufferPointer { rb in
            for i in 0..<n {
              let id = idb[i]
              var p = 0
              while p < P && !(id >= rb[p].start && id < rb[p].end) { p &+= 1 }
              if p == P { return i }
              ob[i] = UInt16(truncatingIfNeeded: p)
              cb[p] &+= 1
            }
            return nil
          }
        }
      }
    }
    if let i = badAt { throw GraphClientError(.invalidArgument, bad(i)) }
    var outIds = counts.map { c in [Int64](unsafeUninitializedCapacity: c) { _, k in k = c } }
    var outPos = counts.map { c in [Int](unsafeUninitializedCapacity: c) { _, k in k = c } }
    for p in 0..<P where counts[p] > 0 {
      ids.withUnsafeBufferPointer { idb in
        owner.withUnsafeBufferPointer { ob in
          outIds[p].withUnsafeMutableBufferPointer { oi in
            outPos[p].withUnsafeMutableBufferPointer { op in
              var k = 0
              let q = UInt16(p)
              for i in 0..<n where ob[i] == q {
                oi[k] = idb[i]
                op[k] = i
                k &+= 1
              }
            }
          }
        }
      }
    }
    return Split(ids: outIds, positions: outPos)
  }

  func checkNodeType(_ t: Int) throws {
    guard t >= 0 && t < layout.ntypes.count else {
      throw GraphClientError(.invalidArgument, "node type id \(t) does not exist (the graph has \(layout.ntypes.count))")
    }
  }

  func checkEdgeType(_ e: Int) throws {
    guard e >= 0 && e < layout.etypes.count else {
      throw GraphClientError(.invalidArgument, "edge type id \(e) does not exist (the graph has \(layout.etypes.count))")
    }
  }

  var localPart: Int? { local?.partId }
}
