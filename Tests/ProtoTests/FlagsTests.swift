import Proto
import XCTest

/// The envelope's flag bits: unchecked payloads (no crc32) only for receivers that opt in.
final class FlagsTests: XCTestCase {
  let message = Message.embeddings(FloatRows(width: 2, values: [1, 2, 3, 4]))

  func testUncheckedFrameHasFlagAndZeroCRCAndOtherwiseTheSameBytes() {
    let checked = message.encodeFrame(requestID: 7)
    let unchecked = message.encodeFrame(requestID: 7, flags: Proto.Flags.uncheckedPayload)
    XCTAssertEqual(Array(unchecked[8..<12]), [1, 0, 0, 0])
    XCTAssertEqual(Array(unchecked[24..<28]), [0, 0, 0, 0])
    XCTAssertEqual(Array(unchecked[28...]), Array(checked[28...]))
    XCTAssertEqual(message.frame(requestID: 7, flags: Proto.Flags.uncheckedPayload).encoded(), unchecked)
  }

  func testUncheckedPayloadRefusedUnlessTheReceiverOptsIn() throws {
    let bytes = message.encodeFrame(requestID: 7, flags: Proto.Flags.uncheckedPayload)
    var decoder = FrameDecoder()
    var buffer = InboundBuffer(bytes)
    XCTAssertThrowsError(try decoder.decode(buffer: &buffer)) {
      XCTAssertEqual(($0 as? ProtoError)?.code, .checksumMismatch)
    }
    decoder = FrameDecoder()
    decoder.acceptsUncheckedPayload = true
    buffer = InboundBuffer(bytes)
    let frame = try XCTUnwrap(try decoder.decode(buffer: &buffer))
    XCTAssertEqual(try frame.message(), message)
    XCTAssertEqual(frame.flags, Proto.Flags.uncheckedPayload)
  }

  func testCompletePendingChecksTheCRCOfAPayloadReadElsewhere() throws {
    let bytes = message.encodeFrame(requestID: 9)
    var decoder = FrameDecoder()
    var buffer = InboundBuffer(Array(bytes[..<(Proto.headerSize + 3)]))
    XCTAssertNil(try decoder.decode(buffer: &buffer))
    var payload = [UInt8](repeating: 0, count: bytes.count - Proto.headerSize)
    XCTAssertEqual(payload.withUnsafeMutableBytes { buffer.read(into: $0) }, 3)
    payload.replaceSubrange(3..., with: bytes[(Proto.headerSize + 3)...])
    XCTAssertEqual(try decoder.completePending(payload: payload).message(), message)
    // Corrupt bytes are caught.
    buffer = InboundBuffer(Array(bytes[..<Proto.headerSize]))
    XCTAssertNil(try decoder.decode(buffer: &buffer))
    payload[5] ^= 1
    XCTAssertThrowsError(try decoder.completePending(payload: payload))
  }

  func testFrameBuiltInPlaceEqualsEncodeFrame() {
    var w = WireWriter.frame(reservingPayload: 64)
    message.encodePayload(into: &w)
    var bytes = w.take()
    Frame.seal(&bytes, kind: message.kind, requestID: 3)
    XCTAssertEqual(bytes, message.encodeFrame(requestID: 3))
  }
}
