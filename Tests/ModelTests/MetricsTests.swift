import XCTest
@testable import Model
import Tensor

final class MetricsTests: XCTestCase {
  func testAccuracyAndPerClassF1ByHand() {
    // labels 0 0 1 1 2 2 2, predictions 0 1 1 1 2 0 1
    let c = ConfusionCounts(predicted: [0, 1, 1, 1, 2, 0, 1], labels: [0, 0, 1, 1, 2, 2, 2], numClasses: 4)
    XCTAssertEqual(c.accuracy, 4.0 / 7.0, accuracy: 1e-12)
    // class 0: tp 1, predicted 2, support 2 → P 1/2, R 1/2, F1 1/2
    // class 1: tp 2, predicted 4, support 2 → P 1/2, R 1,   F1 2/3
    // class 2: tp 1, predicted 1, support 3 → P 1,   R 1/3, F1 1/2
    // class 3: absent from labels and predictions → left out of the macro mean
    XCTAssertEqual(c.perClassF1[0], 0.5, accuracy: 1e-12)
    XCTAssertEqual(c.perClassF1[1], 2.0 / 3.0, accuracy: 1e-12)
    XCTAssertEqual(c.perClassF1[2], 0.5, accuracy: 1e-12)
    XCTAssertEqual(c.perClassF1[3], 0)
    XCTAssertEqual(c.precision(1), 0.5, accuracy: 1e-12)
    XCTAssertEqual(c.recall(2), 1.0 / 3.0, accuracy: 1e-12)
    XCTAssertEqual(c.macroF1, (0.5 + 2.0 / 3.0 + 0.5) / 3, accuracy: 1e-12)
    // Merging two halves gives the same counts.
    var a = ConfusionCounts(predicted: [0, 1, 1], labels: [0, 0, 1], numClasses: 4)
    a.merge(ConfusionCounts(predicted: [1, 2, 0, 1], labels: [1, 2, 2, 2], numClasses: 4))
    XCTAssertEqual(a, c)
    XCTAssertEqual(Metrics.accuracy(predicted: [0, 1, 1, 1, 2, 0, 1], labels: [0, 0, 1, 1, 2, 2, 2]), 4.0 / 7.0, accuracy: 1e-12)
  }

  func testBinaryF1IsTheMacroAverageLikeGraphStorm() {
    // labels 1 1 0 0, predictions 1 0 0 0: class 1 F1 = 2/3, class 0 F1 = 0.8 → macro 0.7333.
    let c = ConfusionCounts(predicted: [1, 0, 0, 0], labels: [1, 1, 0, 0], numClasses: 2)
    XCTAssertEqual(c.f1(1), 2.0 / 3.0, accuracy: 1e-12)
    XCTAssertEqual(c.f1(0), 0.8, accuracy: 1e-12)
    XCTAssertEqual(c.macroF1, (2.0 / 3.0 + 0.8) / 2, accuracy: 1e-12)
  }

  func testHardLabelsFromLogits() {
    let logits = Tensor(rows: 3, cols: 3, storage: [0.1, 2, -1, 5, 5, 1, -3, -2, -2.5])
    XCTAssertEqual(Predict.classIds(logits), [1, 0, 1])
    XCTAssertEqual(Predict.classIds(Tensor(rows: 2, cols: 1, storage: [0.3, -0.2])), [1, 0])
    XCTAssertEqual(Predict.multilabelIds(Tensor(rows: 1, cols: 3, storage: [0.2, -0.1, 0])).storage, [1, 0, 0])
    let p = Predict.softmax(logits)
    for i in 0..<3 { XCTAssertEqual((0..<3).reduce(Float(0)) { $0 + p[i, $1] }, 1, accuracy: 1e-6) }
    XCTAssertEqual(p[1, 0], p[1, 1])
    XCTAssertEqual(Predict.probabilities(Tensor(rows: 1, cols: 1, storage: [0]), multilabel: false)[0, 0], 0.5)
  }

