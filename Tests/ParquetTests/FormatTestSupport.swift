import Foundation
import XCTest

@testable import Parquet

/// Locations for the format-layer tests: the package root is found from this file's path
/// (`<root>/Tests/ParquetTests/FormatTestSupport.swift`); shared test data lives beside the root.
enum FormatTestData {
  static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static let dataDir = packageRoot
    .appendingPathComponent("../shared/testdata/parquet-testing/data").standardizedFileURL

  static let badDataDir = packageRoot
    .appendingPathComponent("../shared/testdata/parquet-testing/bad_data").standardizedFileURL

  static func path(_ name: String) -> String { dataDir.appendingPathComponent(name).path }

  /// Skips (with the reason) when the shared test data is absent.
  static func require(_ name: String) throws -> String {
    let p = path(name)
    guard FileManager.default.fileExists(atPath: p) else {
      throw XCTSkip("test data \(p) is missing")
    }
    return p
  }

  /// A fresh temporary directory for one test.
  static func tempDir() throws -> URL {
    let d = FileManager.default.temporaryDirectory
      .appendingPathComponent("gust-parquet-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
  }
}

extension ColumnData {
  var int32s: [Int32]? { if case .int32(let v) = values { return v } else { return nil } }
  var int64s: [Int64]? { if case .int64(let v) = values { return v } else { return nil } }
  var floats: [Float]? { if case .float(let v) = values { return v } else { return nil } }
  var doubles: [Double]? { if case .double(let v) = values { return v } else { return nil } }
  var bools: [Bool]? { if case .bool(let v) = values { return v } else { return nil } }
  var nanos: [Int64]? { try? values.timestamps(in: .nanos) }
  var strings: [String]? { values.strings }

  /// Rows of a list column as arrays of optional elements; nil rows for null lists.
  func listRows<T>(_ elements: [T]) -> [[T?]?] {
    guard let o = listOffsets else { return [] }
    return (0..<(o.count - 1)).map { r in
      if let lv = listValidity, !lv[r] { return nil }
      return (Int(o[r])..<Int(o[r + 1])).map { i in
        (validity?[i] ?? true) ? elements[i] : nil
      }
    }
  }

  /// Flat values with nils at nulls.
  func optionals<T>(_ v: [T]) -> [T?] {
    v.enumerated().map { (validity?[$0.offset] ?? true) ? $0.element : nil }
  }
}
