#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CProcess

/// The launcher's children and one poll(2) loop over their output pipes and a self-pipe that
/// SIGINT/SIGTERM/SIGHUP write to. Single-threaded: `step` reads output, reaps exits and reports
/// a received signal; `stopAll` tears everything down (SIGTERM, then SIGKILL after the grace
/// period) and always reaps every child, so no process is left behind.
public final class Supervisor {
  public private(set) var children: [Child] = []
  let shim: String?
  let console: (String) -> Void
  let tailLines: Int

  /// - Parameters:
  ///   - shim: the `gust` executable (children start through `gust __child`, which sets
  ///     PR_SET_PDEATHSIG), or nil to exec children directly.
  ///   - console: where echoed lines go (one line per call, no newline).
  public init(shim: String?, tailLines: Int = 20, console: @escaping (String) -> Void) {
    self.shim = shim
    self.tailLines = tailLines
    self.console = console
  }

  deinit { stopAll(grace: 1) }

  @discardableResult
  public func start(_ spec: ProcessSpec, echo: Bool) throws -> Child {
    let c = try Child.spawn(spec, shim: shim, echo: echo, tailLimit: max(tailLines, 1))
    children.append(c)
    return c
  }

  public var running: [Child] { children.filter(\.isRunning) }

  /// Waits up to `timeout` seconds for output, an exit or a signal; reads the output and reaps
  /// whatever exited. Returns the signal the launcher received, if any.
  @discardableResult
  public func step(timeout: Double) -> Int32? {
    var fds = children.filter { $0.outputFD >= 0 }.map { pollfd(fd: $0.outputFD, events: Int16(POLLIN), revents: 0) }
    let sigFD = LauncherSignals.readFD
    if sigFD >= 0 { fds.append(pollfd(fd: sigFD, events: Int16(POLLIN), revents: 0)) }
    // Exits are noticed by waitpid below; cap the wait so a child that closed its output early
    // (or a child whose pipe is already at EOF) is reaped promptly.
    let ms = Int32(max(0, min(timeout, 0.1)) * 1000)
    _ = poll(&fds, nfds_t(fds.count), ms)
    for c in children where c.outputFD >= 0 { _ = c.drain(console: console) }
    for c in children where c.isRunning {
      if c.reap() { _ = c.drain(console: console) }
    }
    return LauncherSignals.take()
  }

  /// SIGTERM to every running child, up to `grace` seconds for them to exit (output still read),
  /// then SIGKILL to the rest; returns when every child has been reaped.
  public func stopAll(grace: Double) {
    let live = running
    guard !live.isEmpty else { return }
    for c in live { c.send(SIGTERM) }
    let deadline = monotonicSeconds() + grace
    while !running.isEmpty && monotonicSeconds() < deadline { _ = stepWithoutSignals() }
    for c in running { c.send(SIGKILL) }
    for c in running {
      var s: Int32 = 0
      while waitpid(c.pid, &s, 0) < 0 && errno == EINTR {}
      c.status = ExitStatus(waitStatus: s)
    }
    for c in children where c.outputFD >= 0 { _ = c.drain(console: console) }
  }

  /// Stops the children matching `which` (e.g. the servers once the trainers are done).
  public func stop(_ which: [Child], grace: Double) {
    for c in which where c.isRunning { c.send(SIGTERM) }
    let deadline = monotonicSeconds() + grace
    while which.contains(where: \.isRunning) && monotonicSeconds() < deadline { _ = stepWithoutSignals() }
    for c in which where c.isRunning {
      c.send(SIGKILL)
      var s: Int32 = 0
      while waitpid(c.pid, &s, 0) < 0 && errno == EINTR {}
      c.status = ExitStatus(waitStatus: s)
    }
  }

  /// A step during teardown: a second Ctrl-C does not interrupt the teardown (the SIGKILL after
  /// the grace period bounds it).
  private func stepWithoutSignals() -> Int32? {
    let s = step(timeout: 0.05)
    _ = s
    return nil
  }
}

/// The launcher's signal handling: SIGINT, SIGTERM and SIGHUP write their number to a self-pipe
/// the supervisor polls; SIGPIPE is ignored (children get default dispositions back).
public enum LauncherSignals {
  nonisolated(unsafe) static var pipeFDs: [Int32] = [-1, -1]
  nonisolated(unsafe) static var writeFD: Int32 = -1

  static var readFD: Int32 { pipeFDs[0] }

  /// Installs the handlers (once).
  public static func install() {
    guard pipeFDs[0] < 0 else { return }
    var fds: [Int32] = [-1, -1]
    guard gust_pipe_cloexec(&fds, O_NONBLOCK) == 0 else { return }
    pipeFDs = fds
    writeFD = fds[1]
    for s in [SIGINT, SIGTERM, SIGHUP] {
      signal(s) { sig in
        var b = UInt8(truncatingIfNeeded: sig)
        _ = write(LauncherSignals.writeFD, &b, 1)
      }
    }
    signal(SIGPIPE, SIG_IGN)
  }

  /// The first signal received since the last call, if any.
  static func take() -> Int32? {
    guard pipeFDs[0] >= 0 else { return nil }
    var b: UInt8 = 0
    var got: Int32?
    while read(pipeFDs[0], &b, 1) == 1 { if got == nil { got = Int32(b) } }
    return got
  }
}

func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
