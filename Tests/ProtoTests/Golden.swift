import Proto

// Hand-written little-endian byte builders, independent of WireWriter, so golden bytes are an
// outside opinion of the layout in Proto.swift.
func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }
func i32(_ v: Int32) -> [UInt8] { u32(UInt32(bitPattern: v)) }
func i64(_ v: Int64) -> [UInt8] { u64(UInt64(bitPattern: v)) }
func str(_ s: String) -> [UInt8] { u32(UInt32(s.utf8.count)) + Array(s.utf8) }

/// The 28-byte header, written out field by field.
func header(kind: UInt16, requestID: UInt64, length: Int, crc: UInt32) -> [UInt8] {
  [0x47, 0x55, 0x53, 0x54] + [0x01, 0x00] + u16(kind) + [0, 0, 0, 0] + u64(requestID)
    + u32(UInt32(length)) + u32(crc)
}

struct Golden {
  var name: String
  var message: Message
  var payload: [UInt8]
}

/// One small instance of every message kind with its payload bytes written by hand.
/// Floats: 1.5 = 3FC00000, -2 = C0000000, 0.25 = 3E800000, 0.5 = 3F000000.
let goldens: [Golden] = [
  Golden(name: "hello", message: .hello(Hello(role: .trainer, rank: 3, nonce: [0xAA, 0xBB, 0xCC, 0xDD])),
         payload: [0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD]),
  Golden(name: "challenge", message: .challenge(Challenge(nonce: [1, 2, 3])),
         payload: [0x03, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03]),
  Golden(name: "proof", message: .proof(Proof(hmac: [0xFF, 0x00])),
         payload: [0x02, 0x00, 0x00, 0x00, 0xFF, 0x00]),
  Golden(name: "authOK", message: .authOK(AuthOK(serverProof: [0x7E])),
         payload: [0x01, 0x00, 0x00, 0x00, 0x7E]),
  Golden(name: "partitionInfoRequest", message: .partitionInfoRequest, payload: []),
  Golden(
    name: "partitionInfo",
    message: .partitionInfo(PartitionInfo(
      partitionID: 1, numPartitions: 3, nodeTypes: ["a", "bc"], edgeTypes: ["r"],
      edgeSrcTypes: [0], edgeDstTypes: [1], nodeRanges: [10, 20, 100, 150], edgeRanges: [5, 9])),
    payload: [0x01, 0, 0, 0] + [0x03, 0, 0, 0]
      + [0x02, 0, 0, 0] + [0x01, 0, 0, 0, 0x61] + [0x02, 0, 0, 0, 0x62, 0x63]
      + [0x01, 0, 0, 0] + [0x01, 0, 0, 0, 0x72]
      + [0x01, 0, 0, 0] + [0, 0, 0, 0]
      + [0x01, 0, 0, 0] + [0x01, 0, 0, 0]
      + [0x04, 0, 0, 0] + i64(10) + i64(20) + i64(100) + i64(150)
      + [0x02, 0, 0, 0] + i64(5) + i64(9)),
  Golden(
    name: "sampleNeighbors",
    message: .sampleNeighbors(SampleNeighborsRequest(
      seeds: [7, -1], fanouts: [Fanout(edgeType: 0, fanout: 10), Fanout(edgeType: 2, fanout: -1)],
      maskField: "train", excludedEdges: [42], seed: 0x0102_0304_0506_0708)),
    payload: [0x02, 0, 0, 0] + [7, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8)
      + [0x02, 0, 0, 0] + [0, 0, 0, 0] + [10, 0, 0, 0] + [2, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF]
      + [0x01] + [0x05, 0, 0, 0] + Array("train".utf8)
      + [0x01, 0, 0, 0] + [42, 0, 0, 0, 0, 0, 0, 0]
      + [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01]),
  Golden(
    name: "sampleNeighbors (no mask)",
    message: .sampleNeighbors(SampleNeighborsRequest(seeds: [], fanouts: [], seed: 0)),
    payload: [0, 0, 0, 0] + [0, 0, 0, 0] + [0x00] + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0]),
  Golden(
    name: "sampledNeighbors",
    message: .sampledNeighbors(SampleNeighborsReply(edges: [
      SampledEdges(edgeType: 2, dst: [7], src: [9], edgeIDs: [100])
    ])),
    payload: u32(1) + i32(2) + u32(1) + i64(7) + u32(1) + i64(9) + u32(1) + i64(100)),
  Golden(
    name: "pullNodeFeatures",
    message: .pullNodeFeatures(PullFeatures(typeID: 1, fields: ["feat"], ids: [3, 4])),
    payload: i32(1) + u32(1) + str("feat") + u32(2) + i64(3) + i64(4)),
  Golden(
    name: "nodeFeatures",
    message: .nodeFeatures(FeatureRows(fields: [FloatRows(width: 2, values: [1.5, -2, 0.25, 0])])),
    payload: u32(1) + u32(2) + u32(4)
      + [0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x80, 0x3E, 0, 0, 0, 0]),
  Golden(
    name: "pullEdgeFeatures",
    message: .pullEdgeFeatures(PullFeatures(typeID: 0, fields: ["w"], ids: [5])),
    payload: i32(0) + u32(1) + str("w") + u32(1) + i64(5)),
  Golden(
    name: "edgeFeatures",
    message: .edgeFeatures(FeatureRows(fields: [
      FloatRows(width: 1, values: [0.5]), FloatRows(width: 0, values: []),
    ])),
    payload: u32(2) + u32(1) + u32(1) + [0x00, 0x00, 0x00, 0x3F] + u32(0) + u32(0)),
  Golden(
    name: "pullLabelsMasks",
    message: .pullLabelsMasks(PullLabelsMasks(fields: ["label", "train_mask"], ids: [1])),
    payload: u32(2) + str("label") + str("train_mask") + u32(1) + i64(1)),
  Golden(
    name: "labelsMasks",
    message: .labelsMasks(LabelsMasks(columns: [
      .int64(width: 1, values: [3]), .uint8(width: 1, values: [1]),
      .float32(width: 1, values: [0.5]),
    ])),
    payload: u32(3) + [0x02] + u32(1) + u32(1) + i64(3) + [0x03] + u32(1) + u32(1) + [0x01]
      + [0x01] + u32(1) + u32(1) + [0x00, 0x00, 0x00, 0x3F]),
  Golden(
    name: "pullEmbeddings",
    message: .pullEmbeddings(PullEmbeddings(nodeType: 2, ids: [8])),
    payload: i32(2) + u32(1) + i64(8)),
  Golden(
    name: "embeddings",
    message: .embeddings(FloatRows(width: 2, values: [1.5, 0.5])),
    payload: u32(2) + u32(2) + [0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0x3F]),
  Golden(
    name: "pushEmbeddingGradients",
    message: .pushEmbeddingGradients(PushEmbeddingGradients(
      nodeType: 2, ids: [8], gradients: FloatRows(width: 2, values: [0.25, -2]),
      learningRate: 0.5)),
    payload: i32(2) + u32(1) + i64(8) + u32(2) + u32(2)
      + [0x00, 0x00, 0x80, 0x3E, 0x00, 0x00, 0x00, 0xC0] + [0x00, 0x00, 0x00, 0x3F]),
  Golden(name: "embeddingGradientsApplied", message: .embeddingGradientsApplied(RowCount(rows: 1)),
         payload: [1, 0, 0, 0, 0, 0, 0, 0]),
  Golden(
    name: "dumpEmbeddings",
    message: .dumpEmbeddings(EmbeddingFile(nodeType: 2, path: "/tmp/e.bin")),
    payload: i32(2) + [10, 0, 0, 0] + Array("/tmp/e.bin".utf8)),
  Golden(name: "embeddingsDumped", message: .embeddingsDumped(RowCount(rows: 300)),
         payload: [0x2C, 0x01, 0, 0, 0, 0, 0, 0]),
  Golden(
    name: "loadEmbeddings",
    message: .loadEmbeddings(EmbeddingFile(nodeType: 0, path: "é")),
    payload: [0, 0, 0, 0] + [2, 0, 0, 0] + [0xC3, 0xA9]),
  Golden(name: "embeddingsLoaded", message: .embeddingsLoaded(RowCount(rows: 0)),
         payload: [0, 0, 0, 0, 0, 0, 0, 0]),
  Golden(
    name: "dumpEmbeddingOptimizer",
    message: .dumpEmbeddingOptimizer(EmbeddingFile(nodeType: 1, path: "/a.adam")),
    payload: i32(1) + [7, 0, 0, 0] + Array("/a.adam".utf8)),
  Golden(name: "embeddingOptimizerDumped", message: .embeddingOptimizerDumped(RowCount(rows: 2)),
         payload: [2, 0, 0, 0, 0, 0, 0, 0]),
  Golden(
    name: "loadEmbeddingOptimizer",
    message: .loadEmbeddingOptimizer(EmbeddingFile(nodeType: 3, path: "x")),
    payload: [3, 0, 0, 0] + [1, 0, 0, 0] + [0x78]),
  Golden(name: "embeddingOptimizerLoaded", message: .embeddingOptimizerLoaded(RowCount(rows: 0x0102)),
         payload: [2, 1, 0, 0, 0, 0, 0, 0]),
  Golden(name: "heartbeat", message: .heartbeat(Heartbeat(token: 0xDEAD_BEEF)),
         payload: [0xEF, 0xBE, 0xAD, 0xDE, 0, 0, 0, 0]),
  Golden(name: "heartbeatReply", message: .heartbeatReply(Heartbeat(token: 1)),
         payload: [1, 0, 0, 0, 0, 0, 0, 0]),
  Golden(name: "shutdown", message: .shutdown, payload: []),
  Golden(name: "shutdownAck", message: .shutdownAck, payload: []),
  Golden(
    name: "error",
    message: .error(ErrorReply(code: .unknownID, message: "no id 9", requestID: 77)),
    payload: [0x02, 0x00] + [7, 0, 0, 0] + Array("no id 9".utf8) + u64(77)),
]
