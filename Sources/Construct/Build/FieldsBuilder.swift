import Graph

/// Gathers the features and labels of one node or edge type over all its files (and entries),
/// then applies transforms, checks values and draws the masks: the type's `[Field]`.
final class FieldsBuilder {
  let typeLabel: String
  private(set) var rows = 0

  final class Feature {
    let spec: FeatureSpec
    var keyPaths: [String]
    var numeric: [Float] = []
    var width: Int?
    var text: [String?] = []
    var numericKeys = true
    var rows = 0
    init(_ spec: FeatureSpec) { self.spec = spec; keyPaths = [spec.keyPath] }
    var isText: Bool { if case .toCategorical = spec.transform { return true }; return false }
  }

  final class Label {
    let spec: LabelSpec
    var keyPaths: [String]
    var ints: [Int64] = []
    var floats: [Float] = []
    var valid: [Bool] = []
    var rows = 0
    init(_ spec: LabelSpec) { self.spec = spec; keyPaths = [spec.keyPath] }
  }

  private(set) var features: [Feature] = []
  private(set) var labels: [Label] = []

  init(typeLabel: String) { self.typeLabel = typeLabel }

  /// Registers an entry's features and labels (once per entry, before its files).
  func register(features specs: [FeatureSpec], labels lspecs: [LabelSpec]) throws {
    for s in specs {
      if let f = features.first(where: { $0.spec.name == s.name }) {
        guard f.spec.columns == s.columns, f.spec.transform == s.transform else {
          throw ConstructError.config(s.keyPath, "feature '\(s.name)' of \(typeLabel) is also defined differently at \(f.keyPaths[0])")
        }
        f.keyPaths.append(s.keyPath)
      } else {
        features.append(Feature(s))
      }
    }
    for s in lspecs {
      if let l = labels.first(where: { $0.spec.labelCol == s.labelCol && $0.spec.taskType == s.taskType && $0.spec.maskNames == s.maskNames }) {
        l.keyPaths.append(s.keyPath)
        continue
      }
      for l in labels {
        if let shared = l.spec.maskNames.first(where: { s.maskNames.contains($0) }) {
          throw ConstructError.config(s.keyPath + ".mask_field_names",
            "mask name '\(shared)' of \(typeLabel) is also used by the label at \(l.keyPaths[0]); give each label its own mask_field_names")
        }
      }
      labels.append(Label(s))
    }
    // Stored names must not collide: features, label columns and masks share one namespace.
    var owner: [String: String] = [:]
    for f in features { owner[f.spec.name] = f.keyPaths[0] }
    for l in labels {
      var names = l.spec.maskNames
      if l.spec.taskType.hasLabel, let c = l.spec.labelCol { names.append(c) }
      for n in names {
        if let o = owner[n], o != l.keyPaths[0] {
          throw ConstructError.config(l.keyPaths[0], "'\(n)' of \(typeLabel) is stored twice (also by \(o))")
        }
        owner[n] = l.keyPaths[0]
      }
    }
  }

  /// Appends the rows of one file (only rows where `keep` is true) for the given entry specs.
  func append(_ table: TableSource, keep: [Bool]?, features specs: [FeatureSpec], labels lspecs: [LabelSpec],
              validate: Bool) throws {
    let n = keep.map { $0.lazy.filter { $0 }.count } ?? table.rowCount
    for s in specs {
      let f = features.first { $0.spec.name == s.name }!
      guard f.rows == rows else { throw partial(f.spec.name, f.keyPaths[0]) }
      var parts: [([Float], Int)] = []
      for c in s.columns {
        let col = try table.read(c).filtered(keep)
        if f.isText {
          switch col.values {
          case .string(let a): f.text += a.enumerated().map { col.isValid($0) ? $1 : nil }; f.numericKeys = false
          case .int64(let a): f.text += a.enumerated().map { col.isValid($0) ? String($1) : nil }
          case .double(let a): f.text += a.enumerated().map { col.isValid($0) && !$1.isNaN ? String($1) : nil }; f.numericKeys = false
          case .vectors:
            throw ConstructError.data(table.path, "column '\(c)' holds vectors; to_categorical needs a scalar column")
          }
        } else {
          parts.append(try numeric(col, file: table.path, keep: keep, validate: validate))
        }
      }
      if !f.isText {
        let width = parts.reduce(0) { $0 + $1.1 }
        if let w = f.width, w != width {
          throw ConstructError.data(table.path, "feature '\(s.name)' has \(width) values per row here but \(w) in earlier files (vectors of different lengths)")
        }
        f.width = width
        f.numeric.reserveCapacity(f.numeric.count + n * width)
        for r in 0..<n { for (x, w) in parts { f.numeric.append(contentsOf: x[(r * w)..<((r + 1) * w)]) } }
      }
      f.rows += n
    }
    for s in lspecs {
      let l = labels.first { $0.spec.labelCol == s.labelCol && $0.spec.taskType == s.taskType && $0.spec.maskNames == s.maskNames }!
      guard l.rows == rows else { throw partial(s.labelCol ?? s.taskType.rawValue, l.keyPaths[0]) }
      if s.taskType.hasLabel, let c = s.labelCol {
        let col = try table.read(c).filtered(keep)
        try appendLabel(l, col, file: table.path, keep: keep)
      } else {
        l.valid += repeatElement(true, count: n)
      }
      l.rows += n
    }
    rows += n
  }

