/// Encoder of the RLE / bit-packed hybrid encoding. Values are collected, then `finish` picks
/// RLE runs for 8 or more repeats and bit-packed groups of 8 for the rest (a literal stretch
/// borrows from the following run to keep whole groups; the last group is zero-padded).
public struct RLEHybridEncoder {
  public let bitWidth: Int
  private var values: [UInt32] = []

  public init(bitWidth: Int) {
    precondition(bitWidth >= 0 && bitWidth <= 32, "RLE bit width \(bitWidth) outside 0...32")
    self.bitWidth = bitWidth
  }

  /// The smallest bit width holding `maxValue` (0 for 0).
  public static func bitWidth(forMaxValue maxValue: UInt64) -> Int {
    maxValue == 0 ? 0 : 64 - maxValue.leadingZeroBitCount
  }

  public var count: Int { values.count }

  public mutating func reserveCapacity(_ n: Int) { values.reserveCapacity(n) }

  public mutating func append(_ value: Int32) {
    let v = UInt32(bitPattern: value)
    precondition(bitWidth == 32 || v >> UInt32(bitWidth) == 0, "value \(value) does not fit \(bitWidth) bits")
    values.append(v)
  }

  public mutating func append(_ value: Bool) { values.append(value ? 1 : 0) }

  public mutating func append(contentsOf buffer: UnsafeBufferPointer<Int32>) {
    values.reserveCapacity(values.count + buffer.count)
    for v in buffer { append(v) }
  }

  public mutating func append(repeating value: Int32, count: Int) {
    let v = UInt32(bitPattern: value)
    precondition(bitWidth == 32 || v >> UInt32(bitWidth) == 0, "value \(value) does not fit \(bitWidth) bits")
    values.append(contentsOf: repeatElement(v, count: count))
  }

  /// The encoded runs (no length prefix, no bit-width byte).
  public func finish() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(values.count * bitWidth / 8 + 16)
    values.withUnsafeBufferPointer { v in
      let n = v.count
      var literalStart = 0
      var i = 0
      while i < n {
        let x = v[i]
        var j = i + 1
        while j < n && v[j] == x { j += 1 }
        let run = j - i
        if run >= 8 {
          let pending = i - literalStart
          let borrow = (8 - pending % 8) % 8
          if run - borrow >= 8 {
            if pending + borrow > 0 { emitPacked(v, literalStart, i + borrow, &out) }
            emitRLE(x, count: run - borrow, &out)
            literalStart = j
          }
        }
        i = j
      }
      if literalStart < n { emitPacked(v, literalStart, n, &out) }
    }
    return out
  }

  private func emitRLE(_ value: UInt32, count: Int, _ out: inout [UInt8]) {
    VarInt.appendULEB128(UInt64(count) << 1, to: &out)
    var v = value
    for _ in 0..<((bitWidth + 7) >> 3) {
      out.append(UInt8(truncatingIfNeeded: v))
      v >>= 8
    }
  }

  private func emitPacked(_ v: UnsafeBufferPointer<UInt32>, _ from: Int, _ to: Int, _ out: inout [UInt8]) {
    let groups = (to - from + 7) / 8
    VarInt.appendULEB128(UInt64(groups) << 1 | 1, to: &out)
    var writer = BitWriter()
    for k in from..<to { writer.write(UInt64(v[k]), width: bitWidth, to: &out) }
    for _ in (to - from)..<(groups * 8) { writer.write(0, width: bitWidth, to: &out) }
    writer.flush(to: &out)
  }
}
