import Proto
import XCTest

final class CRC32Tests: XCTestCase {
  /// Reference values from Python's zlib.crc32.
  func testKnownValues() {
    XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
    XCTAssertEqual(CRC32.checksum(Array("a".utf8)), 0xE8B7_BE43)
    XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)),
                   0x414F_A339)
    let d = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
    XCTAssertEqual(CRC32.checksum(d), 0x17BC_2A46)
    let prefixes: [(Int, UInt32)] = [
      (1, 0x4B0B_BE37), (7, 0x5449_1CDB), (8, 0xE2E3_5978), (9, 0x3D35_1CFE),
      (15, 0x7C61_9EDC), (16, 0x191F_3D9F), (17, 0x7BA7_5EE3), (63, 0xB735_0C2A),
    ]
    for (n, crc) in prefixes { XCTAssertEqual(CRC32.checksum(d[..<n]), crc, "first \(n) bytes") }
  }

  func testIncrementalUpdateEqualsOneShot() {
    let d = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
    for split in [0, 1, 5, 8, 13, 500, 999, 1000] {
      let a = d[..<split].withUnsafeBytes { CRC32.update(0, $0) }
      let b = d[split...].withUnsafeBytes { CRC32.update(a, $0) }
      XCTAssertEqual(b, 0x17BC_2A46, "split at \(split)")
    }
  }
}

final class FrameDecoderTests: XCTestCase {
  private func decodeOne(_ bytes: [UInt8], maxPayload: Int = 1 << 20) throws -> Frame? {
    var decoder = FrameDecoder(maxPayload: maxPayload)
    var buffer = InboundBuffer(bytes)
    return try decoder.decode(buffer: &buffer)
  }

  private func expect(_ code: ProtoError.Code, _ bytes: [UInt8], maxPayload: Int = 1 << 20,
                      requestID: UInt64? = nil, file: StaticString = #filePath,
                      line: UInt = #line) {
    XCTAssertThrowsError(try decodeOne(bytes, maxPayload: maxPayload), file: file, line: line) {
      let e = $0 as? ProtoError
      XCTAssertEqual(e?.code, code, "\($0)", file: file, line: line)
      if let requestID { XCTAssertEqual(e?.requestID, requestID, file: file, line: line) }
    }
  }

  private let good = Message.heartbeat(Heartbeat(token: 9)).encodeFrame(requestID: 31)

  func testIncompleteHeaderAndPayloadNeedMoreBytes() throws {
    for n in 0..<good.count { XCTAssertNil(try decodeOne(Array(good[..<n])), "prefix \(n)") }
    XCTAssertNotNil(try decodeOne(good))
  }

  func testPendingFrameSizeIsKnownOnceTheHeaderIsIn() throws {
    var decoder = FrameDecoder()
    var buffer = InboundBuffer(Array(good[..<(Proto.headerSize + 2)]))
    XCTAssertNil(try decoder.decode(buffer: &buffer))
    XCTAssertEqual(decoder.pendingFrameSize, good.count)
    buffer.write(good[(Proto.headerSize + 2)...])
    XCTAssertNotNil(try decoder.decode(buffer: &buffer))
    XCTAssertNil(decoder.pendingFrameSize)
  }

  func testBadMagicIsSeenAtTheFirstWrongByte() {
    expect(.badMagic, [0x48])                              // 'H'
    expect(.badMagic, Array("GET / HTTP/1.1\r\n".utf8))    // 'G' is right, 'E' is not
    var wrong = good
    wrong[3] = 0x00
    expect(.badMagic, wrong)
    expect(.badMagic, Array(wrong[..<4]))
  }

  func testUnsupportedVersion() {
    var v2 = good
    v2[4] = 2
    expect(.unsupportedVersion, v2, requestID: 31)
  }

  func testUnknownKind() {
    var k = good
    k[6] = 0x34
    k[7] = 0x12
    expect(.unknownKind, k, requestID: 31)
  }

  /// A 4 GB length claim is refused from the 28 header bytes alone: nothing is buffered,
  /// nothing allocated.
  func testOversizeClaimRefusedBeforeAllocating() throws {
    let claim = header(kind: MessageKind.pullNodeFeatures.rawValue, requestID: 8,
                       length: Int(UInt32.max), crc: 0)
    var decoder = FrameDecoder(maxPayload: Proto.defaultMaxPayload)
    var buffer = InboundBuffer(claim)
    XCTAssertThrowsError(try decoder.decode(buffer: &buffer)) {
      let e = $0 as? ProtoError
      XCTAssertEqual(e?.code, .frameTooLarge)
      XCTAssertEqual(e?.requestID, 8)
      XCTAssertEqual(e?.kind, .pullNodeFeatures)
    }
    XCTAssertEqual(buffer.readableBytes, Proto.headerSize)
    XCTAssertNil(decoder.pendingFrameSize)
    // Exactly at the limit is fine, one byte over is not.
    let payload = [UInt8](repeating: 0, count: 8)
    let atLimit = header(kind: MessageKind.heartbeat.rawValue, requestID: 1, length: 8,
                         crc: CRC32.checksum(payload)) + payload
    XCTAssertNotNil(try decodeOne(atLimit, maxPayload: 8))
    expect(.frameTooLarge, atLimit, maxPayload: 7, requestID: 1)
  }

