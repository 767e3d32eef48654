import XCTest
@testable import Collective

/// The ring links' framing (docs/ARCHITECTURE.md, "Ring links"): golden bytes and round trips.
final class RingWireTests: XCTestCase {
  func testHeaderGoldenBytes() {
    let h = RingHeader(op: .allReduce, arg: 1, step: 3, sequence: 0x0102_0304, root: 5,
                       count: 1_000_003, length: 0x0004_0000)
    XCTAssertEqual(h.bytes, [
      0x47, 0x52, 0x4E, 0x47,              // "GRNG"
      0x01, 0x01, 0x03, 0x00,              // op allReduce, arg mean, step 3
      0x04, 0x03, 0x02, 0x01,              // sequence
      0x05, 0x00, 0x00, 0x00,              // root
      0x43, 0x42, 0x0F, 0x00, 0, 0, 0, 0,  // count 1 000 003
      0x00, 0x00, 0x04, 0x00,              // length 262144
    ])
    XCTAssertEqual(try RingHeader.parse(h.bytes).get(), h)
  }

  func testEveryOpRoundTripsAndGarbageIsNamed() throws {
    for op in [RingHeader.Op.allReduce, .broadcast, .allGather, .barrier, .abort] {
      let h = RingHeader(op: op, step: 65535, sequence: .max, root: 7, count: .max, length: .max)
      XCTAssertEqual(try RingHeader.parse(h.bytes).get(), h)
    }
    var bad = RingHeader(op: .barrier, sequence: 1, count: 0, length: 0).bytes
    bad[0] = 0x48
    guard case .failure(let e) = RingHeader.parse(bad) else { return XCTFail() }
    XCTAssertTrue(e.text.contains("not a ring message header"), e.text)
    bad[0] = 0x47
    bad[4] = 9
    guard case .failure(let e2) = RingHeader.parse(bad) else { return XCTFail() }
    XCTAssertTrue(e2.text.contains("unknown op 9"), e2.text)
  }

  func testAbortPayloadGoldenBytesAndRoundTrip() {
    let a = RingAbort(culprit: 2, code: .peerClosed, reporter: 3, message: "closed")
    XCTAssertEqual(a.payload, [2, 0, 0, 0, 2, 3, 0, 0, 0] + Array("closed".utf8))
    XCTAssertEqual(RingAbort(payload: a.payload), a)
    let none = RingAbort(culprit: nil, code: .timeout, reporter: 0, message: "")
    XCTAssertEqual(none.payload, [0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 0])
    XCTAssertEqual(RingAbort(payload: none.payload), none)
    XCTAssertNil(RingAbort(payload: [1, 2, 3]))
  }

  func testVectorAddAndDivideMatchScalarArithmetic() {
    for n in [0, 1, 15, 16, 17, 33, 1000] {
      var dst = (0..<n).map { Float($0) * 0.25 - 3 }
      let src = (0..<n).map { Float($0 % 7) - 1.5 }
      let expectedSum = zip(dst, src).map { $0 + $1 }
      let expectedMean = expectedSum.map { $0 / 3 }
      var sum = dst
      sum.withUnsafeMutableBytes { d in src.withUnsafeBytes { s in addFloats(d.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 4)!, s.baseAddress ?? UnsafeRawPointer(bitPattern: 4)!, n) } }
      XCTAssertEqual(sum, expectedSum)
      dst.withUnsafeMutableBytes { d in src.withUnsafeBytes { s in addFloatsThenDivide(d.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 4)!, s.baseAddress ?? UnsafeRawPointer(bitPattern: 4)!, n, 3) } }
      XCTAssertEqual(dst, expectedMean)
    }
  }
}
