import Foundation
import Graph
import Rand

// Test support shared by TrainingTests and RemoteAccessTests (not linked into any executable).

/// A tiny heterogeneous graph with planted communities, written as partitions: papers (with a
/// noisy community feature, class and regression labels), featureless authors (learnable
/// embeddings), citations (link prediction, mostly inside a community) with their reverse,
/// authorship both ways, and "related" paper pairs carrying edge labels and an edge feature.
public struct Synthetic {
  public static let communities = 4
  public let root: String
  public let configPath: String
  public let data: GraphData
  public let paperCommunity: [Int]
  public let authorCommunity: [Int]

  public static let cites = Graph.EdgeType("paper", "cites", "paper")
  public static let cited = Graph.EdgeType("paper", "cited", "paper")
  public static let writes = Graph.EdgeType("author", "writes", "paper")
  public static let writtenBy = Graph.EdgeType("paper", "written_by", "author")
  public static let related = Graph.EdgeType("paper", "related", "paper")

  public init(papers: Int = 240, authors: Int = 100, parts: Int = 2, seed: UInt64 = 7) throws {
    var g = Generator(seed: seed)
    let C = Synthetic.communities
    let pc = (0..<papers).map { $0 % C }, ac = (0..<authors).map { $0 % C }
    func pick(_ n: Int, community c: Int?, of comm: [Int]) -> Int {
      while true {
        let v = g.nextInt(below: n)
        if c == nil || comm[v] == c! { return v }
      }
    }
    func gauss(_ s: Double) -> Float { Float(g.nextGaussian() * s) }
    // Paper fields.
    var feat: [Float] = [], cls: [Int64] = [], reg: [Float] = []
    for p in 0..<papers {
      for k in 0..<C { feat.append((k == pc[p] ? 2 : 0) + gauss(0.7)) }
      cls.append(Int64(pc[p]))
      reg.append(Float(pc[p]) + gauss(0.1))
    }
    func masks(_ n: Int, _ prefix: String) -> [Field] {
      var order = Array(0..<n)
      g.shuffle(&order)
      var tr = [UInt8](repeating: 0, count: n), va = tr, te = tr
      for (i, v) in order.enumerated() {
        if i < n * 6 / 10 { tr[v] = 1 } else if i < n * 8 / 10 { va[v] = 1 } else { te[v] = 1 }
      }
      return [Field(name: prefix + "train", kind: .mask, width: 1, data: .u8(tr)),
              Field(name: prefix + "val", kind: .mask, width: 1, data: .u8(va)),
              Field(name: prefix + "test", kind: .mask, width: 1, data: .u8(te))]
    }
    let paperFields = [Field(name: "feat", kind: .feature, width: C, data: .f32(feat)),
                       Field(name: "label_class", kind: .label, width: 1, data: .i64(cls)),
                       Field(name: "label_reg", kind: .label, width: 1, data: .f32(reg))] + masks(papers, "m_")
    // Citations: 3 per paper, 90% inside the community.
    var cs: [Int64] = [], cd: [Int64] = []
    for p in 0..<papers {
      for _ in 0..<3 {
        var q = pick(papers, community: g.nextFloat() < 0.9 ? pc[p] : nil, of: pc)
        while q == p { q = pick(papers, community: pc[p], of: pc) }
        cs.append(Int64(p)); cd.append(Int64(q))
      }
    }
    // Authorship: 2 authors per paper, 90% of the paper's community.
    var ws: [Int64] = [], wd: [Int64] = []
    for p in 0..<papers {
      for _ in 0..<2 {
        ws.append(Int64(pick(authors, community: g.nextFloat() < 0.9 ? pc[p] : nil, of: ac))); wd.append(Int64(p))
      }
    }
    // Related pairs: half inside a community; labels and a feature from both ends.
    var rs: [Int64] = [], rd: [Int64] = [], ec: [Int64] = [], er: [Float] = [], ef: [Float] = []
    for _ in 0..<(papers * 2) {
      let a = g.nextInt(below: papers)
      let same = g.nextFloat() < 0.5
      var b = pick(papers, community: same ? pc[a] : nil, of: pc)
      if !same { while pc[b] == pc[a] { b = pick(papers, community: nil, of: pc) } }
      while b == a { b = pick(papers, community: pc[a], of: pc) }  // no self pairs
      rs.append(Int64(a)); rd.append(Int64(b))
      ec.append(pc[a] == pc[b] ? 1 : 0)
      er.append(Float(pc[a]) - 0.5 * Float(pc[b]) + gauss(0.1))
      ef.append(Float(pc[a]) + gauss(0.1)); ef.append(Float(pc[b]) + gauss(0.1))
    }
    let relatedFields = [Field(name: "label_ec", kind: .label, width: 1, data: .i64(ec)),
                         Field(name: "label_er", kind: .label, width: 1, data: .f32(er)),
                         Field(name: "efeat", kind: .feature, width: 2, data: .f32(ef))] + masks(rs.count, "e_")
    data = GraphData(
      ntypes: ["author", "paper"], numNodes: [authors, papers], nodeFields: [[], paperFields],
      etypes: [Synthetic.writes, Synthetic.cited, Synthetic.cites, Synthetic.related, Synthetic.writtenBy],
      src: [ws, cd, cs, rs, wd], dst: [wd, cs, cd, rd, ws],
      edgeFields: [[], [], masks(cs.count, "lp_"), relatedFields, []])
    paperCommunity = pc
    authorCommunity = ac
    root = NSTemporaryDirectory() + "gust-synthetic-\(UUID().uuidString)"
    var ag = Generator(seed: seed ^ 0xABCD)
    let assignment = [(0..<authors).map { _ in Int32(ag.nextInt(below: parts)) }, (0..<papers).map { _ in Int32(ag.nextInt(below: parts)) }]
    try GraphWriter.write(data, assignment: assignment, numParts: parts, partMethod: "random", graphName: "toy", seed: 0,
                          root: root + "/graph")
    configPath = root + "/graph/toy.json"
  }

