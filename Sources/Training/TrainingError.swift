/// A failure of the training service: `badInput` (config, data, flags, a checkpoint that does
/// not fit — exit 2) or `runtime` (exit 1). The message names the file, key, task or flag.
public struct TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Code: String, Sendable {
    case badInput = "bad input"
    case runtime
  }

  public var code: Code
  public var message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }

  /// SPEC §1: 2 for bad input, 1 for a runtime failure.
  public var exitCode: Int32 { code == .badInput ? 2 : 1 }
}
