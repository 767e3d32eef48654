/// What `gust construct` was asked to do (SPEC §1).
public struct ConstructOptions: Sendable {
  public var confFile: String
  public var outputDir: String
  public var graphName: String
  public var numParts = 1
  public var partMethod = PartMethod.metis
  public var addReverseEdges = false
  public var skipNonexistEdges = false
  /// Accepted for GraphStorm compatibility: Gust always maps ids and always writes the map.
  public var remapNodeId = false
  public var validateFeatures = true
  public var seed: UInt64 = 0
  /// Opens input tables (CSV built in; Parquet through the Parquet adapter).
  public var tableOpener: TableOpener = TableSources.standard

  public init(confFile: String, outputDir: String, graphName: String) {
    self.confFile = confFile
    self.outputDir = outputDir
    self.graphName = graphName
  }

  public static let usage = """
    usage: gust construct --conf-file F --output-dir D --graph-name N [--num-parts K]
                          [--part-method metis|random] [--add-reverse-edges] [--skip-nonexist-edges]
                          [--remap-node-id] [--no-feature-validate] [--seed S]
    """

  /// Parses the flags after `construct`. `--flag value` and `--flag=value` both work; unknown
  /// flags, missing values and bad numbers are errors naming the flag.
  public static func parse(_ args: [String]) throws -> ConstructOptions {
    var values: [String: String] = [:]
    var switches: Set<String> = []
    let valued: Set = ["--conf-file", "--output-dir", "--graph-name", "--num-parts", "--part-method", "--seed",
                       "--output-conf-file", "--num-processes", "--output-format"]
    let flags: Set = ["--add-reverse-edges", "--skip-nonexist-edges", "--remap-node-id", "--no-feature-validate"]
    var i = 0
    while i < args.count {
      var a = args[i]
      var inline: String?
      if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
        inline = String(a[a.index(after: eq)...])
        a = String(a[..<eq])
      }
      let name = a.replacingOccurrences(of: "_", with: "-")
      if valued.contains(name) {
        if let inline {
          values[name] = inline
        } else {
          guard i + 1 < args.count else { throw ConstructError(.badFlag, "needs a value", key: name) }
          values[name] = args[i + 1]
          i += 1
        }
      } else if flags.contains(name) {
        guard inline == nil else { throw ConstructError(.badFlag, "takes no value", key: name) }
        switches.insert(name)
      } else {
        throw ConstructError(.badFlag, "unknown option (known: \((valued.union(flags)).sorted().joined(separator: ", ")))", key: a)
      }
      i += 1
    }
    func required(_ k: String) throws -> String {
      guard let v = values[k], !v.isEmpty else { throw ConstructError(.badFlag, "is required", key: k) }
      return v
    }
    var o = ConstructOptions(confFile: try required("--conf-file"), outputDir: try required("--output-dir"),
                             graphName: try required("--graph-name"))
    if let v = values["--num-parts"] {
      guard let k = Int(v), k >= 1 else { throw ConstructError(.badFlag, "'\(v)' is not a positive integer", key: "--num-parts") }
      o.numParts = k
    }
    if let v = values["--part-method"] {
      guard let m = PartMethod(rawValue: v) else { throw ConstructError(.badFlag, "'\(v)' is not metis or random", key: "--part-method") }
      o.partMethod = m
    }
    if let v = values["--seed"] {
      guard let s = UInt64(v) else { throw ConstructError(.badFlag, "'\(v)' is not a non-negative integer", key: "--seed") }
      o.seed = s
    }
    if let v = values["--output-format"], v != "DistDGL" {
      throw ConstructError(.badFlag, "'\(v)': Gust writes its own partition format only (DistDGL-style)", key: "--output-format")
    }
    if values["--output-conf-file"] != nil {
      throw ConstructError(.badFlag, "not supported: the learned config is always <output-dir>/data_transform_new.json", key: "--output-conf-file")
    }
    o.addReverseEdges = switches.contains("--add-reverse-edges")
    o.skipNonexistEdges = switches.contains("--skip-nonexist-edges")
    o.remapNodeId = switches.contains("--remap-node-id")
    o.validateFeatures = !switches.contains("--no-feature-validate")
    try o.check()
    return o
  }

  /// Checks the values that need no input files.
  public func check() throws {
    guard !graphName.isEmpty, graphName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
      throw ConstructError(.badFlag, "'\(graphName)' must be letters, digits, '_' and '-' only", key: "--graph-name")
    }
    guard numParts >= 1 else { throw ConstructError(.badFlag, "must be at least 1", key: "--num-parts") }
  }
}
