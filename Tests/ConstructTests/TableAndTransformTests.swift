import Foundation
import XCTest
import Graph
@testable import Construct

final class CSVTableTests: ConstructTestCase {
  func testQuotedFieldsSeparatorsNewlinesAndTypes() throws {
    let dir = tempDir()
    write(dir, "t.csv", "id|name|n|x\r\n7|\"a|b\"|1|1.5\r\n8|\"say \"\"hi\"\"\nthere\"||2\n\n9|\"\"|3|\n")
    let t = try CSVTable(path: dir + "/t.csv", separator: UInt8(ascii: "|"))
    XCTAssertEqual(t.columnNames, ["id", "name", "n", "x"])
    XCTAssertEqual(t.rowCount, 3)
    XCTAssertEqual(try t.read("id"), Column(name: "id", values: .int64([7, 8, 9])))
    let name = try t.read("name")
    XCTAssertEqual(name.values, .string(["a|b", "say \"hi\"\nthere", ""]))
    XCTAssertNil(name.validity, "a quoted empty field is an empty string, not null")
    let n = try t.read("n")
    XCTAssertEqual(n.values, .int64([1, 0, 3]))
    XCTAssertEqual(n.validity, [true, false, true])
    let x = try t.read("x")
    guard case .double(let xs) = x.values else { return XCTFail("x is \(x.values)") }
    XCTAssertEqual(xs[0], 1.5)
    XCTAssertEqual(xs[1], 2)
    XCTAssertEqual(x.validity, [true, true, false])
    XCTAssertThrowsError(try t.read("nope")) { XCTAssert("\($0)".contains("column 'nope' does not exist (columns: id, name, n, x)")) }
  }

  func testRaggedRowsAndUnclosedQuotes() {
    let dir = tempDir()
    write(dir, "a.csv", "a,b\n1,2\n3\n")
    XCTAssertThrowsError(try CSVTable(path: dir + "/a.csv")) { XCTAssertEqual("\($0)", "\(dir)/a.csv, row 2: has 1 fields, the header has 2 (line 3)") }
    write(dir, "b.csv", "a,b\n1,\"2\n")
    XCTAssertThrowsError(try CSVTable(path: dir + "/b.csv")) { XCTAssert("\($0)".contains("never closed")) }
    XCTAssertThrowsError(try CSVTable(path: dir + "/c.csv")) { XCTAssert("\($0)".contains("does not exist")) }
  }
}

final class TransformTests: XCTestCase {
  func numeric(_ x: [Float], _ w: Int = 1) -> RawFeature { .numeric(x, width: w) }

  func testMaxMinNormLearnsPerDimensionAndHonoursBounds() throws {
    let (v, w, p) = try Transforms.apply(.maxMinNorm(maxBound: nil, minBound: nil, maxVal: nil, minVal: nil),
                                         numeric([0, 10, 5, 20, 10, 30], 2), rows: 3, where_: "t")
    XCTAssertEqual(w, 2)
    XCTAssertEqual(v, [0, 0, 0.5, 0.5, 1, 1])
    XCTAssertEqual(p, .maxMinNorm(maxBound: nil, minBound: nil, maxVal: [10, 30], minVal: [0, 10]))
    let (b, _, _) = try Transforms.apply(.maxMinNorm(maxBound: 4, minBound: 1, maxVal: nil, minVal: nil),
                                         numeric([0, 2.5, 10]), rows: 3, where_: "t")
    XCTAssertEqual(b, [0, 0.5, 1])
    let (given, _, _) = try Transforms.apply(.maxMinNorm(maxBound: nil, minBound: nil, maxVal: [100], minVal: [0]),
                                             numeric([50]), rows: 1, where_: "t")
    XCTAssertEqual(given, [0.5])
  }

  func testStandardDividesBySum() throws {
    let (v, _, p) = try Transforms.apply(.standard(sum: nil), numeric([1, 3, 4]), rows: 3, where_: "t")
    XCTAssertEqual(v, [0.125, 0.375, 0.5])
    XCTAssertEqual(p, .standard(sum: [8]))
  }

  func testRankGauss() throws {
    let (v, _, _) = try Transforms.apply(.rankGauss(epsilon: nil, uniquify: false), numeric([30, 10, 20]), rows: 3, where_: "t")
    // ranks 2, 0, 1 → 1−ε, −1+ε, 0 → erfinv
    XCTAssertEqual(v[2], 0, accuracy: 1e-7)
    XCTAssertEqual(Double(v[0]), Transforms.erfinv(1 - 1e-6), accuracy: 1e-5)
    XCTAssertEqual(v[1], -v[0])
    XCTAssertEqual(Transforms.erfinv(0.5), 0.4769362762044699, accuracy: 1e-12)
    XCTAssertEqual(Transforms.erfinv(-0.999), -2.326753765513525, accuracy: 1e-10)
    let (u, _, _) = try Transforms.apply(.rankGauss(epsilon: 0.01, uniquify: true), numeric([5, 5, 9]), rows: 3, where_: "t")
    XCTAssertEqual(u[0], u[1])
    XCTAssertEqual(Double(u[2]), Transforms.erfinv(0.99), accuracy: 1e-5)
  }

  func testToCategoricalLearnsSortedMappingAndMultiHot() throws {
    let (v, w, p) = try Transforms.apply(.toCategorical(separator: nil, mapping: nil),
                                         .text(["b", "a", nil, "b"], numericKeys: false), rows: 4, where_: "t")
    XCTAssertEqual(w, 2)
    XCTAssertEqual(v, [0, 1, 1, 0, 0, 0, 0, 1])
    XCTAssertEqual(p, .toCategorical(separator: nil, mapping: ["a": 0, "b": 1]))
    let (m, mw, _) = try Transforms.apply(.toCategorical(separator: ",", mapping: nil),
                                          .text(["x,y", "z", "y"], numericKeys: false), rows: 3, where_: "t")
    XCTAssertEqual(mw, 3)
    XCTAssertEqual(m, [1, 1, 0, 0, 0, 1, 0, 1, 0])
    // Integers sort numerically; unseen values at inference map to zeros.
    let (_, _, ip) = try Transforms.apply(.toCategorical(separator: nil, mapping: nil), numeric([10, 2, 2]), rows: 3, where_: "t")
    XCTAssertEqual(ip, .toCategorical(separator: nil, mapping: ["2": 0, "10": 1]))
    let (z, _, _) = try Transforms.apply(.toCategorical(separator: nil, mapping: ["2": 0, "10": 1]), numeric([7]), rows: 1, where_: "t")
    XCTAssertEqual(z, [0, 0])
  }

  func testBucketNumerical() throws {
    let t = FeatureTransform.bucketNumerical(low: 0, high: 10, bucketCount: 5, slideWindowSize: 0)
    let (v, w, _) = try Transforms.apply(t, numeric([1, 9.5, -3, 12]), rows: 4, where_: "t")
    XCTAssertEqual(w, 5)
    XCTAssertEqual(v, [1, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 1, /**/ 1, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 1])
    let (s, _, _) = try Transforms.apply(.bucketNumerical(low: 0, high: 10, bucketCount: 5, slideWindowSize: 3),
                                         numeric([5]), rows: 1, where_: "t")
    XCTAssertEqual(s, [0, 1, 1, 1, 0])
  }

  func testTextIntoANumericTransformIsAnError() {
    XCTAssertThrowsError(try Transforms.apply(.standard(sum: nil), .text(["a"], numericKeys: false), rows: 1, where_: "feature 'f'")) {
      XCTAssert("\($0)".contains("feature 'f'"))
    }
  }
}
