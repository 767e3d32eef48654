import Proto
import XCTest

/// Seeded random instances of every message: encode → decode is the identity, and a stream of
/// them survives every drip-feed strategy.
struct MessageGenerator {
  var rng: SplitMix

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
  mutating func count() -> Int { rng.next() % 5 == 0 ? 0 : int(0...24) }
  mutating func i64s() -> [Int64] { (0..<count()).map { _ in Int64(bitPattern: rng.next()) } }
  mutating func i32() -> Int32 { Int32(truncatingIfNeeded: rng.next()) }
  mutating func bytes() -> [UInt8] { (0..<count()).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
  mutating func float() -> Float {
    // Finite values only (NaN != NaN would defeat ==), including signed zero and subnormals.
    switch rng.next() % 8 {
    case 0: return 0
    case 1: return -0.0
    case 2: return .leastNonzeroMagnitude
    case 3: return -.greatestFiniteMagnitude
    default: return Float.random(in: -1e6...1e6, using: &rng)
    }
  }
  mutating func rows() -> FloatRows {
    let width = int(0...5)
    let n = width == 0 ? 0 : count() * width
    return FloatRows(width: width, values: (0..<n).map { _ in float() })
  }
  mutating func string() -> String {
    let alphabet: [String] = ["a", "z", "_", "/", "é", "図", "🙂", " ", "0"]
    return (0..<int(0...12)).map { _ in alphabet[int(0...(alphabet.count - 1))] }.joined()
  }
  mutating func strings() -> [String] { (0..<int(0...5)).map { _ in string() } }
  mutating func column() -> Column {
    let width = int(0...3)
    let n = width == 0 ? 0 : count() * width
    switch rng.next() % 3 {
    case 0: return .float32(width: width, values: (0..<n).map { _ in float() })
    case 1: return .int64(width: width, values: (0..<n).map { _ in Int64(bitPattern: rng.next()) })
    default: return .uint8(width: width, values: (0..<n).map { _ in UInt8(rng.next() % 2) })
    }
  }

  mutating func message(_ kind: MessageKind) -> Message {
    switch kind {
    case .hello:
      return .hello(Hello(role: ClientRole.allCases[int(0...3)], rank: UInt32(truncatingIfNeeded: rng.next()),
                          nonce: bytes()))
    case .challenge: return .challenge(Challenge(nonce: bytes()))
    case .proof: return .proof(Proof(hmac: bytes()))
    case .authOK: return .authOK(AuthOK(serverProof: bytes()))
    case .partitionInfoRequest: return .partitionInfoRequest
    case .partitionInfo:
      let nt = strings(), et = strings()
      return .partitionInfo(PartitionInfo(
        partitionID: UInt32(int(0...64)), numPartitions: UInt32(int(1...64)), nodeTypes: nt,
        edgeTypes: et, edgeSrcTypes: et.map { _ in i32() }, edgeDstTypes: et.map { _ in i32() },
        nodeRanges: (0..<(2 * nt.count)).map { _ in Int64(int(0...1_000_000)) },
        edgeRanges: (0..<(2 * et.count)).map { _ in Int64(int(0...1_000_000)) }))
    case .sampleNeighbors:
      return .sampleNeighbors(SampleNeighborsRequest(
        seeds: i64s(), fanouts: (0..<int(0...6)).map { _ in Fanout(edgeType: i32(), fanout: Int32(int(-1...30))) },
        maskField: rng.next() % 2 == 0 ? nil : string(), excludedEdges: i64s(), seed: rng.next()))
    case .sampledNeighbors:
      return .sampledNeighbors(SampleNeighborsReply(edges: (0..<int(0...4)).map { _ in
        let n = count()
        let ids = { (g: inout MessageGenerator) in (0..<n).map { _ in Int64(bitPattern: g.rng.next()) } }
        return SampledEdges(edgeType: i32(), dst: ids(&self), src: ids(&self), edgeIDs: ids(&self))
      }))
    case .pullNodeFeatures: return .pullNodeFeatures(PullFeatures(typeID: i32(), fields: strings(), ids: i64s()))
    case .nodeFeatures: return .nodeFeatures(FeatureRows(fields: (0..<int(0...4)).map { _ in rows() }))
    case .pullEdgeFeatures: return .pullEdgeFeatures(PullFeatures(typeID: i32(), fields: strings(), ids: i64s()))
    case .edgeFeatures: return .edgeFeatures(FeatureRows(fields: (0..<int(0...4)).map { _ in rows() }))
    case .pullLabelsMasks: return .pullLabelsMasks(PullLabelsMasks(fields: strings(), ids: i64s()))
    case .labelsMasks: return .labelsMasks(LabelsMasks(columns: (0..<int(0...4)).map { _ in column() }))
    case .pullEmbeddings: return .pullEmbeddings(PullEmbeddings(nodeType: i32(), ids: i64s()))
    case .embeddings: return .embeddings(rows())
    case .pushEmbeddingGradients:
      let g = rows()
      let ids = (0..<g.rowCount).map { _ in Int64(bitPattern: rng.next()) }
      return .pushEmbeddingGradients(PushEmbeddingGradients(nodeType: i32(), ids: ids, gradients: g,
                                                            learningRate: float()))
    case .embeddingGradientsApplied: return .embeddingGradientsApplied(RowCount(rows: rng.next()))
    case .dumpEmbeddings: return .dumpEmbeddings(EmbeddingFile(nodeType: i32(), path: string()))
    case .embeddingsDumped: return .embeddingsDumped(RowCount(rows: rng.next()))
    case .loadEmbeddings: return .loadEmbeddings(EmbeddingFile(nodeType: i32(), path: string()))
    case .embeddingsLoaded: return .embeddingsLoaded(RowCount(rows: rng.next()))
    case .dumpEmbeddingOptimizer: return .dumpEmbeddingOptimizer(EmbeddingFile(nodeType: i32(), path: string()))
    case .embeddingOptimizerDumped: return .embeddingOptimizerDumped(RowCount(rows: rng.next()))
    case .loadEmbeddingOptimizer: return .loadEmbeddingOptimizer(EmbeddingFile(nodeType: i32(), path: string()))
    case .embeddingOptimizerLoaded: return .embeddingOptimizerLoaded(RowCount(rows: rng.next()))
    case .heartbeat: return .heartbeat(Heartbeat(token: rng.next()))
    case .heartbeatReply: return .heartbeatReply(Heartbeat(token: rng.next()))
    case .shutdown: return .shutdown
    case .shutdownAck: return .shutdownAck
    case .error:
      return .error(ErrorReply(code: ErrorCode(rawValue: UInt16(truncatingIfNeeded: rng.next())),
                               message: string(), requestID: rng.next()))
    }
  }
}

final class PropertyTests: XCTestCase {
  func testRandomRoundTrips() throws {
    var gen = MessageGenerator(rng: SplitMix(seed: 0x5EED))
    var checked = 0
    for _ in 0..<200 {
      for kind in MessageKind.allCases {
        let m = gen.message(kind)
        XCTAssertEqual(m.kind, kind)
        let payload = m.encodePayload()
        XCTAssertEqual(try Message.decode(kind: kind, payload: payload), m)
        // The estimate reserves the buffer; it should not be wildly off.
        XCTAssertLessThanOrEqual(payload.count, m.estimatedPayloadSize + 64, "\(kind)")
        checked += 1
      }
    }
    XCTAssertEqual(checked, 200 * MessageKind.allCases.count)
  }

