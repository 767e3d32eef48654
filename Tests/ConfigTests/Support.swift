import XCTest

@testable import Config

/// A small valid config: the global block plus `tasks` (YAML list items, indented 4).
func yaml(globals: String = "", tasks: String) -> String {
  """
  version: 1.0
  gsf:
    basic:
      batch_size: 256
    gnn:
      model_encoder_type: rgcn
      num_layers: 2
      hidden_size: 16
      fanout: "5,5"
    hyperparam:
      lr: 0.01
  \(globals.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
    multi_task_learning:
  \(tasks.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
  """
}

let ncTask = """
  - node_classification:
      target_ntype: paper
      label_field: label
      num_classes: 4
      mask_fields: [train_mask, val_mask, test_mask]
  """

let lpTask = """
  - link_prediction:
      train_etype: ["paper,citing,paper"]
      reverse_edge_types_map: ["paper,citing,cited,paper"]
      mask_fields: [lp_train, lp_val, lp_test]
  """

func parse(_ text: String, overrides: [String] = [], mode: ConfigMode = .train) throws -> GustConfig {
  try GustConfig.parse(yaml: text, overrides: ConfigOverrides.parse(overrides), mode: mode)
}

/// Asserts `body` throws a `ConfigError` with `code` at `path`, whose description contains
/// each of `contains`; returns it.
@discardableResult
func assertConfigError(
  _ code: ConfigError.Code, path: String, contains: [String] = [],
  file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any
) -> ConfigError? {
  do {
    _ = try body()
    XCTFail("expected a \(code) error at \(path)", file: file, line: line)
    return nil
  } catch let e as ConfigError {
    XCTAssertEqual(e.code, code, "\(e)", file: file, line: line)
    XCTAssertEqual(e.path, path, "\(e)", file: file, line: line)
    for c in contains {
      XCTAssertTrue(e.description.contains(c), "'\(c)' not in: \(e)", file: file, line: line)
    }
    return e
  } catch {
    XCTFail("unexpected error \(error)", file: file, line: line)
    return nil
  }
}
