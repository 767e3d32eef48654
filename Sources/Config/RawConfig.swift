/// A key's value and where it came from: a YAML path (`gsf.hyperparam.lr`) or a CLI flag.
struct Entry: Equatable, Sendable {
  var node: YNode
  var path: String
}

/// One `multi_task_learning` entry before typing.
struct RawTask: Equatable, Sendable {
  var name: TaskKind.Name
  /// `gsf.multi_task_learning[i].<kind>`
  var path: String
  var entries: [String: Entry]
  var line: Int?
}

/// The document with grouping sections flattened and every key checked against the catalog:
/// unknown keys are errors with the closest name, keys Gust ignores are warnings.
struct RawConfig: Equatable, Sendable {
  var version: String?
  var globals: [String: Entry] = [:]
  var tasks: [RawTask] = []
  var warnings: [ConfigWarning] = []

  init(root: YNode, file: String) throws {
    guard case .mapping(let top, _) = root else {
      throw ConfigError(.wrongType, path: file, "the config must be a mapping with a gsf: section")
    }
    var gsf: YNode?
    for p in top {
      switch p.key {
      case "version":
        version = p.value.isNull ? nil : try p.value.string("version")
      case "gsf":
        gsf = p.value
      case "multi_task_learning":
        throw ConfigError(
          .invalidValue, path: "multi_task_learning", "multi_task_learning belongs under gsf:",
          line: p.line)
      default:
        if let why = KeyCatalog.ignoredTopLevel[p.key] {
          warnings.append(ConfigWarning(.ignoredKey, path: p.key, "ignored by Gust: \(why)"))
        } else {
          throw ConfigError(
            .unknownKey, path: p.key, "unknown top-level key",
            suggestion: closestName(to: p.key, in: ["version", "gsf", "lm_model", "udf"]),
            line: p.line)
        }
      }
    }
    guard let gsf else { throw ConfigError(.missingKey, path: "gsf", "the config has no gsf: section") }
    guard case .mapping(let sections, _) = gsf else { throw gsf.typeError("gsf", "a mapping") }
    var sawTasks = false
    for s in sections {
      let path = "gsf.\(s.key)"
      if s.key == "multi_task_learning" {
        sawTasks = true
        try readTasks(s.value, path: path)
        continue
      }
      if TaskKind.Name(rawValue: s.key) != nil {
        throw ConfigError(
          .invalidValue, path: path,
          "a single-task section: Gust trains multi-task configs; move it into gsf.multi_task_learning as '- \(s.key): {…}'",
          line: s.line)
      }
      guard case .mapping(let keys, _) = s.value else {
        // A key directly under gsf, outside any section.
        try addGlobal(s.key, Entry(node: s.value, path: path), line: s.line)
        continue
      }
      for k in keys {
        try addGlobal(k.key, Entry(node: k.value, path: "\(path).\(k.key)"), line: k.line)
      }
    }
    if !sawTasks {
      throw ConfigError(
        .missingKey, path: "gsf.multi_task_learning",
        "no tasks: add a multi_task_learning list under gsf")
    }
  }

  private mutating func addGlobal(_ key: String, _ entry: Entry, line: Int?) throws {
    try checkGlobalKey(key, entry, line: line)
    if let first = globals[key] {
      throw ConfigError(
        .duplicateKey, path: entry.path,
        "'\(key)' is set twice: in \(first.path) and in \(entry.path); keep one", line: line)
    }
    globals[key] = entry
  }

  /// Unknown → error with the closest key; ignored → warning; a task key GraphStorm knows but
  /// Gust only takes at its default → error when set otherwise.
  mutating func checkGlobalKey(_ key: String, _ entry: Entry, line: Int?) throws {
    guard KeyCatalog.allGlobal.contains(key) else {
      throw ConfigError(
        .unknownKey, path: entry.path, "unknown key '\(key)'",
        suggestion: closestName(to: key, in: KeyCatalog.allGlobal.sorted()), line: line)
    }
    if !KeyCatalog.global.contains(key), let why = KeyCatalog.ignoredGlobal[key] {
      warnings.append(ConfigWarning(.ignoredKey, path: entry.path, "ignored by Gust: \(why)"))
    }
    let honoured = KeyCatalog.taskCommon.contains(key)
      || KeyCatalog.taskKind.values.contains { $0.contains(key) }
    if honoured { return }
    for kind in TaskKind.Name.allCases {
      if let d = KeyCatalog.unsupportedUnlessDefault[kind]?[key] {
        try Self.checkDefaultOnly(key, entry, allowed: d, line: line)
      }
      if let why = KeyCatalog.ignoredTaskKind[kind]?[key] {
        warnings.append(ConfigWarning(.ignoredKey, path: entry.path, "ignored by Gust: \(why)"))
        break
      }
    }
  }