  public func remove() { try? FileManager.default.removeItem(atPath: root) }

  /// A YAML with every task kind (the acm_mt.yaml shape), `extra` lines added under `gsf.hyperparam`.
  public static func yaml(epochs: Int = 6, layers: Int = 2, batch: Int = 64, extra: String = "", tasks: String = allTasks) -> String {
    """
    version: 1.0
    gsf:
      basic:
        node_feat_name: ["paper:feat"]
        batch_size: \(batch)
      gnn:
        model_encoder_type: rgcn
        num_layers: \(layers)
        hidden_size: 16
        fanout: "\(Array(repeating: "6", count: layers).joined(separator: ","))"
      hyperparam:
        lr: 0.02
        sparse_optimizer_lr: 0.05
        num_epochs: \(epochs)
    \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
      multi_task_learning:
    \(tasks)
    """
  }

  public static let nc = """
        - node_classification:
            target_ntype: paper
            label_field: label_class
            num_classes: 4
            mask_fields: [m_train, m_val, m_test]
    """
  public static let nr = """
        - node_regression:
            target_ntype: paper
            label_field: label_reg
            mask_fields: [m_train, m_val, m_test]
    """
  public static let ec = """
        - edge_classification:
            target_etype: ["paper,related,paper"]
            label_field: label_ec
            num_classes: 2
            num_decoder_basis: 4
            mask_fields: [e_train, e_val, e_test]
    """
  public static let er = """
        - edge_regression:
            target_etype: ["paper,related,paper"]
            label_field: label_er
            decoder_type: MLPDecoder
            mask_fields: [e_train, e_val, e_test]
    """
  public static let lp = """
        - link_prediction:
            train_etype: ["paper,cites,paper"]
            reverse_edge_types_map: ["paper,cites,cited,paper"]
            num_negative_edges: 4
            num_negative_edges_eval: 20
            train_negative_sampler: joint
            lp_decoder_type: dot_product
            mask_fields: [lp_train, lp_val, lp_test]
    """
  public static let nfr = """
        - reconstruct_node_feat:
            target_ntype: paper
            reconstruct_nfeat_name: feat
            mask_fields: [m_train, m_val, m_test]
    """
  public static let efr = """
        - reconstruct_edge_feat:
            target_etype: ["paper,related,paper"]
            reconstruct_efeat_name: efeat
            mask_fields: [e_train, e_val, e_test]
    """
  public static let allTasks = [nc, nr, ec, er, lp, nfr, efr].joined(separator: "\n")
}
