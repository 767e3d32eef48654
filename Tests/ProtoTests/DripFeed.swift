import Proto
import XCTest

/// swift-nio's ByteToMessageDecoderVerifier idea for FrameDecoder: the same byte stream must
/// decode to the same frames whether it arrives all at once, one byte at a time, or in random
/// chunks, and nothing may be left over.
enum DripFeed {
  enum Strategy: CustomStringConvertible {
    case allAtOnce
    case oneByteAtATime
    case randomChunks(seed: UInt64)

    var description: String {
      switch self {
      case .allAtOnce: "all at once"
      case .oneByteAtATime: "one byte at a time"
      case .randomChunks(let seed): "random chunks (seed \(seed))"
      }
    }
  }

  static func decodeAll(_ stream: [UInt8], _ strategy: Strategy, maxPayload: Int = 1 << 20)
    throws -> [Frame]
  {
    var decoder = FrameDecoder(maxPayload: maxPayload)
    var buffer = InboundBuffer(capacity: 16)
    var frames: [Frame] = []
    var rng = SplitMix(seed: 1)
    if case .randomChunks(let seed) = strategy { rng = SplitMix(seed: seed) }
    var i = 0
    while i < stream.count {
      let n: Int
      switch strategy {
      case .allAtOnce: n = stream.count
      case .oneByteAtATime: n = 1
      case .randomChunks: n = 1 + Int(rng.next() % 97)
      }
      let end = min(stream.count, i + n)
      buffer.write(stream[i..<end])
      i = end
      while let f = try decoder.decode(buffer: &buffer) { frames.append(f) }
    }
    XCTAssertEqual(buffer.readableBytes, 0, "bytes left over (\(strategy))")
    XCTAssertNil(decoder.pendingFrameSize, "a frame still pending (\(strategy))")
    return frames
  }

  static let strategies: [Strategy] = [
    .allAtOnce, .oneByteAtATime, .randomChunks(seed: 7), .randomChunks(seed: 99),
  ]

  /// Checks that `messages` framed back to back come out as the same messages and ids under
  /// every strategy.
  static func verify(_ messages: [Message], file: StaticString = #filePath, line: UInt = #line) {
    var stream: [UInt8] = []
    for (i, m) in messages.enumerated() {
      stream += m.encodeFrame(requestID: UInt64(1000 + i))
    }
    for strategy in strategies {
      do {
        let frames = try decodeAll(stream, strategy)
        XCTAssertEqual(frames.count, messages.count, "\(strategy)", file: file, line: line)
        for (i, f) in frames.enumerated() where i < messages.count {
          XCTAssertEqual(f.requestID, UInt64(1000 + i), file: file, line: line)
          XCTAssertEqual(f.kind, messages[i].kind, file: file, line: line)
          XCTAssertEqual(try f.message(), messages[i], "\(strategy)", file: file, line: line)
        }
      } catch {
        XCTFail("\(strategy): \(error)", file: file, line: line)
      }
    }
  }
}

/// SplitMix64: a tiny seeded generator for tests.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