  static func checkDefaultOnly(_ key: String, _ entry: Entry, allowed: String?, line: Int?) throws {
    if entry.node.isNull { return }
    if let allowed, case .scalar(let s, _, _) = entry.node, s.lowercased() == allowed { return }
    throw ConfigError(
      .unsupported, path: entry.path,
      "'\(key)' is not supported by Gust"
        + (allowed.map { " (only its default, \($0))" } ?? "; remove it"),
      line: line ?? entry.node.line)
  }

  private mutating func readTasks(_ node: YNode, path: String) throws {
    guard case .sequence(let items, _) = node else {
      throw node.typeError(path, "a list of tasks (- node_classification: {…})")
    }
    guard !items.isEmpty else {
      throw ConfigError(.invalidValue, path: path, "the task list is empty", line: node.line)
    }
    for (i, item) in items.enumerated() {
      let ip = "\(path)[\(i)]"
      guard case .mapping(let pairs, _) = item, pairs.count == 1 else {
        throw ConfigError(
          .wrongType, path: ip,
          "each task is a mapping with exactly one key, the task kind (\(TaskKind.Name.allCases.map(\.rawValue).joined(separator: ", ")))",
          line: item.line)
      }
      let p = pairs[0]
      guard let name = TaskKind.Name(rawValue: p.key) else {
        throw ConfigError(
          .unknownKey, path: "\(ip).\(p.key)", "unknown task kind '\(p.key)'",
          suggestion: closestName(to: p.key, in: TaskKind.Name.allCases.map(\.rawValue)),
          line: p.line)
      }
      let tp = "\(ip).\(p.key)"
      var task = RawTask(name: name, path: tp, entries: [:], line: p.line)
      switch p.value {
      case .mapping(let keys, _):
        for k in keys {
          let e = Entry(node: k.value, path: "\(tp).\(k.key)")
          try checkTaskKey(k.key, e, kind: name, line: k.line)
          task.entries[k.key] = e
        }
      case _ where p.value.isNull:
        break
      default:
        throw p.value.typeError(tp, "a mapping of task keys")
      }
      tasks.append(task)
    }
  }

  mutating func checkTaskKey(_ key: String, _ entry: Entry, kind: TaskKind.Name, line: Int?) throws {
    let known = KeyCatalog.taskKeys(kind)
    guard known.contains(key) else {
      if KeyCatalog.global.contains(key) || KeyCatalog.ignoredGlobal[key] != nil {
        throw ConfigError(
          .unknownKey, path: entry.path,
          "'\(key)' is a global key, not a task key: move it to a gsf section (e.g. gsf.hyperparam)",
          line: line)
      }
      let elsewhere = TaskKind.Name.allCases.filter { KeyCatalog.taskKeys($0).contains(key) }
      let note = elsewhere.isEmpty ? "" : " (it belongs to \(elsewhere.map(\.rawValue).joined(separator: ", ")))"
      throw ConfigError(
        .unknownKey, path: entry.path, "unknown key '\(key)' for \(kind.rawValue)\(note)",
        suggestion: closestName(to: key, in: known.sorted()), line: line)
    }
    if let d = KeyCatalog.unsupportedUnlessDefault[kind]?[key] {
      try Self.checkDefaultOnly(key, entry, allowed: d, line: line)
    }
    if let why = KeyCatalog.ignoredTaskCommon[key] ?? KeyCatalog.ignoredTaskKind[kind]?[key] {
      warnings.append(ConfigWarning(.ignoredKey, path: entry.path, "ignored by Gust: \(why)"))
    }
  }
}
