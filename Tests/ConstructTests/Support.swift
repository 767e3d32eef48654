import Foundation
import XCTest
import Graph
@testable import Construct

/// Temporary folders with input files, construction runs, and a graph read back through
/// `Partition` into graph ids (so layouts with different partition counts compare).
class ConstructTestCase: XCTestCase {
  var dirs: [String] = []

  override func tearDown() {
    for d in dirs { try? FileManager.default.removeItem(atPath: d) }
    dirs = []
  }

  func tempDir() -> String {
    let d = NSTemporaryDirectory() + "gust-construct-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    dirs.append(d)
    return d
  }

  func write(_ dir: String, _ name: String, _ text: String) {
    let path = dir + "/" + name
    try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  func options(_ dir: String, conf: String = "conf.json", out: String = "out", parts: Int = 1,
               method: PartMethod = .random, seed: UInt64 = 0) -> ConstructOptions {
    var o = ConstructOptions(confFile: dir + "/" + conf, outputDir: dir + "/" + out, graphName: "g")
    o.numParts = parts
    o.partMethod = method
    o.seed = seed
    return o
  }

  /// Runs construction and expects a `ConstructError` whose text contains every fragment.
  func expectError(_ o: ConstructOptions, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
    do {
      _ = try GraphConstruction.run(o)
      XCTFail("construction succeeded; expected an error with \(fragments)", file: file, line: line)
    } catch let e as ConstructError {
      for f in fragments {
        XCTAssert(e.description.contains(f), "'\(e.description)' does not contain '\(f)'", file: file, line: line)
      }
      XCTAssert(e.isBadInput, "\(e) is not reported as bad input", file: file, line: line)
    } catch {
      XCTFail("unexpected error \(error)", file: file, line: line)
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: (o.outputDir as NSString).deletingLastPathComponent)) ?? []
    XCTAssertFalse(names.contains { $0.hasPrefix((o.outputDir as NSString).lastPathComponent) },
                   "an output folder remains: \(names)", file: file, line: line)
  }
}

/// A constructed graph read back from disk, in graph ids.
struct ReadBack {
  var config: PartitionConfig
  /// `[ntype][field]` → rows in graph-id order, as Doubles (`width` per row).
  var nodeFields: [String: [String: [Double]]] = [:]
  /// `[etype key]` → (src graph id, dst graph id) per input edge index.
  var edges: [String: [(Int64, Int64)]] = [:]
  /// `[etype key][field]` → rows in input edge order.
  var edgeFields: [String: [String: [Double]]] = [:]

  init(root: String, name: String = "g") throws {
    let c = try PartitionConfig.load(path: "\(root)/\(name).json")
    config = c
    func mapping(_ key: String) throws -> [Int64] {
      let e = c.globalFiles[key]!
      let m = try MappedFile(path: "\(root)/\(e.path)", expectedBytes: e.bytes, crc32: e.crc32)
      return withExtendedLifetime(m) { Array(m.typed(Int64.self)) }
    }
    let nodeMaps = try c.ntypes.map { try mapping(PartitionConfig.nodeMappingName(ntype: $0)) }
    let edgeMaps = try c.etypes.indices.map { try mapping(PartitionConfig.edgeMappingName(etype: $0)) }
    let book = PartitionBook.nodes(c)
    func graphId(_ global: Int64) -> Int64 {
      let o = book.owner(of: global)!
      let pos = (0..<o.part).reduce(0) { $0 + c.nodeMap[o.type][$1].count } + o.offset
      return nodeMaps[o.type][pos]
    }
    func values(_ info: FieldInfo, _ data: UnsafeRawBufferPointer) -> [Double] {
      let n = data.count / info.dtype.size
      return (0..<n).map { i -> Double in
        switch info.dtype {
        case .f32: return Double(data.load(fromByteOffset: i * 4, as: Float.self))
        case .f64: return data.load(fromByteOffset: i * 8, as: Double.self)
        case .i32: return Double(data.load(fromByteOffset: i * 4, as: Int32.self))
        case .i64: return Double(data.load(fromByteOffset: i * 8, as: Int64.self))
        case .u8: return Double(data.load(fromByteOffset: i, as: UInt8.self))
        }
      }
    }
    var nodeF: [String: [String: [Double]]] = [:]
    var edgeF: [String: [String: [Double]]] = [:]
    var edges: [String: [(Int64, Int64)]] = [:]
    for (t, nt) in c.ntypes.enumerated() {
      for f in c.nodeFields[t] { nodeF[nt, default: [:]][f.name] = [Double](repeating: .nan, count: c.numNodes(ofType: t) * f.width) }
    }
    for (e, et) in c.etypes.enumerated() {
      edges[et.key] = [(Int64, Int64)](repeating: (-1, -1), count: c.numEdges(ofType: e))
      for f in c.edgeFields[e] { edgeF[et.key, default: [:]][f.name] = [Double](repeating: .nan, count: c.numEdges(ofType: e) * f.width) }
    }
    for p in 0..<c.numParts {
      let part = try Partition(configPath: "\(root)/\(name).json", partId: p)
      for (t, nt) in c.ntypes.enumerated() {
        let r = part.nodeRange(t)
        for f in c.nodeFields[t] {
          let v = values(f, part.nodeField(t, f.name)!.data)
          for i in 0..<r.count {
            let gid = Int(graphId(r.start + Int64(i)))
            for k in 0..<f.width { nodeF[nt]![f.name]![gid * f.width + k] = v[i * f.width + k] }
          }
        }
      }
      for (e, et) in c.etypes.enumerated() {
        let (indptr, src) = part.inCSR(e)
        let dt = c.ntypeId(et.dst)!
        let before = (0..<p).reduce(0) { $0 + c.edgeMap[e][$1].count }
        var fv: [(FieldInfo, [Double])] = []
        for f in c.edgeFields[e] { fv.append((f, values(f, part.edgeField(e, f.name)!.data))) }
        for d in 0..<(indptr.count - 1) {
          for k in Int(indptr[d])..<Int(indptr[d + 1]) {
            let input = Int(edgeMaps[e][before + k])
            edges[et.key]![input] = (graphId(src[k]), graphId(part.nodeRange(dt).start + Int64(d)))
            for (f, v) in fv { for j in 0..<f.width { edgeF[et.key]![f.name]![input * f.width + j] = v[k * f.width + j] } }
          }
        }
      }
      withExtendedLifetime(part) {}
    }
    nodeFields = nodeF
    edgeFields = edgeF
    self.edges = edges
  }
}

/// Every file under a folder, by relative path, for byte-for-byte comparisons.
func folderContents(_ root: String) -> [String: Data] {
  var out: [String: Data] = [:]
  let e = FileManager.default.enumerator(atPath: root)!
  while let rel = e.nextObject() as? String {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
      out[rel] = FileManager.default.contents(atPath: root + "/" + rel)
    }
  }
  return out
}
