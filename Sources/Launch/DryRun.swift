#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Config

/// `gust train --dry-run` / `gust infer --dry-run`: the config checked against the graph, the
/// tasks, then `gust-trainer --dry-run --local` for the training plan (batches per epoch per
/// task) when that trainer supports it, and the processes and hosts the job would start.
/// Starts no server or trainer of the job.
public enum DryRun {
  public static func run(_ job: ValidatedJob, env: LaunchEnvironment) -> Int32 {
    let plan = job.plan, o = plan.options
    let cmd = "gust \(o.mode.rawValue) --dry-run"
    env.print("\(cmd): \(o.configFile) fits \(job.graph.graphName) (\(job.graph.numParts) partition(s), "
      + "\(job.graph.numNodes) nodes, \(job.graph.numEdges) edges; \(o.partConfig))")
    for w in job.config.warnings { env.print("\(cmd): warning: \(w)") }
    var code: Int32 = 0
    let trainer = env.binDir + "/gust-trainer"
    if access(trainer, X_OK) == 0 && trainerSupportsDryRun(trainer, env: env) {
      var args = plan.trainers[0].arguments
      if let i = args.firstIndex(of: "--servers-file") { args.removeSubrange(i...(i + 1)) }
      if let i = args.firstIndex(of: "--secret-file") { args.removeSubrange(i...(i + 1)) }
      args.removeAll { $0 == "--local" }
      args = ["--dry-run", "--local"] + args
      let (status, _) = capture(trainer, args, name: "trainer dry-run", echo: true, env: env)
      if !status.succeeded {
        env.printError("\(cmd): gust-trainer --dry-run \(status)")
        code = status == .exited(2) ? 2 : 1
      }
    } else {
      env.print("tasks (\(job.config.tasks.count)):")
      for t in job.config.tasks { env.print("  \(t.id)") }
      env.print("plan: batches per epoch per task come from `gust-trainer --dry-run`, which is not in this build")
    }
    for l in plan.describeProcesses() { env.print(l) }
    env.print("\(cmd): nothing started")
    return code
  }

  /// Whether `gust-trainer --help` mentions `--dry-run`.
  static func trainerSupportsDryRun(_ trainer: String, env: LaunchEnvironment) -> Bool {
    let (_, lines) = capture(trainer, ["--help"], name: "trainer help", echo: false, env: env)
    return lines.contains { $0.contains("--dry-run") }
  }

  /// Runs a short helper process to its end; its status and output lines.
  static func capture(_ exe: String, _ args: [String], name: String, echo: Bool, env: LaunchEnvironment) -> (ExitStatus, [String]) {
    let spec = ProcessSpec(role: .trainer, partition: 0, serverID: -1, rank: 0, host: "127.0.0.1", executable: exe,
                           arguments: args, logPath: "", portFile: nil)
    let sup = Supervisor(shim: env.shim, tailLines: 10_000, console: { env.print($0.replacingPrefix("[trainer 0]", with: "[\(name)]")) })
    guard let c = try? sup.start(spec, echo: echo) else { return (.exited(127), []) }
    while c.isRunning || c.outputFD >= 0 {
      if let sig = sup.step(timeout: 0.1) {
        sup.stopAll(grace: 2)
        return (.signaled(sig), c.tail)
      }
    }
    return (c.status!, c.tail)
  }
}

extension String {
  func replacingPrefix(_ p: String, with q: String) -> String { hasPrefix(p) ? q + dropFirst(p.count) : self }
}
