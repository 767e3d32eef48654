#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam for rows of an embedding table that only some rows' gradients touch each step
/// (DGL's `SparseAdam` semantics: per-row step counts for the bias corrections, no weight
/// decay). State exists only for rows that have been touched: a row → slot index plus moment
/// buffers that grow as new rows arrive.
public final class SparseAdam {
  public let numRows: Int
  public let dim: Int
  public var lr: Float
  public let beta1: Float
  public let beta2: Float
  public let eps: Float
  /// Slot of each row's state, −1 while untouched.
  public private(set) var slotOf: [Int32]
  /// Per slot: moments (`dim` floats each) and step count.
  public private(set) var m: [Float] = []
  public private(set) var v: [Float] = []
  public private(set) var steps: [Int32] = []
  public var touchedRows: Int { steps.count }

  public init(numRows: Int, dim: Int, lr: Float, beta1: Float = 0.9, beta2: Float = 0.999,
              eps: Float = 1e-8) {
    self.numRows = numRows
    self.dim = dim
    self.lr = lr
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    slotOf = [Int32](repeating: -1, count: numRows)
  }

  /// Applies gradients `grads[k × dim]` for rows `rows[k]` of `table[numRows × dim]`.
  /// Repeated rows are summed first, so each row is updated once per call. Rows must lie in
  /// `0..<numRows` (the caller checks ids from the network before this).
  public func step(table: UnsafeMutablePointer<Float>, rows: [Int64], grads: UnsafePointer<Float>) {
    if rows.isEmpty { return }
    // Order the pushes by row so duplicates are adjacent; stable for determinism.
    let order = rows.indices.sorted { rows[$0] != rows[$1] ? rows[$0] < rows[$1] : $0 < $1 }
    let d = dim
    var acc = [Float](repeating: 0, count: d)
    var k = 0
    while k < order.count {
      let row = Int(rows[order[k]])
      precondition(row >= 0 && row < numRows, "SparseAdam: row \(row) outside 0..<\(numRows)")
      for j in 0..<d { acc[j] = 0 }
      while k < order.count && Int(rows[order[k]]) == row {
        let g = grads + order[k] * d
        for j in 0..<d { acc[j] += g[j] }
        k += 1
      }
      update(table: table, row: row, grad: acc)
    }
  }

  private func update(table: UnsafeMutablePointer<Float>, row: Int, grad: [Float]) {
    var slot = Int(slotOf[row])
    if slot < 0 {
      slot = steps.count
      slotOf[row] = Int32(slot)
      steps.append(0)
      m.append(contentsOf: repeatElement(0, count: dim))
      v.append(contentsOf: repeatElement(0, count: dim))
    }
    steps[slot] += 1
    let t = Float(steps[slot])
    let bc1 = 1 - powf(beta1, t)
    let bc2sqrt = (1 - powf(beta2, t)).squareRoot()
    let stepSize = lr / bc1
    let p = table + row * dim
    let base = slot * dim
    for j in 0..<dim {
      let g = grad[j]
      m[base + j] = beta1 * m[base + j] + (1 - beta1) * g
      v[base + j] = beta2 * v[base + j] + (1 - beta2) * g * g
      p[j] -= stepSize * m[base + j] / (v[base + j].squareRoot() / bc2sqrt + eps)
    }
  }
}

extension SparseAdam {
  /// Restores saved state (checkpoint resume): the row → slot map and each slot's moments and
  /// step count, exactly as read from `slotOf`, `m`, `v`, `steps`.
  public func load(slotOf: [Int32], m: [Float], v: [Float], steps: [Int32]) {
    precondition(slotOf.count == numRows, "SparseAdam.load: \(slotOf.count) rows, expected \(numRows)")
    precondition(m.count == steps.count * dim && v.count == steps.count * dim,
                 "SparseAdam.load: moments for \(m.count / max(dim, 1)) slots, \(steps.count) step counts")
    self.slotOf = slotOf
    self.m = m
    self.v = v
    self.steps = steps
  }
}
