import XCTest
@testable import Parquet

/// Asserts that `body` throws a `ParquetError` of `kind` (and, if given, that its message
/// contains `mentioning`).
func assertParquetError<T>(_ kind: ParquetError.Kind, mentioning: String? = nil,
                           file: StaticString = #filePath, line: UInt = #line,
                           _ body: () throws -> T) {
  do {
    _ = try body()
    XCTFail("expected a .\(kind) ParquetError, got success", file: file, line: line)
  } catch let e as ParquetError {
    XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
    if let mentioning {
      XCTAssertTrue(e.message.contains(mentioning), "'\(e.message)' does not mention '\(mentioning)'",
                    file: file, line: line)
    }
  } catch {
    XCTFail("expected ParquetError, got \(error)", file: file, line: line)
  }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct TestRNG: RandomNumberGenerator {
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

extension Array where Element == UInt8 {
  init(ascii: String) { self = Array(ascii.utf8) }
}
