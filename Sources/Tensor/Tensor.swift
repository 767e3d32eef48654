/// A 2-D float32 tensor: `rows × cols`, contiguous, row-major, owned (copy-on-write).
///
/// This is the value type that crosses module boundaries (tests, checkpoints, features). Kernels
/// never take a `Tensor`: they take raw buffers and dimensions, so the same kernel runs over a
/// tensor, a parameter-arena view or a memory-mapped partition file.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
  public let rows: Int
  public let cols: Int
  /// Row-major storage, `rows * cols` elements.
  public var storage: [Float]

  public init(rows: Int, cols: Int, repeating value: Float = 0) {
    precondition(rows >= 0 && cols >= 0, "Tensor: negative shape \(rows)×\(cols)")
    self.rows = rows
    self.cols = cols
    self.storage = [Float](repeating: value, count: rows * cols)
  }

  public init(rows: Int, cols: Int, storage: [Float]) {
    precondition(rows >= 0 && cols >= 0, "Tensor: negative shape \(rows)×\(cols)")
    precondition(storage.count == rows * cols,
                 "Tensor: \(storage.count) elements for shape \(rows)×\(cols)")
    self.rows = rows
    self.cols = cols
    self.storage = storage
  }

  /// Copies `rows * cols` floats from `pointer`.
  public init(rows: Int, cols: Int, copying pointer: UnsafePointer<Float>) {
    self.init(rows: rows, cols: cols,
              storage: Array(UnsafeBufferPointer(start: pointer, count: rows * cols)))
  }

  public var count: Int { rows * cols }

  public subscript(row: Int, col: Int) -> Float {
    get { storage[row * cols + col] }
    set { storage[row * cols + col] = newValue }
  }

  public func row(_ r: Int) -> ArraySlice<Float> { storage[(r * cols)..<((r + 1) * cols)] }

  public var description: String { "Tensor(\(rows)×\(cols))" }

  /// Largest absolute elementwise difference; `.infinity` when the shapes differ.
  public func maxAbsDifference(_ other: Tensor) -> Float {
    guard rows == other.rows, cols == other.cols else { return .infinity }
    var m: Float = 0
    for i in 0..<storage.count { m = max(m, abs(storage[i] - other.storage[i])) }
    return m
  }
}
