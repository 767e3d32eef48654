import Foundation

/// `emb_info.json` and `result_info.json` (SPEC §5, GraphStorm's keys) plus Gust's own under
/// `"gust"`: `ids` — `"raw"` (the users' ids) or `"graph"` (integer graph ids, written with
/// `--keep-integer-ids`; `gust remap` turns them into raw ids) — and the chunk size.
public enum OutputInfo {
  public static let embInfoName = "emb_info.json"
  public static let resultInfoName = "result_info.json"

  public enum IdKind: String, Sendable { case raw, graph }

  public static func writeEmbInfo(directory: String, format: OutputFormat, ntypes: [String], dims: [String: Int],
                                  worldSize: Int, ids: IdKind, chunkRows: Int, taskID: String? = nil) throws {
    var gust: [String: Any] = ["ids": ids.rawValue, "chunk_size": chunkRows]
    if let taskID { gust["task_id"] = taskID; gust["normalized"] = "l2_norm" }
    try OutputFiles.writeJSON(["format": format.rawValue, "emb_name": ntypes, "emb_dim": dims, "world_size": worldSize,
                               "gust": gust], to: directory + "/" + embInfoName)
  }

  /// `pred`: `"proba"` (class probabilities), `"class"` (class ids; 0/1 vectors for
  /// multilabel) or `"value"` (regression).
  public static func writeResultInfo(directory: String, format: OutputFormat, taskID: String, ntypes: [String]?,
                                     etypes: [[String]]?, worldSize: Int, ids: IdKind, pred: String, chunkRows: Int) throws {
    var o: [String: Any] = ["format": format.rawValue, "world_size": worldSize,
                            "gust": ["ids": ids.rawValue, "task_id": taskID, "pred": pred, "chunk_size": chunkRows]]
    if let ntypes { o["ntypes"] = ntypes }
    if let etypes { o["etypes"] = etypes }
    try OutputFiles.writeJSON(o, to: directory + "/" + resultInfoName)
  }

  public static func read(_ path: String) throws -> [String: Any] {
    guard let d = FileManager.default.contents(atPath: path) else { throw OutputError(.badInput, "cannot read \(path)") }
    guard let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
      throw OutputError(.badInput, "\(path) is not a JSON object")
    }
    return o
  }

  /// Marks the outputs described by the info file at `path` as holding raw ids.
  static func markRaw(_ path: String) throws {
    var o = try read(path)
    var g = o["gust"] as? [String: Any] ?? [:]
    g["ids"] = IdKind.raw.rawValue
    o["gust"] = g
    try OutputFiles.writeJSON(o, to: path)
  }
}
