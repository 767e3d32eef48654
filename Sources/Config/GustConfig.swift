import Foundation

/// A training YAML, typed and checked: the global keys, the tasks in YAML order, and the
/// warnings collected on the way (the caller prints them).
///
///     let config = try GustConfig.load(path: "train.yaml", overrides: try .parse(["--lr", "0.01"]))
///     for task in config.tasks { switch task.kind { case .linkPrediction(let lp): … } }
public struct GustConfig: Equatable, Sendable {
  /// `version` (not validated, as in GraphStorm).
  public var version: String?
  public var training: TrainingConfig
  /// The tasks of `gsf.multi_task_learning`, in order; ids are unique.
  public var tasks: [TaskConfig]
  public var warnings: [ConfigWarning]

  public func task(id: String) -> TaskConfig? { tasks.first { $0.id == id } }

  /// The task whose major metric selects models and drives early stopping:
  /// `model_select_task`, else the first task.
  public var modelSelectionTask: TaskConfig {
    training.modelSelectTask.flatMap { task(id: $0) } ?? tasks[0]
  }

  /// Reads and parses the file at `path`.
  public static func load(
    path: String, overrides: ConfigOverrides = ConfigOverrides(), mode: ConfigMode = .train
  ) throws -> GustConfig {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw ConfigError(.io, path: path, "cannot read the config file: \(error.localizedDescription)")
    }
    return try parse(yaml: text, file: path, overrides: overrides, mode: mode)
  }

  /// Parses YAML text; `file` names it in syntax errors.
  public static func parse(
    yaml: String, file: String = "<config>", overrides: ConfigOverrides = ConfigOverrides(),
    mode: ConfigMode = .train
  ) throws -> GustConfig {
    var raw = try RawConfig(root: try YNode.parse(yaml: yaml, file: file), file: file)
    try overrides.applyGlobal(to: &raw)
    // Task overrides address tasks by their id before the override.
    let ids = raw.tasks.map { TaskID.make(raw: $0, globals: raw.globals) }
    try overrides.applyTask(to: &raw, ids: ids)
    return try build(raw, mode: mode)
  }

  static func build(_ raw: RawConfig, mode: ConfigMode) throws -> GustConfig {
    var r = Reader(globals: raw.globals)
    let training = try TrainingConfig.read(&r, mode: mode)
    var warnings = raw.warnings + r.warnings
    var tasks: [TaskConfig] = []
    var seen: [String: String] = [:]
    for (i, rt) in raw.tasks.enumerated() {
      var tr = Reader(globals: raw.globals, task: rt)
      let t = try TaskConfig.read(&tr, index: i, global: training)
      warnings += tr.warnings
      if let other = seen[t.id] {
        throw ConfigError(
          .duplicateTaskID, path: rt.path,
          "task id '\(t.id)' is already used by \(other): two tasks on the same target need different labels or features",
          taskID: t.id, line: rt.line)
      }
      seen[t.id] = rt.path
      tasks.append(t)
    }
    if let sel = training.modelSelectTask, seen[sel] == nil {
      let e = raw.globals["model_select_task"]
      throw ConfigError(
        .invalidValue, path: e?.path ?? "gsf.model_select_task",
        "no task has the id '\(sel)' (task ids: \(tasks.map(\.id).joined(separator: ", ")))",
        suggestion: closestName(to: sel, in: tasks.map(\.id)), line: e?.node.line)
    }
    return GustConfig(version: raw.version, training: training, tasks: tasks, warnings: warnings)
  }
}
