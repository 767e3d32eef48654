import Collective
import Foundation
import Tensor
import XCTest
@testable import Training

/// The background sampler (`SamplingPipeline`) changes no bit of a run: with and without it,
/// 1 rank and 2 ranks (`--local`: threads with their own `LocalGraphAccess`) end with the same
/// parameters after every step, the same embedding rows and the same metrics. Two kernel
/// workers, so the main thread's kernels and the sampler's chunks run in parallel regions at
/// once (`Threads.insideParallel` is per thread). A sampling error raised on the background
/// thread surfaces from `run()` with the inline run's message, and no sampler thread outlives
/// the run.
final class SamplingPipelineTests: XCTestCase {
  static let seed: UInt64 = 5
  static let yaml = Synthetic.yaml(epochs: 2, layers: 2, batch: 16, extra: """
    dropout: 0.1
    eval_frequency: 3
    """, tasks: [Synthetic.nc, Synthetic.lp, Synthetic.ec, Synthetic.nfr].joined(separator: "\n"))

  override func setUp() { Threads.configure(2) }
  override func tearDown() { Threads.configure(nil) }

  struct Outcome {
    var digests: [UInt64]
    var params: [Float]
    var embeddings: [[Float]]
    var metrics: [[String: AnyHashable]]
    var summary: RunSummary
  }

