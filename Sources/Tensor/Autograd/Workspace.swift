/// A bump allocator for one step's activations and gradients.
///
/// `allocate` hands out slices (in multiples of 16 floats) of large blocks; `reset` rewinds and, when the
/// step needed more than one block, replaces them with a single block of the total size, so a
/// steady training loop reaches one allocation that it reuses every step. Blocks of 2 MiB and
/// more are backed by transparent huge pages (`LargeBuffer`).
public final class Workspace {
  private var blocks: [(base: UnsafeMutablePointer<Float>, capacity: Int)] = []
  private var used = 0          // floats used in the last block
  private var totalUsed = 0     // floats used in all blocks since reset
  public private(set) var highWater = 0

  public init(initialCapacity: Int = 1 << 16) {
    let cap = max(initialCapacity, 1024)
    blocks.append((LargeBuffer.allocateFloats(cap), cap))
  }

  deinit { for b in blocks { LargeBuffer.releaseFloats(b.base, count: b.capacity) } }

  /// An uninitialised buffer of `count` floats, valid until `reset()`.
  public func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
    let need = (max(count, 1) + 15) & ~15
    var last = blocks[blocks.count - 1]
    if used + need > last.capacity {
      let cap = max(need, last.capacity * 2)
      last = (LargeBuffer.allocateFloats(cap), cap)
      blocks.append(last)
      used = 0
    }
    let p = last.base + used
    used += need
    totalUsed += need
    highWater = max(highWater, totalUsed)
    return p
  }

  /// A zero-filled buffer of `count` floats.
  public func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
    let p = allocate(count)
    p.initialize(repeating: 0, count: max(count, 1))
    return p
  }

  /// Invalidates every buffer handed out since the last reset.
  public func reset() {
    if blocks.count > 1 {
      let total = blocks.reduce(0) { $0 + $1.capacity }
      for b in blocks { LargeBuffer.releaseFloats(b.base, count: b.capacity) }
      blocks = [(LargeBuffer.allocateFloats(total), total)]
    }
    used = 0
    totalUsed = 0
  }
}