  func testBadCRC() {
    var flipped = good
    flipped[flipped.count - 1] ^= 0x01
    expect(.checksumMismatch, flipped, requestID: 31)
    var badHeaderCRC = good
    badHeaderCRC[24] ^= 0x80
    expect(.checksumMismatch, badHeaderCRC, requestID: 31)
  }

  func testRandomGarbageNeverCrashes() {
    var rng = SplitMix(seed: 2024)
    for _ in 0..<2000 {
      let n = Int(rng.next() % 64)
      var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      if rng.next() % 2 == 0 && n >= 4 { bytes.replaceSubrange(0..<4, with: Proto.magic) }
      if rng.next() % 2 == 0 && n >= 6 { bytes[4] = 1; bytes[5] = 0 }
      do { _ = try decodeOne(bytes) } catch { XCTAssertTrue(error is ProtoError) }
    }
  }

  /// Random payloads under every kind, framed with a correct crc: decoding either succeeds or
  /// throws a ProtoError, never crashes or allocates from a wild count.
  func testRandomPayloadsUnderEveryKindNeverCrash() {
    var rng = SplitMix(seed: 77)
    for kind in MessageKind.allCases {
      for _ in 0..<300 {
        let n = Int(rng.next() % 48)
        let payload = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next() % 4 == 0 ? 0xFF : rng.next() % 3) }
        do { _ = try Message.decode(kind: kind, payload: payload) } catch {
          XCTAssertTrue(error is ProtoError, "\(kind): \(error)")
        }
      }
    }
  }

  func testHugeCountsAreRefusedBeforeAllocating() {
    // [i64] seeds claiming 2^31 elements with 8 bytes behind the count.
    let seeds = u32(0x8000_0000) + i64(1)
    XCTAssertThrowsError(try Message.decode(kind: .sampleNeighbors, payload: seeds)) {
      XCTAssertEqual(($0 as? ProtoError)?.code, .truncated)
    }
    // A list of 4 billion strings.
    XCTAssertThrowsError(try Message.decode(kind: .pullLabelsMasks, payload: u32(.max))) {
      XCTAssertEqual(($0 as? ProtoError)?.code, .truncated)
    }
    // A string of 4 GB.
    XCTAssertThrowsError(
      try Message.decode(kind: .dumpEmbeddings, payload: i32(0) + u32(.max) + [0x41])) {
      XCTAssertEqual(($0 as? ProtoError)?.code, .truncated)
    }
  }

  func testMalformedContent() {
    let cases: [(String, MessageKind, [UInt8])] = [
      ("invalid UTF-8", .dumpEmbeddings, i32(0) + u32(2) + [0xC3, 0x28]),
      ("unknown role", .hello, u16(99) + u32(0) + u32(0)),
      ("flag byte 2", .sampleNeighbors, u32(0) + u32(0) + [0x02] + u32(0) + u64(0)),
      ("fanout -2", .sampleNeighbors, u32(0) + u32(1) + i32(0) + i32(-2) + [0] + u32(0) + u64(0)),
      ("unequal edge arrays", .sampledNeighbors,
       u32(1) + i32(0) + u32(1) + i64(1) + u32(0) + u32(0)),
      ("rows not filling width", .embeddings, u32(2) + u32(3) + [UInt8](repeating: 0, count: 12)),
      ("values with width 0", .embeddings, u32(0) + u32(1) + [0, 0, 0, 0]),
      ("column type 9", .labelsMasks, u32(1) + [9] + u32(1) + u32(0)),
      ("gradient rows vs ids", .pushEmbeddingGradients,
       i32(0) + u32(2) + i64(1) + i64(2) + u32(1) + u32(1) + [0, 0, 0, 0] + [0, 0, 0, 0]),
      ("ranges vs types", .partitionInfo,
       u32(0) + u32(1) + u32(1) + str("n") + u32(0) + u32(0) + u32(0) + u32(0) + u32(0)),
    ]
    for (name, kind, payload) in cases {
      XCTAssertThrowsError(try Message.decode(kind: kind, payload: payload), name) {
        XCTAssertEqual(($0 as? ProtoError)?.code, .malformed, "\(name): \($0)")
      }
    }
  }

  func testErrorDescriptionNamesKindAndRequest() {
    let e = ProtoError(.frameTooLarge, "too big", requestID: 12, kind: .pullEmbeddings)
    XCTAssertEqual(e.description,
                   "proto: pullEmbeddings (0x0015), request 12: frameTooLarge: too big")
  }

  func testInboundBufferReclaimsConsumedSpace() throws {
    var buffer = InboundBuffer(capacity: 64)
    var decoder = FrameDecoder()
    for round in 0..<100 {
      buffer.write(good)
      let f = try decoder.decode(buffer: &buffer)
      XCTAssertEqual(f?.requestID, 31, "round \(round)")
    }
    XCTAssertEqual(buffer.readableBytes, 0)
    XCTAssertLessThanOrEqual(buffer.writableBytes, 64)
  }
}
