import Foundation
import XCTest
import Graph
@testable import Construct

/// Ids, featureless types, reverse edges, custom splits, partitioning quality.
final class GraphShapeTests: ConstructTestCase {
  /// Integer ids with gaps map by first appearance; featureless types take their ids from the
  /// edge files in order of first appearance (source column, then destination column).
  func testIntegerIdsWithGapsAndFeaturelessTypes() throws {
    let dir = tempDir()
    write(dir, "u.csv", "uid,v\n500,1\n3,2\n77,3\n")
    write(dir, "e.csv", "u,t\n77,tagB\n500,tagA\n77,tagC\n3,tagB\n")
    write(dir, "conf.json", """
      {"nodes": [{"node_type": "user", "format": {"name": "csv"}, "files": "u.csv", "node_id_col": "uid",
                  "features": [{"feature_col": "v"}]}],
       "edges": [{"relation": ["user", "tagged", "tag"], "format": {"name": "csv"}, "files": "e.csv",
                  "source_id_col": "u", "dest_id_col": "t"}]}
      """)
    var o = options(dir)
    o.addReverseEdges = true
    try GraphConstruction.run(o)
    let g = try ReadBack(root: dir + "/out")
    XCTAssertEqual(g.config.ntypes, ["user", "tag"])
    XCTAssertEqual(g.nodeFields["user"]!["v"]!, [1, 2, 3])
    // user: 500→0, 3→1, 77→2; tag: tagB→0, tagA→1, tagC→2.
    XCTAssert(g.edges["user:tagged:tag"]!.elementsEqual([(2, 0), (0, 1), (2, 2), (1, 0)]) { $0 == $1 })
    XCTAssert(g.edges["tag:tagged-rev:user"]!.elementsEqual([(0, 2), (1, 0), (2, 2), (0, 1)]) { $0 == $1 })
    XCTAssertEqual(g.config.edgeFields[1], [], "reverse edges carry no fields")
    let t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/data_transform_new.json"))) as! [String: Any]
    XCTAssertEqual(t["add_reverse_edges"] as? Bool, true)
  }

  /// Split files name raw ids (nodes) or [src, dst] pairs (edges); train wins over val and test;
  /// rows without a label get no mask.
  func testCustomSplitFiles() throws {
    let dir = tempDir()
    write(dir, "n.csv", "id,y\na,1\nb,0\nc,\nd,1\ne,0\n")
    write(dir, "e.csv", "s,d\na,b\nb,c\nc,d\na,b\n")
    write(dir, "train.json", "\"a\"\n\"c\"\n\"e\"\n")
    write(dir, "val.json", "\"b\"\n\"a\"\n")
    write(dir, "test.json", "\"d\"\n")
    write(dir, "etrain.json", "[\"a\", \"b\"]\n")
    write(dir, "etest.json", "[\"c\", \"d\"]\n")
    write(dir, "conf.json", """
      {"nodes": [{"node_type": "n", "format": {"name": "csv"}, "files": "n.csv", "node_id_col": "id",
                  "labels": [{"label_col": "y", "task_type": "classification",
                              "custom_split_filenames": {"train": "train.json", "valid": ["val.json"], "test": "test.json"}}]}],
       "edges": [{"relation": ["n", "r", "n"], "format": {"name": "csv"}, "files": "e.csv", "source_id_col": "s", "dest_id_col": "d",
                  "labels": [{"task_type": "link_prediction", "custom_split_filenames": {"train": "etrain.json", "test": "etest.json"}}]}]}
      """)
    try GraphConstruction.run(options(dir))
    let g = try ReadBack(root: dir + "/out")
    let n = g.nodeFields["n"]!
    XCTAssertEqual(n["train_mask"]!, [1, 0, 0, 0, 1], "c has no label")
    XCTAssertEqual(n["val_mask"]!, [0, 1, 0, 0, 0], "a stays in train")
    XCTAssertEqual(n["test_mask"]!, [0, 0, 0, 1, 0])
    let e = g.edgeFields["n:r:n"]!
    XCTAssertEqual(e["train_mask"]!, [1, 0, 0, 1], "both a→b edges")
    XCTAssertEqual(e["val_mask"]!, [0, 0, 0, 0])
    XCTAssertEqual(e["test_mask"]!, [0, 0, 1, 0])
    write(dir, "test.json", "\"zz\"\n")
    expectError(options(dir, out: "bad"), ["test.json", "row 1", "'zz'"])
  }

  /// Four planted communities of 60 nodes: dense inside, a few edges between. METIS must cut
  /// far fewer edges than random assignment, and keep the partitions balanced.
  func testMetisCutsFewerEdgesThanRandomOnPlantedCommunities() throws {
    let dir = tempDir()
    let k = 4, size = 60
    var rng = SeededGenerator(seed: 42)
    var nodes = ["id,c"]
    for v in 0..<(k * size) { nodes.append("v\(v),\(v / size)") }
    var edges = ["s,d"]
    for v in 0..<(k * size) {
      for _ in 0..<6 { edges.append("v\(v),v\((v / size) * size + rng.below(size))") }
      if rng.below(4) == 0 { edges.append("v\(v),v\(rng.below(k * size))") }
    }
    write(dir, "n.csv", nodes.joined(separator: "\n") + "\n")
    write(dir, "e.csv", edges.joined(separator: "\n") + "\n")
    write(dir, "conf.json", """
      {"nodes": [{"node_type": "v", "format": {"name": "csv"}, "files": "n.csv", "node_id_col": "id",
                  "labels": [{"label_col": "c", "task_type": "classification"}]}],
       "edges": [{"relation": ["v", "e", "v"], "format": {"name": "csv"}, "files": "e.csv", "source_id_col": "s", "dest_id_col": "d"}]}
      """)
    let metis = try GraphConstruction.run(options(dir, out: "m", parts: k, method: .metis))
    let random = try GraphConstruction.run(options(dir, out: "r", parts: k, method: .random))
    XCTAssertLessThan(metis.edgeCut * 3, random.edgeCut, "metis \(metis.edgeCut) vs random \(random.edgeCut)")
    let sizes = metis.config.nodeMap[0].map(\.count)
    XCTAssertEqual(sizes.reduce(0, +), k * size)
    XCTAssert(sizes.allSatisfy { Double($0) < 1.1 * Double(size) && Double($0) > 0.9 * Double(size) }, "\(sizes)")
    // Training nodes (the second constraint) are balanced too.
    let g = try ReadBack(root: dir + "/m")
    let train = g.nodeFields["v"]!["train_mask"]!
    let trainTotal = train.reduce(0, +)
    XCTAssertEqual(Int(trainTotal), Int(Double(k * size) * 0.8))
    let mapped = try MappedFile(path: dir + "/m/" + g.config.globalFiles[PartitionConfig.nodeMappingName(ntype: "v")]!.path,
                                expectedBytes: g.config.globalFiles[PartitionConfig.nodeMappingName(ntype: "v")]!.bytes,
                                crc32: g.config.globalFiles[PartitionConfig.nodeMappingName(ntype: "v")]!.crc32)
    let order = withExtendedLifetime(mapped) { Array(mapped.typed(Int64.self)) }
    var start = 0
    for p in 0..<k {
      let count = g.config.nodeMap[0][p].count
      let t = order[start..<(start + count)].reduce(0.0) { $0 + train[Int($1)] }
      XCTAssertGreaterThan(t, 0.85 * trainTotal / Double(k), "partition \(p) has \(t) training nodes")
      start += count
    }
  }
}
