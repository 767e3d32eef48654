/// Failures reading or writing a partitioned graph, naming the file (and field, partition, id)
/// involved and what to do about it.
public struct GraphError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Code: String, Sendable {
    case io, badConfig, corrupt, checksum, notFound, invalidArgument
  }
  public var code: Code
  public var message: String
  public var path: String?

  public init(_ code: Code, _ message: String, path: String? = nil) {
    self.code = code
    self.message = message
    self.path = path
  }

  public var description: String {
    (path.map { "\($0): " } ?? "") + message
  }
}