  private func partial(_ name: String, _ key: String) -> ConstructError {
    .config(key, "'\(name)' of \(typeLabel) is given for some of its files or entries but not all (every row needs it)")
  }

  /// Original 1-based row of filtered row `r`.
  private func originalRow(_ r: Int, _ keep: [Bool]?) -> Int {
    guard let keep else { return r + 1 }
    var seen = -1
    for (i, k) in keep.enumerated() where k { seen += 1; if seen == r { return i + 1 } }
    return r + 1
  }

  private func numeric(_ col: Column, file: String, keep: [Bool]?, validate: Bool) throws -> ([Float], Int) {
    var out: [Float]
    var w = 1
    switch col.values {
    case .int64(let a): out = a.map { Float($0) }
    case .double(let a): out = a.map { Float($0) }
    case .vectors(let a, let width): out = a; w = width
    case .string(let a):
      let r = a.indices.first { col.isValid($0) && Double(a[$0]) == nil } ?? 0
      throw ConstructError.data(file, row: originalRow(r, keep), "feature column '\(col.name)' is not numeric ('\(a[r])')")
    }
    if let v = col.validity {
      for r in 0..<col.count where !v[r] {
        if validate {
          throw ConstructError.data(file, row: originalRow(r, keep), "feature column '\(col.name)' is null (use --no-feature-validate to keep it as NaN)")
        }
        for d in 0..<w { out[r * w + d] = .nan }
      }
    }
    if validate, let i = out.firstIndex(where: { !$0.isFinite }) {
      throw ConstructError.data(file, row: originalRow(i / w, keep),
        "feature column '\(col.name)' holds \(out[i].isNaN ? "NaN" : "Inf") (use --no-feature-validate to keep it)")
    }
    return (out, w)
  }

  private func appendLabel(_ l: Label, _ col: Column, file: String, keep: [Bool]?) throws {
    let name = col.name
    switch (l.spec.taskType, col.values) {
    case (.classification, .int64(let a)):
      for (r, v) in a.enumerated() {
        let ok = col.isValid(r)
        if ok && v < 0 { throw ConstructError.data(file, row: originalRow(r, keep), "classification label '\(name)' is \(v); classes are 0, 1, 2, …") }
        l.ints.append(ok ? v : -1)
        l.valid.append(ok)
      }
    case (.classification, .double(let a)):
      for (r, v) in a.enumerated() {
        let ok = col.isValid(r) && !v.isNaN
        if ok && (v != v.rounded() || v < 0 || v > 1e15) {
          throw ConstructError.data(file, row: originalRow(r, keep), "classification label '\(name)' is \(v), not a class id (0, 1, 2, …)")
        }
        l.ints.append(ok ? Int64(v) : -1)
        l.valid.append(ok)
      }
    case (.regression, .int64(let a)):
      for (r, v) in a.enumerated() { let ok = col.isValid(r); l.floats.append(ok ? Float(v) : .nan); l.valid.append(ok) }
    case (.regression, .double(let a)):
      for (r, v) in a.enumerated() { let ok = col.isValid(r) && !v.isNaN; l.floats.append(ok ? Float(v) : .nan); l.valid.append(ok) }
    case (_, .string(let a)):
      let r = a.indices.first { col.isValid($0) } ?? 0
      throw ConstructError.data(file, row: originalRow(r, keep), "label column '\(name)' is not numeric ('\(a[r])')")
    default:
      throw ConstructError.data(file, "label column '\(name)' holds \(col.values.typeName) values; \(l.spec.taskType.rawValue) needs one number per row")
    }
  }
}

extension Column {
  /// The rows where `keep` is true (all when nil).
  func filtered(_ keep: [Bool]?) -> Column {
    guard let keep else { return self }
    func f<T>(_ a: [T], _ w: Int = 1) -> [T] {
      var out = [T]()
      out.reserveCapacity(a.count)
      for (r, k) in keep.enumerated() where k { out.append(contentsOf: a[(r * w)..<((r + 1) * w)]) }
      return out
    }
    let v: ColumnValues
    switch values {
    case .int64(let a): v = .int64(f(a))
    case .double(let a): v = .double(f(a))
    case .string(let a): v = .string(f(a))
    case .vectors(let a, let w): v = .vectors(f(a, w), width: w)
    }
    return Column(name: name, values: v, validity: validity.map { f($0) })
  }
}
