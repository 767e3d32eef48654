import Foundation
import Yams

/// Command-line overrides: global keys in kebab case (`--num-epochs 3`, `--lr=0.01`,
/// `--node-feat-name paper:feat author:feat`) and task keys addressed by task id
/// (`--task link_prediction-paper_citing_paper.num_negative_edges=8`). Values are typed and
/// checked exactly like YAML values; errors name the flag. `none`/`null` unsets a key; a value
/// starting with `[` is a YAML list (`--task ID.mask_fields=[tm, null, null]`).
public struct ConfigOverrides: Equatable, Sendable {
  public struct Global: Equatable, Sendable {
    /// The flag as given, e.g. `--num-epochs`.
    public var flag: String
    /// The YAML key, e.g. `num_epochs`.
    public var key: String
    public var values: [String]
  }

  public struct Task: Equatable, Sendable {
    public var taskID: String
    public var key: String
    public var value: String
    /// `--task <id>.<key>` for messages.
    public var flag: String { "--task \(taskID).\(key)" }
  }

  public var global: [Global] = []
  public var task: [Task] = []

  public init(global: [Global] = [], task: [Task] = []) {
    self.global = global
    self.task = task
  }

  /// Keys whose value is a list: several arguments may follow the flag.
  static let listKeys: Set<String> = [
    "node_feat_name", "eval_metric", "mask_fields", "train_etype", "eval_etype", "target_etype",
    "reverse_edge_types_map",
  ]
  /// Keys that are booleans: the flag alone means true.
  static let boolKeys: Set<String> = [
    "use_self_loop", "use_node_embeddings", "use_mini_batch_infer", "no_validation",
    "return_proba", "use_early_stop", "multilabel", "remove_target_edge_type",
    "exclude_training_targets", "verbose", "decoder_bias", "keep_integer_ids",
  ]

  /// Parses the configuration flags of a command line (the caller has removed its own flags
  /// such as `--part-config`). Unknown flags are errors with the closest valid flag.
  public static func parse(_ args: [String]) throws -> ConfigOverrides {
    var out = ConfigOverrides()
    var i = 0
    func isFlag(_ s: String) -> Bool { s.hasPrefix("--") }
    while i < args.count {
      let arg = args[i]
      guard isFlag(arg), arg.count > 2 else {
        throw ConfigError(.badOverride, path: arg, "expected a --flag, found '\(arg)'")
      }
      var name = String(arg.dropFirst(2))
      var inline: String?
      if let eq = name.firstIndex(of: "=") {
        inline = String(name[name.index(after: eq)...])
        name = String(name[..<eq])
      }
      i += 1
      if name == "task" {
        let spec: String
        if let inline {
          spec = inline
        } else {
          guard i < args.count else {
            throw ConfigError(.badOverride, path: arg, "--task needs <task id>.<key>=<value>")
          }
          spec = args[i]
          i += 1
        }
        out.task.append(try parseTask(spec))
        continue
      }
      let key = name.replacingOccurrences(of: "-", with: "_")
      guard KeyCatalog.allGlobal.contains(key) else {
        let flags = KeyCatalog.allGlobal.map { "--" + $0.replacingOccurrences(of: "_", with: "-") }
        throw ConfigError(
          .badOverride, path: "--\(name)", "unknown configuration flag",
          suggestion: closestName(to: "--\(name)", in: flags.sorted()))
      }
      var values: [String] = []
      if let inline {
        values = [inline]
      } else if listKeys.contains(key) {
        while i < args.count, !isFlag(args[i]) {
          values.append(args[i])
          i += 1
        }
      } else if i < args.count, !isFlag(args[i]) {
        values = [args[i]]
        i += 1
      }
      if values.isEmpty {
        guard boolKeys.contains(key) else {
          throw ConfigError(.badOverride, path: "--\(name)", "needs a value")
        }
        values = ["true"]
      }
      out.global.append(Global(flag: "--\(name)", key: key, values: values))
    }
    return out
  }

  static func parseTask(_ spec: String) throws -> Task {
    guard let eq = spec.firstIndex(of: "="), let dot = spec[..<eq].lastIndex(of: ".") else {
      throw ConfigError(
        .badOverride, path: "--task \(spec)",
        "write --task <task id>.<key>=<value>, e.g. --task link_prediction-paper_citing_paper.num_negative_edges=8"
      )
    }
    return Task(
      taskID: String(spec[..<dot]), key: String(spec[spec.index(after: dot)..<eq]),
      value: String(spec[spec.index(after: eq)...]))
  }

  /// A flag's text as a YAML value.
  static func node(_ values: [String], flag: String) throws -> YNode {
    if values.count != 1 {
      return .sequence(values.map { .scalar($0, quoted: false, line: nil) }, line: nil)
    }
    let v = values[0]
    if v.hasPrefix("[") {
      guard let n = try? Yams.compose(yaml: v), let y = try? YNode(n, path: flag) else {
        throw ConfigError(.badOverride, path: flag, "'\(v)' is not a YAML list")
      }
      return y
    }
    if v.lowercased() == "none" { return .scalar("null", quoted: false, line: nil) }
    return .scalar(v, quoted: false, line: nil)
  }

  func applyGlobal(to raw: inout RawConfig) throws {
    for g in global {
      let e = Entry(node: try Self.node(g.values, flag: g.flag), path: g.flag)
      try raw.checkGlobalKey(g.key, e, line: nil)
      raw.globals[g.key] = e
    }
  }

  func applyTask(to raw: inout RawConfig, ids: [String?]) throws {
    let known = ids.compactMap { $0 }
    for t in task {
      guard let i = ids.firstIndex(of: t.taskID) else {
        throw ConfigError(
          .badOverride, path: t.flag,
          "no task has the id '\(t.taskID)' (task ids: \(known.joined(separator: ", ")))",
          suggestion: closestName(to: t.taskID, in: known))
      }
      let e = Entry(node: try Self.node([t.value], flag: t.flag), path: t.flag)
      let kind = raw.tasks[i].name
      do {
        try raw.checkTaskKey(t.key, e, kind: kind, line: nil)
      } catch var err as ConfigError {
        err.code = .badOverride
        throw err
      }
      raw.tasks[i].entries[t.key] = e
    }
  }
}