  /// metrics.jsonl as objects, the wall-clock field dropped.
  func metrics(_ path: String) throws -> [[String: AnyHashable]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
      var o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      o["seconds"] = nil
      return o.mapValues { $0 as! AnyHashable }
    }
  }

  /// One job of `W` ranks; rank 0 writes `<root>/<tag>.jsonl`.
  func job(_ s: Synthetic, _ tag: String, ranks W: Int, pipelined: Bool, depth: Int = 2, yaml: String = yaml) throws -> [Outcome] {
    final class Digests: @unchecked Sendable { var d: [[UInt64]] = [[], []] }
    let digests = Digests()
    let comms = InMemoryGroup.make(worldSize: W)
    let out = try MultiRankTests.onRanks(W) { r -> (Trainer, LocalGraphAccess, RunSummary) in
      let reducer: GradientReducer = W == 1 ? IdentityReducer() : CollectiveReducer(comms[r])
      let (t, a) = try s.makeTrainer(yaml: yaml, seed: Self.seed, options: { o in
        o.samplingPipeline = pipelined
        o.samplingDepth = depth
        o.metricsPath = s.root + "/\(tag).jsonl"
        o.afterStep = { digests.d[r].append($0.parameterDigest()) }
      }, reducer: reducer)
      let summary = try t.run()
      XCTAssertNil(t.pipeline, "the sampler is closed when run() returns")
      if pipelined {
        // Every batch but each epoch's first comes from the sampler thread.
        XCTAssertEqual(t.batchesSampledAhead, summary.globalStep * t.plan.tasks.count - summary.epochsCompleted)
      } else {
        XCTAssertEqual(t.batchesSampledAhead, 0)
      }
      return (t, a, summary)
    }
    let m = try metrics(s.root + "/\(tag).jsonl")
    return out.enumerated().map { r, x in
      Outcome(digests: digests.d[r], params: MultiRankTests.params(x.0),
              embeddings: x.0.plan.embeddingTypes.map { x.1.embeddingTable(ntype: $0)! }, metrics: m, summary: x.2)
    }
  }

  func assertSame(_ a: [Outcome], _ b: [Outcome], line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, line: line)
    for (x, y) in zip(a, b) {
      XCTAssertGreaterThan(x.digests.count, 3, line: line)
      XCTAssertEqual(x.digests, y.digests, "parameters after every step", line: line)
      XCTAssertEqual(x.params.map(\.bitPattern), y.params.map(\.bitPattern), line: line)
      XCTAssertFalse(x.embeddings.isEmpty, line: line)
      XCTAssertEqual(x.embeddings.map { $0.map(\.bitPattern) }, y.embeddings.map { $0.map(\.bitPattern) }, "embedding rows", line: line)
      XCTAssertEqual(x.metrics, y.metrics, line: line)
      XCTAssertTrue(x.metrics.contains { $0["kind"] == AnyHashable("eval") }, line: line)
      XCTAssertEqual(x.summary.globalStep, y.summary.globalStep, line: line)
      for (id, m) in x.summary.lastEvaluation {
        for (metric, v) in m {
          let u = y.summary.lastEvaluation[id]?[metric]
          XCTAssertEqual(u?.val?.bitPattern, v.val?.bitPattern, "\(id) \(metric) val", line: line)
          XCTAssertEqual(u?.test?.bitPattern, v.test?.bitPattern, "\(id) \(metric) test", line: line)
        }
      }
    }
  }

  func testOneRankPipelinedEqualsInline() throws {
    let s = try Synthetic(papers: 120, authors: 40, parts: 2)
    defer { s.remove() }
    let inline = try job(s, "inline", ranks: 1, pipelined: false)
    let pipelined = try job(s, "pipelined", ranks: 1, pipelined: true)
    assertSame(pipelined, inline)
  }

  /// Five batches ahead (the queue crosses steps and stops at each epoch's end) gives the same bits.
  func testDeeperQueueEqualsInline() throws {
    let s = try Synthetic(papers: 120, authors: 40, parts: 1)
    defer { s.remove() }
    let inline = try job(s, "inline", ranks: 1, pipelined: false)
    let deep = try job(s, "deep", ranks: 1, pipelined: true, depth: 5)
    assertSame(deep, inline)
  }

  /// The pipeline on its own: batches come back in submission order equal to the inline
  /// build's; asking for another key than the oldest drops the queue (nil), after which the
  /// caller submits afresh; close() with jobs queued joins the thread.
  func testQueueOrderAndMismatch() throws {
    let s = try Synthetic(papers: 80, authors: 30, parts: 1)
    defer { s.remove() }
    let (t, access) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, batch: 16, tasks: [Synthetic.nc, Synthetic.lp].joined(separator: "\n")), seed: 2)
    let pipeline = SamplingPipeline(builder: BatchBuilder(graph: access, plan: t.plan))
    let jobs = (0..<4).map { k in t.samplingJob(task: k % 2, step: k / 2) }
    func inline(_ j: SamplingPipeline.Job) throws -> TaskBatch {
      try t.builder.build(task: j.task, items: j.items, training: true, seed: j.seed)
    }
    for j in jobs { pipeline.submit(j) }
    XCTAssertEqual(pipeline.outstanding, 4)
    for j in jobs.prefix(2) {
      let b = try XCTUnwrap(try pipeline.take(j.key)).0
      let a = try inline(j)
      XCTAssertEqual(b.flow.nodes, a.flow.nodes)
      XCTAssertEqual(b.excluded, a.excluded)
    }
    XCTAssertNil(try pipeline.take(jobs[3].key), "not the oldest: dropped")
    XCTAssertEqual(pipeline.outstanding, 0)
    XCTAssertNil(try pipeline.take(jobs[2].key), "nothing outstanding")
    pipeline.submit(jobs[3])
    XCTAssertEqual(try XCTUnwrap(try pipeline.take(jobs[3].key)).0.flow.nodes, try inline(jobs[3]).flow.nodes)
    for j in jobs { pipeline.submit(j) }
    pipeline.close()
    pipeline.close()
    XCTAssertNil(try pipeline.take(jobs[0].key))
  }

  func testTwoRanksPipelinedEqualInline() throws {
    let s = try Synthetic(papers: 120, authors: 40, parts: 2)
    defer { s.remove() }
    let inline = try job(s, "inline", ranks: 2, pipelined: false)
    let pipelined = try job(s, "pipelined", ranks: 2, pipelined: true)
    XCTAssertEqual(pipelined[0].digests, pipelined[1].digests)
    assertSame(pipelined, inline)
  }

  /// This process's threads named like the sampler.
  func samplerThreads() -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { t in
      (try? String(contentsOfFile: "/proc/self/task/\(t)/comm", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) == SamplingPipeline.threadName
    }.count
  }

  /// The second task's labels do not fit `num_classes`: its first batch is built on the
  /// sampler thread (the first task's, inline, starts the pipeline) and fails there. The run
  /// throws the inline run's error at the same point, and the thread is gone.
  func testBackgroundErrorSurfacesWithTheInlineMessage() throws {
    let s = try Synthetic(papers: 120, authors: 40, parts: 2)
    defer { s.remove() }
    let yaml = Synthetic.yaml(epochs: 1, layers: 2, batch: 16, tasks: [Synthetic.lp, Synthetic.nc].joined(separator: "\n"))
      .replacingOccurrences(of: "num_classes: 4", with: "num_classes: 2")
    func failure(_ pipelined: Bool) throws -> (String, Int) {
      var steps = 0
      let (t, _) = try s.makeTrainer(yaml: yaml, seed: Self.seed, options: { o in
        o.samplingPipeline = pipelined
        o.afterStep = { _ in steps += 1 }
      })
      do {
        _ = try t.run()
        XCTFail("the run should fail")
        return ("", steps)
      } catch {
        XCTAssertNil(t.pipeline)
        return (String(describing: error), steps)
      }
    }
    let before = samplerThreads()
    let inline = try failure(false)
    let pipelined = try failure(true)
    XCTAssertTrue(inline.0.contains("is outside 0..<num_classes (2)"), inline.0)
    XCTAssertEqual(pipelined.0, inline.0)
    XCTAssertEqual(pipelined.1, inline.1)
    XCTAssertEqual(inline.1, 0, "the first step fails")
    XCTAssertEqual(samplerThreads(), before, "no sampler thread outlives its run")
  }

  /// The sampler thread exists while a pipelined run trains, and ends with it.
  func testSamplerThreadEndsWithTheRun() throws {
    let s = try Synthetic(papers: 80, authors: 30, parts: 1)
    defer { s.remove() }
    let before = samplerThreads()
    var during = 0
    let (t, _) = try s.makeTrainer(yaml: Synthetic.yaml(epochs: 1, batch: 16, tasks: Synthetic.nc), seed: 2, options: { o in
      o.samplingPipeline = true
      o.afterStep = { [self] _ in during = max(during, samplerThreads()) }
    })
    _ = try t.run()
    XCTAssertEqual(during, before + 1)
    XCTAssertEqual(samplerThreads(), before)
  }
}
