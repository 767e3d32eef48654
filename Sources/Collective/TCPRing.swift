import Net
import Proto

/// A ring over authenticated `Net` connections (HMAC handshake with the job secret, like every
/// Gust connection), whose links are then shared-memory rings when every rank is on this host
/// and `options.sharedMemory` (`ShmLinks`, the TCP connections kept beside them for liveness
/// and notices), else the TCP connections themselves (`TCPLinks`); see `LinkSetup`. `endpoints[r]` is where rank r listens; rank r listens on endpoints[r],
/// connects to rank (r+1)%w and accepts from rank (r−1)%w, retrying connects until the deadline
/// (`options.timeout` for the whole rendezvous). A listener can be pre-bound (port 0 →
/// ephemeral) with `listen(on:)` so a launcher or test can learn ports first.
///
/// The connecting side says hello as a trainer with its rank; the accepting side takes only an
/// authenticated trainer announcing rank r−1 (anything else — a wrong secret, another rank, a
/// stray client — is closed and it keeps accepting until the deadline).
public enum TCPRing {
  /// Binds `endpoint` (port 0 = ephemeral; `listener.endpoint` has the real one).
  public static func listen(on endpoint: Endpoint) throws -> Listener {
    do {
      return try Listener(listeningOn: endpoint)
    } catch let e as NetError {
      throw CollectiveError(.rendezvous, "cannot listen on \(endpoint): \(e.message)")
    }
  }

  public static func connect(rank: Int, endpoints: [Endpoint], secret: Secret,
                             options: CollectiveOptions = .init()) throws -> Communicator {
    try connect(rank: rank, endpoints: endpoints, secret: secret, options: options, listener: nil)
  }

  /// As above with this rank's listener already bound (by `listen(on:)`); the ring takes it over
  /// and closes it once the left neighbour is in.
  public static func connect(rank: Int, endpoints: [Endpoint], secret: Secret,
                             options: CollectiveOptions = .init(), listener: Listener?) throws -> Communicator {
    let options = try options.validated()
    let w = endpoints.count
    guard w >= 1, (0..<w).contains(rank) else {
      throw CollectiveError(.badArgument, "rank \(rank) with \(w) ring endpoints")
    }
    guard w > 1 else {
      listener?.close()
      return RingCommunicator(rank: 0, worldSize: 1, links: nil, options: options)
    }
    let deadline = Deadline.after(seconds: options.timeout)
    let listener = try listener ?? listen(on: endpoints[rank])
    defer { listener.close() }
    let left = (rank - 1 + w) % w, right = (rank + 1) % w

    // Accept from the left in another thread while this one connects to the right: every rank
    // does both, so doing them one after the other would wait on each other round the ring.
    let cancel = Flag()
    let acceptor = Worker { () throws -> Connection in
      try acceptLeft(listener: listener, left: left, rank: rank, endpoints: endpoints, secret: secret,
                     deadline: deadline, timeout: options.timeout, cancel: cancel)
    }
    let rightResult = Result { () throws -> Connection in
      try connectRight(right: right, rank: rank, endpoints: endpoints, secret: secret,
                       deadline: deadline, timeout: options.timeout)
    }
    if case .failure = rightResult {
      // The left neighbour may never come once we give up: stop waiting for it now.
      cancel.set()
    }
    let leftResult = acceptor.join()
    switch (leftResult, rightResult) {
    case (.success(let l), .success(let r)):
      let links: RingLinks
      do {
        links = try LinkSetup.links(rank: rank, endpoints: endpoints, left: l, right: r, options: options,
                                    deadline: deadline)
      } catch {
        l.close()
        r.close()
        throw error
      }
      let c = RingCommunicator(rank: rank, worldSize: w, links: links, options: options)
      if options.sharedMemoryGroup && w >= options.groupMinWorldSize && links is ShmLinks {
        do { try c.setUpGroup(slotFloats: options.groupSlotFloats) } catch {
          c.close()
          throw error
        }
      }
      return c
    case (_, .failure(let e)), (.failure(let e), _):
      if case .success(let l) = leftResult { l.close() }
      if case .success(let r) = rightResult { r.close() }
      throw e
    }
  }

  private static func connectRight(right: Int, rank: Int, endpoints: [Endpoint], secret: Secret,
                                   deadline: Deadline, timeout: Double) throws -> Connection {
    let peer = endpoints[right].description
    let c: Connection
    do {
      c = try Connection.connect(to: endpoints[right], deadline: deadline)
    } catch let e as NetError {
      throw CollectiveError(.rendezvous, "could not be reached within \(seconds(timeout)) to form the ring: "
        + e.message, peerRank: right, peer: peer)
    }
    do {
      try Authentication.client(c, secret: secret, role: .trainer, rank: UInt32(rank), deadline: deadline)
    } catch let e as NetError {
      c.close()
      throw CollectiveError(.rendezvous, "refused this rank's ring connection: \(e.message)",
                            peerRank: right, peer: peer)
    }
    return c
  }

  private static func acceptLeft(listener: Listener, left: Int, rank: Int, endpoints: [Endpoint],
                                 secret: Secret, deadline: Deadline, timeout: Double, cancel: Flag) throws -> Connection {
    var lastRefusal = "nobody connected"
    while true {
      var accepted: Connection? = nil
      // In slices, so that a failure on the connecting side stops the wait promptly.
      while accepted == nil && !deadline.hasPassed && !cancel.isSet {
        let slice = Deadline(nanoseconds: min(deadline.nanoseconds, Deadline.after(seconds: 0.1).nanoseconds))
        do {
          accepted = try listener.accept(deadline: slice)
        } catch {
          lastRefusal = "accept failed: \(error)"
          break
        }
      }
      if cancel.isSet && accepted == nil { lastRefusal = "this rank gave up (its right side failed)" }
      guard let c = accepted else {
        throw CollectiveError(.rendezvous, "did not join the ring within \(seconds(timeout)) "
          + "(this rank listened on \(listener.endpoint); \(lastRefusal))",
          peerRank: left, peer: endpoints[left].description)
      }
      do {
        let who = try Authentication.server(c, secret: secret, deadline: deadline)
        guard who.role == .trainer, Int(who.rank) == left else {
          lastRefusal = "refused \(who.role) rank \(who.rank) from \(c.peer): expected trainer rank \(left)"
          c.close()
          continue
        }
        guard !c.isMidFrame else {
          c.close()
          throw CollectiveError(.protocolViolation, "sent data before the handshake finished",
                                peerRank: left, peer: endpoints[left].description)
        }
        return c
      } catch let e as NetError {
        lastRefusal = "refused a connection from \(c.peer): \(e.message)"
        c.close()
      }
    }
  }
}
