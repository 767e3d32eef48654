/// The ring all-reduce of gloo (`AllreduceRing`), as pure arithmetic: which chunk and which
/// segments rank `rank` sends to its right neighbour and receives from its left one at every
/// step. No I/O; `RingDriver` runs it.
///
/// The `count` elements are cut into `worldSize` chunks (the first `count % worldSize` one element
/// longer). Steps `0 ..< w-1` are the reduce-scatter: at step s rank r sends chunk (r − s) and
/// receives chunk (r − s − 1), adding it into its own; after them rank r holds the complete sum
/// of chunk (r + 1), its *owned* chunk. Steps `w-1 ..< 2(w-1)` are the all-gather: at all-gather
/// step g rank r sends chunk (r + 1 − g) and receives chunk (r − g), overwriting. All indices mod
/// w. What a rank sends at step t+1 is exactly what it received at step t, so the schedule is one
/// pipeline: chunks travel as segments of at most `segmentFloats` elements, and segment k of step
/// t+1 may go out as soon as segment k of step t has come in.
///
/// Messages are numbered in order (step by step, segment by segment), separately for sends and
/// receives; `send(_:)`/`receive(_:)` give the j-th, `receivesBefore(send:)` its dependency.
/// Empty chunks (count < w) have no segments and no messages.
public struct RingSchedule: Equatable, Sendable {
  public let worldSize: Int
  public let rank: Int
  public let count: Int
  public let segmentFloats: Int
  /// First send / receive message index of each step (and the total at the end).
  private let sendStart: [Int]
  private let receiveStart: [Int]

  public enum Phase: Equatable, Sendable { case reduceScatter, allGather }

  /// One message: at `step`, segment `segment` of chunk `chunk`, elements `range` of the buffer.
  public struct Message: Equatable, Sendable {
    public var step: Int
    public var chunk: Int
    public var segment: Int
    public var range: Range<Int>
  }

  public init(worldSize: Int, rank: Int, count: Int, segmentFloats: Int) {
    precondition(worldSize >= 1 && (0..<worldSize).contains(rank), "rank \(rank) of \(worldSize)")
    precondition(count >= 0 && segmentFloats >= 1, "count \(count), segment \(segmentFloats)")
    self.worldSize = worldSize
    self.rank = rank
    self.count = count
    self.segmentFloats = segmentFloats
    let steps = worldSize > 1 ? 2 * (worldSize - 1) : 0
    var s = [0], r = [0]
    func segments(_ length: Int) -> Int { (length + segmentFloats - 1) / segmentFloats }
    func chunkLength(_ i: Int) -> Int { count / worldSize + (i < count % worldSize ? 1 : 0) }
    for t in 0..<steps {
      s.append(s[t] + segments(chunkLength(RingSchedule.sendChunk(t, rank, worldSize))))
      r.append(r[t] + segments(chunkLength(RingSchedule.receiveChunk(t, rank, worldSize))))
    }
    sendStart = s
    receiveStart = r
  }

  /// 2(w − 1) steps (none for one rank).
  public var stepCount: Int { sendStart.count - 1 }

  public func phase(ofStep t: Int) -> Phase { t < worldSize - 1 ? .reduceScatter : .allGather }

  /// Elements of chunk `i`.
  public func chunk(_ i: Int) -> Range<Int> {
    let base = count / worldSize, extra = count % worldSize
    let start = i * base + min(i, extra)
    return start..<(start + base + (i < extra ? 1 : 0))
  }

  /// The chunk whose sum this rank completes in the reduce-scatter.
  public var ownedChunk: Int { (rank + 1) % worldSize }

  public func sendChunk(step t: Int) -> Int { RingSchedule.sendChunk(t, rank, worldSize) }
  public func receiveChunk(step t: Int) -> Int { RingSchedule.receiveChunk(t, rank, worldSize) }

  static func sendChunk(_ t: Int, _ r: Int, _ w: Int) -> Int {
    let back = t < w - 1 ? t : t - (w - 1) - 1   // all-gather step g sends r + 1 − g
    return ((r - back) % w + w) % w
  }

  static func receiveChunk(_ t: Int, _ r: Int, _ w: Int) -> Int {
    let back = t < w - 1 ? t + 1 : t - (w - 1)   // all-gather step g receives r − g
    return ((r - back) % w + w) % w
  }

  public var sendCount: Int { sendStart[stepCount] }
  public var receiveCount: Int { receiveStart[stepCount] }

  public func send(_ j: Int) -> Message {
    message(j, starts: sendStart) { sendChunk(step: $0) }
  }

  public func receive(_ j: Int) -> Message {
    message(j, starts: receiveStart) { receiveChunk(step: $0) }
  }

  /// How many receives must be complete before send `j` may start: segment k of step t ≥ 1
  /// forwards segment k of step t − 1's receive (after adding into it, in the reduce-scatter).
  public func receivesBefore(send j: Int) -> Int {
    let t = step(of: j, starts: sendStart)
    guard t > 0 else { return 0 }
    return receiveStart[t - 1] + (j - sendStart[t]) + 1
  }

  private func step(of j: Int, starts: [Int]) -> Int {
    precondition(j >= 0 && j < starts[stepCount], "message \(j) of \(starts[stepCount])")
    var t = 0
    while starts[t + 1] <= j { t += 1 }
    return t
  }

  private func message(_ j: Int, starts: [Int], chunkOf: (Int) -> Int) -> Message {
    let t = step(of: j, starts: starts)
    let c = chunkOf(t)
    let k = j - starts[t]
    let whole = chunk(c)
    let lo = whole.lowerBound + k * segmentFloats
    return Message(step: t, chunk: c, segment: k, range: lo..<min(whole.upperBound, lo + segmentFloats))
  }
}
