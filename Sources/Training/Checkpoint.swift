import Foundation
import Graph
import Tensor

/// Where a checkpoint puts the run: the position of the next step and everything that decides
/// what happens after it.
public struct CheckpointState: Codable, Equatable, Sendable {
  public var format = "gust-checkpoint-v1"
  /// The epoch and in-epoch step the run continues with.
  public var epoch: Int
  public var nextStep: Int
  /// Optimiser steps taken so far.
  public var globalStep: Int
  public var seed: UInt64
  public var worldSize: Int
  public var taskIDs: [String]
  /// Node types whose learnable embeddings are under `embeddings/`.
  public var embeddingTypes: [String]
  public var selection: SelectionState
  /// The command-line overrides of the run (the YAML itself is `config.yaml`).
  public var overrides: [String]
  /// Per rank, the training losses summed since the last logged line: per task, the weighted
  /// total, the step count — so the first `train` lines after a resume mid-interval average
  /// the same steps as the uninterrupted run's. Absent in older checkpoints.
  public var pendingLosses: [[Double]]? = nil

  enum CodingKeys: String, CodingKey {
    case format, epoch, nextStep = "next_step", globalStep = "global_step", seed, worldSize = "world_size"
    case taskIDs = "task_ids", embeddingTypes = "embedding_types", selection, overrides, pendingLosses = "pending_losses"
  }
}

/// Checkpoint folders `<save_model_path>/epoch-<e>[-iter-<i>]/` (SPEC §4), written under a
/// temporary name and renamed when complete:
///
///     model.bin       every dense parameter by name (`BinaryBlob`; a section per parameter, its
///                     `width` the tensor's columns): the encoder (`input.*`, `encoder.*`) and the
///                     decoders keyed by task id (`decoder.<task id>.*`)
///     optimizer.bin   Adam's moments by parameter name (`m.<name>`, `v.<name>`); the step count
///                     is `global_step` in state.json
///     embeddings/     learnable embedding rows and their sparse Adam, as
///                     `GraphAccess.dumpEmbeddings` writes them (`<ntype>/part<p>.emb|.adam`)
///     config.yaml     the run's YAML as read (overrides in state.json)
///     state.json      `CheckpointState`: next (epoch, step), global step, seed, world size,
///                     task ids, model-selection and early-stopping state, each rank's losses
///                     not yet logged
///
/// A folder without `state.json` or still under its temporary name is incomplete and ignored.
public enum Checkpoint {
  public static func name(epoch: Int, iteration: Int?) -> String {
    iteration.map { "epoch-\(epoch)-iter-\($0)" } ?? "epoch-\(epoch)"
  }

  public static func save(root: String, name: String, arena: ParameterArena, adam: Adam, graph: GraphAccess,
                          embeddingTypes: [Int], state: CheckpointState, configText: String?) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
    let tmp = "\(root)/.\(name).tmp-\(ProcessInfo.processInfo.processIdentifier)"
    if fm.fileExists(atPath: tmp) { try fm.removeItem(atPath: tmp) }
    try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    var params: [(String, ArrayData, Int)] = [], moments: [(String, ArrayData, Int)] = []
    for (name, v) in zip(arena.names, arena.views) {
      params.append((name, .f32(arena.tensor(v).storage), v.cols))
      moments.append(("m.\(name)", .f32(Array(adam.m[v.offset..<(v.offset + v.count)])), v.cols))
      moments.append(("v.\(name)", .f32(Array(adam.v[v.offset..<(v.offset + v.count)])), v.cols))
    }
    try BinaryBlob.write(path: tmp + "/model.bin", sections: params.map { ($0.0, $0.1, $0.2) })
    try BinaryBlob.write(path: tmp + "/optimizer.bin", sections: moments.map { ($0.0, $0.1, $0.2) })
    for t in embeddingTypes { try graph.dumpEmbeddings(ntype: t, directory: tmp + "/embeddings") }
    if let configText { try configText.write(toFile: tmp + "/config.yaml", atomically: true, encoding: .utf8) }
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try enc.encode(state).write(to: URL(fileURLWithPath: tmp + "/state.json"))
    let final = "\(root)/\(name)"
    if fm.fileExists(atPath: final) { try fm.removeItem(atPath: final) }
    try fm.moveItem(atPath: tmp, toPath: final)
  }

  /// Loads every parameter of `arena` that `include` accepts (default all) by name from
  /// `<dir>/model.bin`; a missing or differently shaped parameter is a bad-input error naming
  /// it. Returns how many parameters were loaded.
  @discardableResult
  public static func loadParameters(dir: String, arena: ParameterArena,
                                    include: (String) -> Bool = { _ in true }) throws -> Int {
    let blob = try BinaryBlob.readWithWidths(path: dir + "/model.bin")
    var loaded = 0
    for (name, v) in zip(arena.names, arena.views) where include(name) {
      guard let s = blob[name] else {
        throw TrainingError(.badInput, "\(dir)/model.bin has no parameter '\(name)' (was it saved with other tasks or another model shape?)")
      }
      guard case .f32(let a) = s.data, a.count == v.count, s.width == v.cols else {
        throw TrainingError(.badInput, "\(dir)/model.bin: '\(name)' is \(s.data.count / max(s.width, 1))×\(s.width), the model has \(v.rows)×\(v.cols)")
      }
      arena.set(v, Tensor(rows: v.rows, cols: v.cols, storage: a))
      loaded += 1
    }
    return loaded
  }

  public static func loadOptimizer(dir: String, arena: ParameterArena, adam: Adam, steps: Int) throws {
    let blob = try BinaryBlob.read(path: dir + "/optimizer.bin")
    var m = [Float](repeating: 0, count: arena.count), v = m
    for (name, view) in zip(arena.names, arena.views) {
      guard case .f32(let a)? = blob["m.\(name)"], case .f32(let b)? = blob["v.\(name)"], a.count == view.count, b.count == view.count else {
        throw TrainingError(.badInput, "\(dir)/optimizer.bin has no Adam state for '\(name)'")
      }
      for i in 0..<view.count { m[view.offset + i] = a[i]; v[view.offset + i] = b[i] }
    }
    adam.load(stepCount: steps, m: m, v: v)
  }

  public static func loadState(dir: String) throws -> CheckpointState {
    guard let d = FileManager.default.contents(atPath: dir + "/state.json") else {
      throw TrainingError(.badInput, "\(dir) is not a complete checkpoint (no state.json)")
    }
    do { return try JSONDecoder().decode(CheckpointState.self, from: d) } catch {
      throw TrainingError(.badInput, "\(dir)/state.json: \(error)")
    }
  }

  /// The complete checkpoint under `root` with the largest global step (nil: none).
  public static func newest(root: String) -> String? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return nil }
    var best: (step: Int, epoch: Int, dir: String)? = nil
    for n in names where n.hasPrefix("epoch-") {
      let dir = "\(root)/\(n)"
      guard let s = try? loadState(dir: dir) else { continue }
      let key = (s.globalStep, s.epoch * 1_000_000_000 + s.nextStep)
      if best == nil || key.0 > best!.step || (key.0 == best!.step && key.1 > best!.epoch) { best = (key.0, key.1, dir) }
    }
    return best?.dir
  }
}