  func testROCAUCWithTiesByHand() {
    // Positives 0.8, 0.5; negatives 0.5, 0.2, 0.1.
    // Pairs (pos > neg): 0.8 beats 3; 0.5 beats 2 and ties 1 (counts 1/2) → 5.5 / 6.
    let auc = Metrics.rocAUC(scores: [0.8, 0.5, 0.5, 0.2, 0.1], positive: [true, true, false, false, false])
    XCTAssertEqual(auc!, 5.5 / 6, accuracy: 1e-12)
    // All tied: 0.5.
    XCTAssertEqual(Metrics.rocAUC(scores: [1, 1, 1, 1], positive: [true, false, true, false])!, 0.5, accuracy: 1e-12)
    XCTAssertNil(Metrics.rocAUC(scores: [1, 2], positive: [true, true]))
    // Binary probabilities [n × 2]: the class-1 column.
    let probs = Tensor(rows: 4, cols: 2, storage: [0.9, 0.1, 0.3, 0.7, 0.35, 0.65, 0.2, 0.8])
    XCTAssertEqual(Metrics.rocAUC(scores: probs, labels: [0, 0, 1, 1])!, 0.75, accuracy: 1e-12)
    // Three classes one-vs-rest, macro.
    let p3 = Tensor(rows: 3, cols: 3, storage: [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.6, 0.3])
    // class 0: pos {0.7} vs {0.2, 0.1} → 1; class 1: pos {0.5} vs {0.2, 0.6} → 0.5;
    // class 2: pos {0.3} vs {0.1, 0.3} → (1 + 0.5)/2 = 0.75.
    XCTAssertEqual(Metrics.rocAUC(scores: p3, labels: [0, 1, 2])!, (1 + 0.5 + 0.75) / 3, accuracy: 1e-12)
  }

  func testPrecisionRecallAUCByHand() {
    // Scores 0.9(+) 0.8(−) 0.7(+) 0.6(−). Points (R, P): (0,1) (0.5,1) (0.5,0.5) (1,2/3) (1,0.5).
    // Area: 0.5·1 + 0 + 0.5·(0.5 + 2/3)/2 + 0 = 0.5 + 0.291666… = 0.791666…
    let v = Metrics.precisionRecallAUC(scores: [0.9, 0.8, 0.7, 0.6], positive: [true, false, true, false])
    XCTAssertEqual(v!, 0.5 + 0.5 * (0.5 + 2.0 / 3.0) / 2, accuracy: 1e-12)
    // A tie between a positive and a negative at the top: one point (0.5, 0.5), then (1, 2/3).
    let t = Metrics.precisionRecallAUC(scores: [0.9, 0.9, 0.5], positive: [true, false, true])
    XCTAssertEqual(t!, 0.5 * (1 + 0.5) / 2 + 0.5 * (0.5 + 2.0 / 3.0) / 2, accuracy: 1e-12)
    XCTAssertNil(Metrics.precisionRecallAUC(scores: [0.1], positive: [false]))
  }

