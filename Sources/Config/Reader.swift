/// Typed reads of one scope: the global keys, or a task block backed by the global keys
/// (**Gust:** a task inherits a global key its block does not set). Every error names the
/// path the value came from; an inherited value's error also names the task.
struct Reader {
  var globals: [String: Entry]
  var task: RawTask?
  var warnings: [ConfigWarning] = []

  init(globals: [String: Entry], task: RawTask? = nil) {
    self.globals = globals
    self.task = task
  }

  /// The entry for `key` and whether it came from the global scope. An explicit `null` in a
  /// task block means "GraphStorm's default", not "inherit".
  func entry(_ key: String) -> (Entry, inherited: Bool)? {
    if let task {
      if let e = task.entries[key] { return e.node.isNull ? nil : (e, false) }
      if let g = globals[key], !g.node.isNull { return (g, true) }
      return nil
    }
    if let g = globals[key], !g.node.isNull { return (g, false) }
    return nil
  }

  /// Where a key of this scope lives, for "missing key" messages.
  func pathFor(_ key: String) -> String {
    if let task { return "\(task.path).\(key)" }
    return "gsf.\(key)"
  }

  /// Reads `key` with `read`, or nil when it is absent. Errors of inherited values say which
  /// task inherited them.
  func get<T>(_ key: String, _ read: (YNode, String) throws -> T) throws -> (T, Entry, inherited: Bool)? {
    guard let (e, inherited) = entry(key) else { return nil }
    do {
      return (try read(e.node, e.path), e, inherited)
    } catch var err as ConfigError {
      if inherited, let task { err.message += " (inherited by \(task.path))" }
      throw err
    }
  }

  /// `key`'s value, or `defaultValue`. When a task inherits a global value that differs from
  /// GraphStorm's built-in default, a warning says so (GraphStorm would not inherit it).
  mutating func value<T: Equatable>(
    _ key: String, default defaultValue: T, warnInherit: Bool = true,
    _ read: (YNode, String) throws -> T
  ) throws -> T {
    guard let (v, e, inherited) = try get(key, read) else { return defaultValue }
    if inherited, warnInherit, v != defaultValue, let task {
      warnings.append(
        ConfigWarning(
          .inheritedGlobal, path: "\(task.path).\(key)",
          "takes \(key) = \(v) from \(e.path) (Gust inherits global keys; GraphStorm would use \(defaultValue))"
        ))
    }
    return v
  }

  func required<T>(_ key: String, _ what: String, _ read: (YNode, String) throws -> T) throws -> T {
    guard let (v, _, _) = try get(key, read) else {
      throw ConfigError(
        .missingKey, path: pathFor(key), "required key '\(key)' is missing (\(what))",
        line: task?.line)
    }
    return v
  }

  /// Checks `ok(v)` or throws `invalidValue` at the entry's path.
  func check<T>(_ key: String, _ v: T, _ ok: Bool, _ why: String) throws {
    if ok { return }
    let e = entry(key)
    var msg = "\(v) is not allowed: \(why)"
    if let e, e.inherited, let task { msg += " (inherited by \(task.path))" }
    throw ConfigError(.invalidValue, path: e?.0.path ?? pathFor(key), msg, line: e?.0.node.line)
  }
}

// MARK: - Value readers

enum Read {
  static func int(_ n: YNode, _ p: String) throws -> Int { try n.int(p) }
  static func double(_ n: YNode, _ p: String) throws -> Double { try n.double(p) }
  static func bool(_ n: YNode, _ p: String) throws -> Bool { try n.bool(p) }
  static func string(_ n: YNode, _ p: String) throws -> String { try n.string(p) }

  /// A string-valued enum; GraphStorm's names. `unsupported` are names GraphStorm accepts and
  /// Gust does not implement.
  static func choice<E: RawRepresentable & CaseIterable>(
    _ type: E.Type, lowercased: Bool = false, unsupported: Set<String> = [],
    supported: ((E) -> Bool)? = nil
  ) -> (YNode, String) throws -> E where E.RawValue == String {
    return { n, p in
      var s = try n.string(p)
      if lowercased { s = s.lowercased() }
      let names = E.allCases.filter { supported?($0) ?? true }.map(\.rawValue)
      if let v = E(rawValue: s), supported?(v) ?? true { return v }
      if unsupported.contains(s) || E(rawValue: s) != nil {
        throw ConfigError(
          .unsupported, path: p,
          "'\(s)' is not supported by Gust (supported: \(names.joined(separator: ", ")))",
          line: n.line)
      }
      throw ConfigError(
        .invalidValue, path: p, "'\(s)' is not one of \(names.joined(separator: ", "))",
        suggestion: closestName(to: s, in: names), line: n.line)
    }
  }
}
