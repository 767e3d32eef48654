/// What one operation sends and receives on a rank's ring links, in order: the messages of a
/// `RingSchedule` (all-reduce) or of a chain (broadcast) or of w − 1 pass-along steps
/// (all-gather, barrier), bound to the caller's memory. Sends read straight from that memory and
/// receives land in it (or are added into it), so an operation allocates nothing per element.
struct RingPlan {
  enum Action: Equatable {
    /// Overwrite the target bytes.
    case copy
    /// Add the incoming floats into the target floats.
    case add
    /// Add, then divide by the value (the owner's last reduce-scatter step of a mean).
    case addThenDivide(Float)
  }

  struct Send {
    var step: Int
    var bytes: UnsafeRawBufferPointer
    /// Receives that must be complete before this send starts (it forwards what they brought).
    var after: Int
  }

  struct Receive {
    var step: Int
    var into: UnsafeMutableRawBufferPointer
    var action: Action
  }

  /// op, arg, sequence, root and count of every message's header (step and length vary).
  var header: RingHeader
  var sendCount: Int
  var receiveCount: Int
  var send: (Int) -> Send
  var receive: (Int) -> Receive

  /// Ring all-reduce of `count` floats at `buffer`.
  static func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int, op: ReduceOp,
                        rank: Int, worldSize: Int, segmentFloats: Int, sequence: UInt32) -> RingPlan {
    let s = RingSchedule(worldSize: worldSize, rank: rank, count: count, segmentFloats: segmentFloats)
    let lastReduceStep = worldSize - 2
    let divisor = Float(worldSize)
    func raw(_ r: Range<Int>) -> UnsafeMutableRawBufferPointer {
      UnsafeMutableRawBufferPointer(start: buffer + r.lowerBound, count: r.count * 4)
    }
    return RingPlan(
      header: RingHeader(op: .allReduce, arg: op == .mean ? 1 : 0, sequence: sequence,
                         count: UInt64(count), length: 0),
      sendCount: s.sendCount, receiveCount: s.receiveCount,
      send: { j in
        let m = s.send(j)
        return Send(step: m.step, bytes: UnsafeRawBufferPointer(raw(m.range)), after: s.receivesBefore(send: j))
      },
      receive: { j in
        let m = s.receive(j)
        let action: Action = s.phase(ofStep: m.step) == .allGather ? .copy
          : (op == .mean && m.step == lastReduceStep ? .addThenDivide(divisor) : .add)
        return Receive(step: m.step, into: raw(m.range), action: action)
      })
  }

  /// `root`'s floats passed down the chain root → root+1 → … → root−1 in segments; every rank
  /// but the root and the last forwards segment k as soon as it has it.
  static func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int, rank: Int,
                        worldSize: Int, segmentFloats: Int, sequence: UInt32) -> RingPlan {
    let position = (rank - root + worldSize) % worldSize
    let segments = (count + segmentFloats - 1) / segmentFloats
    func raw(_ k: Int) -> UnsafeMutableRawBufferPointer {
      let lo = k * segmentFloats
      return UnsafeMutableRawBufferPointer(start: buffer + lo, count: (min(count, lo + segmentFloats) - lo) * 4)
    }
    return RingPlan(
      header: RingHeader(op: .broadcast, sequence: sequence, root: UInt32(root), count: UInt64(count), length: 0),
      sendCount: position == worldSize - 1 ? 0 : segments,
      receiveCount: position == 0 ? 0 : segments,
      send: { k in Send(step: 0, bytes: UnsafeRawBufferPointer(raw(k)), after: position == 0 ? 0 : k + 1) },
      receive: { k in Receive(step: 0, into: raw(k), action: .copy) })
  }

  /// All-gather of `perRank` doubles per rank into `table` (w × perRank, rank r's block at r ·
  /// perRank, this rank's already in place): at step s send block r − s, receive block r − s − 1.
  /// One message per step even when blocks are empty, so `barrier` (op barrier, 0 values) waits
  /// for every rank.
  static func allGather(_ table: UnsafeMutablePointer<Double>, perRank: Int, op: RingHeader.Op,
                        rank: Int, worldSize: Int, sequence: UInt32) -> RingPlan {
    func block(_ back: Int) -> UnsafeMutableRawBufferPointer {
      let b = ((rank - back) % worldSize + worldSize) % worldSize
      return UnsafeMutableRawBufferPointer(start: table + b * perRank, count: perRank * 8)
    }
    return RingPlan(
      header: RingHeader(op: op, sequence: sequence, count: UInt64(perRank), length: 0),
      sendCount: worldSize - 1, receiveCount: worldSize - 1,
      send: { s in Send(step: s, bytes: UnsafeRawBufferPointer(block(s)), after: s) },
      receive: { s in Receive(step: s, into: block(s + 1), action: .copy) })
  }
}

#if _endian(big)
#error("ring links carry floats as little-endian bytes straight from memory")
#endif

/// dst[i] += src[i] (src unaligned raw bytes), 16 lanes at a time.
@inline(__always)
func addFloats(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ n: Int) {
  var i = 0
  while i + 16 <= n {
    let a = dst.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
    let b = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
    dst.storeBytes(of: a + b, toByteOffset: i * 4, as: SIMD16<Float>.self)
    i += 16
  }
  while i < n {
    let a = dst.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
    dst.storeBytes(of: a + src.loadUnaligned(fromByteOffset: i * 4, as: Float.self), toByteOffset: i * 4, as: Float.self)
    i += 1
  }
}

/// dst[i] = (dst[i] + src[i]) / d.
@inline(__always)
func addFloatsThenDivide(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ n: Int, _ d: Float) {
  var i = 0
  let dv = SIMD16<Float>(repeating: d)
  while i + 16 <= n {
    let a = dst.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
    let b = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
    dst.storeBytes(of: (a + b) / dv, toByteOffset: i * 4, as: SIMD16<Float>.self)
    i += 16
  }
  while i < n {
    let a = dst.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
    dst.storeBytes(of: (a + src.loadUnaligned(fromByteOffset: i * 4, as: Float.self)) / d,
                   toByteOffset: i * 4, as: Float.self)
    i += 1
  }
}