  func testRandomStreamsSurviveEveryDripFeed() {
    var gen = MessageGenerator(rng: SplitMix(seed: 31337))
    for _ in 0..<10 {
      let messages = (0..<40).map { _ in
        gen.message(MessageKind.allCases[gen.int(0...(MessageKind.allCases.count - 1))])
      }
      DripFeed.verify(messages)
    }
  }

  /// A large frame (~1 MB) decoded in socket-sized chunks.
  func testLargeFrameInChunks() throws {
    let values = (0..<250_000).map { Float($0) * 0.5 }
    let m = Message.embeddings(FloatRows(width: 100, values: values))
    let stream = m.encodeFrame(requestID: 3) + Message.shutdown.encodeFrame(requestID: 4)
    for strategy in [DripFeed.Strategy.allAtOnce, .randomChunks(seed: 5)] {
      var decoder = FrameDecoder(maxPayload: 8 << 20)
      var buffer = InboundBuffer()
      var frames: [Frame] = []
      var i = 0
      var rng = SplitMix(seed: 9)
      while i < stream.count {
        let n: Int
        if case .allAtOnce = strategy { n = stream.count } else { n = 1 + Int(rng.next() % 200_000) }
        let end = min(stream.count, i + n)
        buffer.write(stream[i..<end])
        i = end
        while let f = try decoder.decode(buffer: &buffer) { frames.append(f) }
      }
      XCTAssertEqual(frames.count, 2)
      XCTAssertEqual(try frames.first?.message(), m)
      XCTAssertEqual(try frames.last?.message(), .shutdown)
    }
  }
}
