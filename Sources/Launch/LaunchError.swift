/// A launcher failure with the exit code SPEC §1 gives it: 2 bad input (flags, config, hostfile,
/// graph) before any process starts, 1 a runtime failure (a process died, a server never came up).
/// The message names the flag, file, key or process.
public struct LaunchError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Kind: Sendable, Equatable {
    /// Exit 2: nothing was started.
    case badInput
    /// Exit 1.
    case runtime
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public static func bad(_ message: String) -> LaunchError { LaunchError(.badInput, message) }

  public var exitCode: Int32 { kind == .badInput ? 2 : 1 }
  public var description: String { message }
}
