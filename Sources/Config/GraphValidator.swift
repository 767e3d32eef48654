struct GraphValidator {
  let graph: GraphSchema
  let mode: ConfigMode
  var errors: [ConfigError] = []

  init(graph: GraphSchema, mode: ConfigMode) {
    self.graph = graph
    self.mode = mode
  }

  private var ntypeNames: [String] { graph.nodeTypes.keys.sorted() }
  private var etypeNames: [String] { graph.edgeTypes.keys.sorted().map(\.description) }

  private mutating func fail(_ path: String, _ msg: String, _ task: TaskConfig?, suggest: String? = nil) {
    errors.append(ConfigError(.graphMismatch, path: path, msg, suggestion: suggest, taskID: task?.id))
  }

  mutating func checkGlobal(_ c: TrainingConfig) {
    switch c.nodeFeatureNames {
    case .sameForAll(let names)?:
      for n in names where !graph.nodeTypes.values.contains(where: { $0.fields.contains(n) }) {
        fail("gsf.node_feat_name", "no node type has the feature '\(n)'", nil)
      }
    case .perType(let groups)?:
      for g in groups {
        guard let nt = graph.nodeTypes[g.nodeType] else {
          fail(
            "gsf.node_feat_name", "node type '\(g.nodeType)' is not in the graph (node types: \(ntypeNames.joined(separator: ", ")))",
            nil, suggest: closestName(to: g.nodeType, in: ntypeNames))
          continue
        }
        for f in g.fields where !nt.fields.contains(f) {
          fail(
            "gsf.node_feat_name", "node type '\(g.nodeType)' has no field '\(f)'", nil,
            suggest: closestName(to: f, in: nt.fields.sorted()))
        }
      }
    case nil: break
    }
    for (key, fanout) in [("fanout", c.fanout), ("eval_fanout", c.evalFanout)] {
      for et in fanout.edgeTypes where graph.edgeTypes[et] == nil {
        fail(
          "gsf.\(key)", "edge type \(et) is not in the graph", nil,
          suggest: closestName(to: et.description, in: etypeNames))
      }
    }
  }

  mutating func check(_ t: TaskConfig) {
    let p = t.yamlPath
    switch t.kind {
    case .nodeClassification(let k):
      if let nt = nodeType(k.targetNodeType, t) {
        if field(k.labelField, in: nt.fields, "node type '\(nt.name)'", "\(p).label_field", t),
          !k.multilabel, let m = nt.maxLabel[k.labelField]
        {
          numClasses(k.numClasses, maxLabel: m, t)
        }
        masks(t, fields: nt.fields, owner: "node type '\(nt.name)'")
      }
    case .nodeRegression(let k):
      if let nt = nodeType(k.targetNodeType, t) {
        _ = field(k.labelField, in: nt.fields, "node type '\(nt.name)'", "\(p).label_field", t)
        masks(t, fields: nt.fields, owner: "node type '\(nt.name)'")
      }
    case .reconstructNodeFeature(let k):
      if let nt = nodeType(k.targetNodeType, t) {
        _ = field(
          k.featureName, in: nt.fields, "node type '\(nt.name)'", "\(p).reconstruct_nfeat_name", t)
        masks(t, fields: nt.fields, owner: "node type '\(nt.name)'")
      }
    case .edgeClassification(let k):
      if let et = edgeType(k.targetEdgeType, "\(p).target_etype", t) {
        if field(k.labelField, in: et.fields, "edge type \(et.edgeType)", "\(p).label_field", t),
          !k.multilabel, let m = et.maxLabel[k.labelField]
        {
          numClasses(k.numClasses, maxLabel: m, t)
        }
        masks(t, fields: et.fields, owner: "edge type \(et.edgeType)")
      }
      reverse(k.reverseEdgeTypes, t)
    case .edgeRegression(let k):
      if let et = edgeType(k.targetEdgeType, "\(p).target_etype", t) {
        _ = field(k.labelField, in: et.fields, "edge type \(et.edgeType)", "\(p).label_field", t)
        masks(t, fields: et.fields, owner: "edge type \(et.edgeType)")
      }
      reverse(k.reverseEdgeTypes, t)
    case .reconstructEdgeFeature(let k):
      if let et = edgeType(k.targetEdgeType, "\(p).target_etype", t) {
        _ = field(
          k.featureName, in: et.fields, "edge type \(et.edgeType)", "\(p).reconstruct_efeat_name", t)
        masks(t, fields: et.fields, owner: "edge type \(et.edgeType)")
      }
    case .linkPrediction(let k):
      let train = (k.trainEdgeTypes ?? graph.edgeTypes.keys.sorted()).compactMap {
        edgeType($0, "\(p).train_etype", t)
      }
      for e in k.evalEdgeTypes ?? [] { _ = edgeType(e, "\(p).eval_etype", t) }
      reverse(k.reverseEdgeTypes, t)
      if k.trainEdgeTypes != nil {
        for et in train { masks(t, fields: et.fields, owner: "edge type \(et.edgeType)") }
      } else {
        // All edge types: the masks must exist on at least one of them.
        let all = graph.edgeTypes.values.reduce(into: Set<String>()) { $0.formUnion($1.fields) }
        masks(t, fields: all, owner: "any edge type")
      }
    }
  }

  private mutating func nodeType(_ name: String, _ t: TaskConfig) -> GraphSchema.NodeTypeInfo? {
    if let nt = graph.nodeTypes[name] { return nt }
    fail(
      "\(t.yamlPath).target_ntype",
      "node type '\(name)' is not in the graph (node types: \(ntypeNames.joined(separator: ", ")))",
      t, suggest: closestName(to: name, in: ntypeNames))
    return nil
  }

  private mutating func edgeType(_ et: EdgeType, _ path: String, _ t: TaskConfig)
    -> GraphSchema.EdgeTypeInfo?
  {
    if let e = graph.edgeTypes[et] { return e }
    fail(
      path, "edge type \(et) is not in the graph (edge types: \(etypeNames.joined(separator: "; ")))",
      t, suggest: closestName(to: et.description, in: etypeNames))
    return nil
  }

  private mutating func field(
    _ f: String, in fields: Set<String>, _ owner: String, _ path: String, _ t: TaskConfig
  ) -> Bool {
    if fields.contains(f) { return true }
    fail(path, "\(owner) has no field '\(f)'", t, suggest: closestName(to: f, in: fields.sorted()))
    return false
  }

  private mutating func numClasses(_ n: Int, maxLabel: Int, _ t: TaskConfig) {
    if maxLabel >= n {
      fail(
        "\(t.yamlPath).num_classes",
        "num_classes is \(n) but the labels go up to \(maxLabel): set num_classes to at least \(maxLabel + 1)",
        t)
    }
  }

  private mutating func masks(_ t: TaskConfig, fields: Set<String>, owner: String) {
    let p = "\(t.yamlPath).mask_fields"
    if t.masks.train == nil && mode == .train {
      fail(p, "no train mask: training needs mask_fields[0]", t)
    }
    for (i, m) in [t.masks.train, t.masks.val, t.masks.test].enumerated() {
      if let m, !fields.contains(m) {
        fail("\(p)[\(i)]", "\(owner) has no mask field '\(m)'", t,
          suggest: closestName(to: m, in: fields.sorted()))
      }
    }
  }

  private mutating func reverse(_ map: [EdgeType: EdgeType], _ t: TaskConfig) {
    for (a, b) in map.sorted(by: { $0.key < $1.key }) {
      for e in [a, b] { _ = edgeType(e, "\(t.yamlPath).reverse_edge_types_map", t) }
    }
  }
}