  func testRegressionMetricsByHand() {
    var r = RegressionCounts(predictions: [1, 2, 4], targets: [1, 0, 1])
    XCTAssertEqual(r.mse, (0 + 4 + 9) / 3.0, accuracy: 1e-12)
    XCTAssertEqual(r.rmse, (13.0 / 3).squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(r.mae, 5.0 / 3, accuracy: 1e-12)
    r.merge(RegressionCounts(predictions: [-1], targets: [1]))
    XCTAssertEqual(r.mse, 17.0 / 4, accuracy: 1e-12)
    XCTAssertEqual(r.count, 4)
  }

  func testMRRAndHitsWithTiesByHand() {
    // Positive 0: 0.9 vs [0.95, 0.9, 0.1]: one above, one tied → rank 2 or 3.
    // Positive 1: 0.5 vs [0.1, 0.2, 0.3]: rank 1.
    // Positive 2: 0.2 vs [0.2, 0.2, 0.2]: rank 1…4.
    let pos: [Float] = [0.9, 0.5, 0.2]
    let neg = Tensor(rows: 3, cols: 3, storage: [0.95, 0.9, 0.1, 0.1, 0.2, 0.3, 0.2, 0.2, 0.2])
    var e = RankingCounts(hitsAt: [1, 2, 3], tieRule: .expected)
    e.add(positive: pos, negatives: neg)
    let rr0 = (1.0 / 2 + 1.0 / 3) / 2, rr2 = (1 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4) / 4
    XCTAssertEqual(e.mrr, (rr0 + 1 + rr2) / 3, accuracy: 1e-12)
    XCTAssertEqual(e.hitRate(at: 1), (0 + 1 + 0.25) / 3, accuracy: 1e-12)
    XCTAssertEqual(e.hitRate(at: 2), (0.5 + 1 + 0.5) / 3, accuracy: 1e-12)
    XCTAssertEqual(e.hitRate(at: 3), (1 + 1 + 0.75) / 3, accuracy: 1e-12)
    var o = RankingCounts(hitsAt: [1], tieRule: .optimistic)
    o.add(positive: pos, negatives: neg)
    XCTAssertEqual(o.mrr, (0.5 + 1 + 1) / 3, accuracy: 1e-12)
    var p = RankingCounts(hitsAt: [1], tieRule: .pessimistic)
    p.add(positive: pos, negatives: neg)
    XCTAssertEqual(p.mrr, (1.0 / 3 + 1 + 0.25) / 3, accuracy: 1e-12)
    XCTAssertEqual(p.hitRate(at: 1), 1.0 / 3, accuracy: 1e-12)
    // Counts add across shards.
    var a = RankingCounts(hitsAt: [1, 2, 3]), b = RankingCounts(hitsAt: [1, 2, 3])
    a.add(positive: [pos[0]], negatives: Tensor(rows: 1, cols: 3, storage: [0.95, 0.9, 0.1]))
    b.add(positive: Array(pos[1...]), negatives: Tensor(rows: 2, cols: 3, storage: Array(neg.storage[3...])))
    a.merge(b)
    XCTAssertEqual(a.mrr, e.mrr, accuracy: 1e-12)
    // A NaN positive ranks last.
    var n = RankingCounts()
    n.add(positive: [.nan], negatives: Tensor(rows: 1, cols: 2, storage: [0, 1]))
    XCTAssertEqual(n.mrr, 1.0 / 3, accuracy: 1e-12)
  }

  func testNegativeSamplerIsDeterministicAndInRange() {
    let s = NegativeSampler(ranges: [10..<15, 100..<102, 50..<50, 7..<8])
    XCTAssertEqual(s.count, 8)
    let a = s.negatives(.uniform, numPositives: 50, k: 4, seed: 99)
    XCTAssertEqual(a, s.negatives(.uniform, numPositives: 50, k: 4, seed: 99))
    XCTAssertNotEqual(a, s.negatives(.uniform, numPositives: 50, k: 4, seed: 100))
    XCTAssertEqual(a.count, 200)
    // GraphStorm's JointUniform: a pool of numPositives nodes, positive i paired with pool
    // entries (i·k + j) mod numPositives.
    let joint = s.negatives(.joint, numPositives: 50, k: 4, seed: 1)
    XCTAssertEqual(joint.count, 200)
    for i in 0..<50 { for j in 0..<4 { XCTAssertEqual(joint[i * 4 + j], joint[(i * 4 + j) % 50]) } }
    XCTAssertFalse(NegativeSampler.sharedByBatch(.joint))
    XCTAssertTrue(NegativeSampler.sharedByBatch(.inbatchJoint))
    XCTAssertEqual(s.negatives(.inbatchJoint, numPositives: 50, k: 4, seed: 1).count, 4)
    let valid = Set<Int64>([10, 11, 12, 13, 14, 100, 101, 7])
    XCTAssertTrue(a.allSatisfy { valid.contains($0) })
    XCTAssertEqual(Set(s.negatives(.uniform, numPositives: 500, k: 2, seed: 3)), valid)  // every candidate reachable
    let (ns, nd) = NegativeSampler.corruptions(sources: s, destinations: NegativeSampler(ranges: [0..<3]),
                                                numPositives: 5, k: 2, shared: false, seed: 4)
    XCTAssertEqual(ns.count, 10)
    XCTAssertTrue(nd.allSatisfy { (0..<3).contains($0) })
    XCTAssertEqual(NegativeSampler.corruptions(sources: s, destinations: s, numPositives: 5, k: 2, shared: true, seed: 4).negDst.count, 2)
  }
}
