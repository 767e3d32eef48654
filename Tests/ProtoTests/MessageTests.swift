import Proto
import XCTest

/// The three tests every message gets (DESIGN principle 5): golden bytes, round trip, drip-feed.
final class MessageTests: XCTestCase {
  func testEveryKindHasAGolden() {
    let covered = Set(goldens.map { $0.message.kind })
    for kind in MessageKind.allCases {
      XCTAssertTrue(covered.contains(kind), "no golden instance for \(kind)")
    }
  }

  func testGoldenPayloadBytes() {
    for g in goldens {
      XCTAssertEqual(g.message.encodePayload(), g.payload, "payload of \(g.name)")
      XCTAssertEqual(g.message.estimatedPayloadSize >= 0, true)
    }
  }

  func testGoldenFrames() {
    for g in goldens {
      let frame = g.message.encodeFrame(requestID: 0x0102_0304_0506_0708)
      let expected = header(kind: g.message.kind.rawValue, requestID: 0x0102_0304_0506_0708,
                            length: g.payload.count, crc: CRC32.checksum(g.payload)) + g.payload
      XCTAssertEqual(frame, expected, "frame of \(g.name)")
      XCTAssertEqual(g.message.frame(requestID: 0x0102_0304_0506_0708).encoded(), expected)
    }
  }

  /// Two frames written out completely by hand, crc32s from Python's zlib.crc32.
  func testLiteralFrames() {
    let heartbeat: [UInt8] = [
      0x47, 0x55, 0x53, 0x54, 0x01, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
      0x51, 0x1F, 0xDF, 0xDC,
      0xEF, 0xBE, 0xAD, 0xDE, 0x00, 0x00, 0x00, 0x00,
    ]
    XCTAssertEqual(Message.heartbeat(Heartbeat(token: 0xDEAD_BEEF)).encodeFrame(requestID: 5),
                   heartbeat)
    let hello: [UInt8] = [
      0x47, 0x55, 0x53, 0x54, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0E, 0x00, 0x00, 0x00,
      0x00, 0x9A, 0x90, 0xCB,
      0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD,
    ]
    let m = Message.hello(Hello(role: .trainer, rank: 3, nonce: [0xAA, 0xBB, 0xCC, 0xDD]))
    XCTAssertEqual(m.encodeFrame(requestID: 42), hello)
    var buffer = InboundBuffer(hello)
    var decoder = FrameDecoder()
    let f = try? decoder.decode(buffer: &buffer)
    XCTAssertEqual(f?.requestID, 42)
    XCTAssertEqual(try f?.message(), m)
  }

  func testGoldenDecode() throws {
    for g in goldens {
      XCTAssertEqual(try Message.decode(kind: g.message.kind, payload: g.payload), g.message,
                     "decode of \(g.name)")
    }
  }

  func testRoundTrip() throws {
    for g in goldens {
      let decoded = try Message.decode(kind: g.message.kind, payload: g.message.encodePayload())
      XCTAssertEqual(decoded, g.message, g.name)
    }
  }

  func testDripFeedEachMessage() {
    for g in goldens { DripFeed.verify([g.message]) }
  }

  func testDripFeedAllMessagesInOneStream() {
    DripFeed.verify(goldens.map(\.message))
    DripFeed.verify(goldens.map(\.message).reversed() + goldens.map(\.message))
  }

  /// Every strict prefix of every payload is an error (never a crash, never a wrong message).
  func testTruncatedPayloads() {
    for g in goldens where !g.payload.isEmpty {
      for n in 0..<g.payload.count {
        XCTAssertThrowsError(try Message.decode(kind: g.message.kind,
                                                payload: Array(g.payload[..<n]))) { e in
          let pe = e as? ProtoError
          XCTAssertEqual(pe?.code, .truncated, "\(g.name) cut at \(n): \(e)")
          XCTAssertEqual(pe?.kind, g.message.kind)
        }
      }
    }
  }

  func testTrailingBytesAreMalformed() {
    for g in goldens {
      XCTAssertThrowsError(try Message.decode(kind: g.message.kind, payload: g.payload + [0])) {
        XCTAssertEqual(($0 as? ProtoError)?.code, .malformed, g.name)
      }
    }
  }

  func testReplyKindsAreDistinct() {
    for kind in MessageKind.allCases where !kind.isReply {
      let reply = kind.replyKind
      XCTAssertNotNil(reply, "\(kind) has no reply kind")
      XCTAssertTrue(reply?.isReply ?? false)
      XCTAssertNotEqual(reply, kind)
    }
    XCTAssertTrue(MessageKind.error.isReply)
  }
}
