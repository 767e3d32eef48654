import XCTest
@testable import Parquet

final class EncodingDictionaryTests: XCTestCase {
  func testGatherFixedWidth() throws {
    let dict: [Double] = [0.5, -1, 42]
    let idx: [Int32] = [2, 0, 0, 1, 2]
    var out = [Double](repeating: 0, count: 5)
    try idx.withUnsafeBufferPointer { i in
      try dict.withUnsafeBufferPointer { d in
        try out.withUnsafeMutableBufferPointer { try DictionaryGather.gather(indices: i.baseAddress!, count: 5, dictionary: d, into: $0.baseAddress!) }
      }
    }
    XCTAssertEqual(out, [42, 0.5, 0.5, -1, 42])
    for bad: Int32 in [3, -1, .max] {
      let badIdx: [Int32] = [0, 1, bad]
      assertParquetError(.corrupt, mentioning: "\(bad)") {
        try badIdx.withUnsafeBufferPointer { i in
          try dict.withUnsafeBufferPointer { d in
            try out.withUnsafeMutableBufferPointer { try DictionaryGather.gather(indices: i.baseAddress!, count: 3, dictionary: d, into: $0.baseAddress!) }
          }
        }
      }
    }
    let empty: [Double] = []
    assertParquetError(.corrupt) {
      try idx.withUnsafeBufferPointer { i in
        try empty.withUnsafeBufferPointer { d in
          try out.withUnsafeMutableBufferPointer { try DictionaryGather.gather(indices: i.baseAddress!, count: 1, dictionary: d, into: $0.baseAddress!) }
        }
      }
    }
  }

  func testStreamingFromRLEIndicesForByteArrays() throws {
    // Dictionary page (PLAIN BYTE_ARRAY) and a data page of RLE_DICTIONARY indices.
    var dictPage: [UInt8] = []
    Plain.encodeByteArray([Array("paper".utf8), Array("author".utf8), []], into: &dictPage)
    var dOffsets: [Int32] = []
    var dBytes: [UInt8] = []
    _ = try dictPage.withUnsafeBytes { try Plain.decodeByteArray($0, count: 3, offsets: &dOffsets, bytes: &dBytes) }
    var enc = RLEHybridEncoder(bitWidth: 2)
    let indices: [Int32] = (0..<3000).map { Int32($0 % 7 == 0 ? 2 : ($0 / 100) % 2) }
    for i in indices { enc.append(i) }
    let dataPage = [UInt8(2)] + enc.finish()
    var offsets: [Int32] = []
    var bytes: [UInt8] = []
    try dataPage.withUnsafeBytes { raw in
      var decoder = try RLEHybridDecoder.dictionaryIndices(raw)
      try dOffsets.withUnsafeBufferPointer { o in
        try dBytes.withUnsafeBytes { b in
          try DictionaryGather.decodeByteArray(&decoder, count: indices.count, dictionaryOffsets: o, dictionaryBytes: b,
                                               offsets: &offsets, bytes: &bytes)
        }
      }
    }
    let words = ["paper", "author", ""]
    XCTAssertEqual(offsets.count, indices.count + 1)
    for (k, i) in indices.enumerated() where k % 97 == 0 {
      XCTAssertEqual(String(decoding: bytes[Int(offsets[k])..<Int(offsets[k + 1])], as: UTF8.self), words[Int(i)])
    }
    XCTAssertEqual(bytes.count, indices.reduce(0) { $0 + words[Int($1)].utf8.count })
  }

  func testStreamingFixedWidthAndBadIndex() throws {
    var enc = RLEHybridEncoder(bitWidth: 3)
    let indices: [Int32] = (0..<2500).map { Int32($0 % 5) }
    for i in indices { enc.append(i) }
    let page = enc.finish()
    let dict: [Int64] = [10, 20, 30, 40, 50]
    var out = [Int64](repeating: 0, count: indices.count)
    try page.withUnsafeBytes { raw in
      var decoder = RLEHybridDecoder(data: raw, bitWidth: 3)
      try dict.withUnsafeBufferPointer { d in
        try out.withUnsafeMutableBufferPointer { try DictionaryGather.decode(&decoder, count: indices.count, dictionary: d, into: $0.baseAddress!) }
      }
    }
    XCTAssertEqual(out, indices.map { dict[Int($0)] })
    let small: [Int64] = [1, 2, 3, 4]  // index 4 is out of range
    page.withUnsafeBytes { raw in
      var decoder = RLEHybridDecoder(data: raw, bitWidth: 3)
      assertParquetError(.corrupt) {
        try small.withUnsafeBufferPointer { d in
          try out.withUnsafeMutableBufferPointer { try DictionaryGather.decode(&decoder, count: indices.count, dictionary: d, into: $0.baseAddress!) }
        }
      }
    }
  }

  func testFixedLenByteArrayGather() throws {
    let dict: [UInt8] = [1, 2, 3, 4, 5, 6]  // three values of width 2
    let idx: [Int32] = [2, 2, 0]
    var out = [UInt8](repeating: 0, count: 6)
    try idx.withUnsafeBufferPointer { i in
      try dict.withUnsafeBytes { d in
        try out.withUnsafeMutableBytes { try DictionaryGather.gatherFixedLenByteArray(indices: i.baseAddress!, count: 3, width: 2, dictionary: d, into: $0.baseAddress!) }
      }
    }
    XCTAssertEqual(out, [5, 6, 5, 6, 1, 2])
  }
}
