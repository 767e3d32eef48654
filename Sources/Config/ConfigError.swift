/// A configuration the user must fix: it names where (the YAML path such as
/// `gsf.multi_task_learning[2].link_prediction.num_negative_edges`, or the CLI flag), what is
/// wrong, and what to do (the closest valid name for a misspelt key, the allowed values, …).
/// The launcher prints `description` and exits 2.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Code: String, Sendable {
    /// The file cannot be read or is not YAML.
    case io, yamlSyntax
    /// A key nobody knows (`suggestion` holds the closest valid name).
    case unknownKey
    /// The same key twice: in one mapping, or in two grouping sections under `gsf`.
    case duplicateKey
    /// A required key is absent.
    case missingKey
    /// The value has the wrong YAML type (a list where a number belongs, …).
    case wrongType
    /// The value has the right type but is impossible (`task_weight: 0`, `num_classes: 1`, …).
    case invalidValue
    /// GraphStorm accepts it, Gust does not implement it (`lp_decoder_type: rotate`, …).
    case unsupported
    /// Two tasks with the same task id.
    case duplicateTaskID
    /// The config names a node type, edge type or field that the graph does not have, or
    /// labels exceed `num_classes`.
    case graphMismatch
    /// A command-line override that cannot be applied (unknown flag, no such task id, …).
    case badOverride
  }

  public var code: Code
  /// Where: a YAML path (`gsf.hyperparam.lr`), a CLI flag (`--lr`), or the file for I/O errors.
  public var path: String
  public var message: String
  /// The closest valid name, for unknown keys, node types, fields and task ids.
  public var suggestion: String?
  /// The task the error concerns, when there is one.
  public var taskID: String?
  /// 1-based line in the YAML file, when known.
  public var line: Int?

  public init(
    _ code: Code, path: String, _ message: String, suggestion: String? = nil,
    taskID: String? = nil, line: Int? = nil
  ) {
    self.code = code
    self.path = path
    self.message = message
    self.suggestion = suggestion
    self.taskID = taskID
    self.line = line
  }

  public var description: String {
    var s = path
    if let line { s += " (line \(line))" }
    if let taskID { s += " [task \(taskID)]" }
    s += ": " + message
    if let suggestion { s += " (did you mean '\(suggestion)'?)" }
    return s
  }
}

/// Something the user may want to know but that does not stop the run: a key GraphStorm knows
/// that Gust ignores, a GraphStorm default assumed, a value inherited from a global key where
/// GraphStorm would have used its built-in default. Collected, never printed by the library.
public struct ConfigWarning: CustomStringConvertible, Equatable, Sendable {
  public enum Code: String, Sendable {
    /// GraphStorm knows the key; Gust does not use it (yet).
    case ignoredKey
    /// A default GraphStorm also warns about (`target_ntype` defaulting to `_N`, …).
    case defaultAssumed
    /// A task took a global value where GraphStorm would have used its built-in default.
    case inheritedGlobal
    /// Extra entries GraphStorm also ignores (more than one `target_etype`, …).
    case extraValues
  }

  public var code: Code
  public var path: String
  public var message: String

  public init(_ code: Code, path: String, _ message: String) {
    self.code = code
    self.path = path
    self.message = message
  }

  public var description: String { "\(path): \(message)" }
}

/// The name in `candidates` closest to `name` by edit distance (ties: the first), or nil when
/// there are no candidates.
func closestName<S: Sequence>(to name: String, in candidates: S) -> String?
where S.Element == String {
  var best: (String, Int)?
  for c in candidates {
    let d = editDistance(name, c)
    if best == nil || d < best!.1 { best = (c, d) }
  }
  return best?.0
}

/// Levenshtein distance over Unicode scalars.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a.unicodeScalars)
  let b = Array(b.unicodeScalars)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var prev = Array(0...b.count)
  var cur = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    cur[0] = i
    for j in 1...b.count {
      let cost = a[i - 1] == b[j - 1] ? 0 : 1
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    }
    swap(&prev, &cur)
  }
  return prev[b.count]
}
