import CShm
import Net

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Direct shared-memory all-reduce and broadcast for a group whose ranks are all on one host
/// (docs/ARCHITECTURE.md, "Shared-memory group"). One segment for the whole group, created by
/// rank 0 (mode 0600, a random name of the job passed round the authenticated ring, unlinked
/// once every rank has mapped it), with two sets of one slot per rank. Per piece of the buffer (at most
/// `slotFloats`): every rank copies its piece into its slot, barrier, every rank sums its 1/w
/// column slice over the slots in rank order (into slot 0), barrier, every rank copies the
/// piece out of slot 0. Pieces alternate between the two sets, so the barrier after the next
/// piece's copy-in also says every rank has finished copying this one out: 2 barriers a piece,
/// w − 1 additions and 2 copies per float per rank, the same bits on every rank.
///
/// | offset        | size | field                                                          |
/// |--------------:|-----:|----------------------------------------------------------------|
/// |             0 |    4 | magic `GSHG`, then u32 version 1, u32 world size, u32 slot floats |
/// |            64 |    4 | arrivals: +1 by every rank entering a barrier (wrapping)         |
/// |           128 |    4 | generation: barriers completed (futex word)                      |
/// |           192 |    4 | abort: 0, or (culprit+1) · code << 12 · reporter << 16            |
/// |    256 + 64 r |    4 | rank r's barriers entered (names a stalled rank)                |
/// | 256 + 64 r + 8 + 24 p | 24 | rank r's call in set p: u32 kind, u32 root, u64 count, u64 offset |
/// |             H |      | 2 sets × w slots of `slotBytes` (H = header rounded to 4096)     |
final class ShmGroup {
  static let magic: UInt32 = 0x4748_5347  // "GSHG" little-endian
  static let arrivalsOffset = 64, generationOffset = 128, abortOffset = 192, rankLines = 256
  /// Spinning (yielding the core each turn, so a rank sharing it can run) before sleeping:
  /// a piece takes ~50–150 µs, and a futex wake-up on a loaded machine can take longer.
  static let spinNanoseconds: UInt64 = 200_000
  static let sliceNanoseconds: UInt64 = 20_000_000

  let rank: Int
  let worldSize: Int
  let slotFloats: Int
  private let base: UnsafeMutableRawPointer
  private let length: Int
  private let headerBytes: Int
  private let slotBytes: Int
  private let links: ShmLinks
  private let timeout: Double
  private var epoch: UInt32 = 0
  private var set = 0
  private var mapped = true

  static func layout(worldSize w: Int, slotFloats: Int) -> (header: Int, slot: Int, total: Int) {
    let header = (rankLines + 64 * w + 4095) / 4096 * 4096
    let slot = (slotFloats * 4 + 63) / 64 * 64
    return (header, slot, header + 2 * w * slot)
  }

  /// "/gust-ring-<job>-<pid>-group-<32 random hex digits>" (the ring objects' prefix, so the
  /// same leftover checks and clean-up see it).
  static func randomName(job: String) -> String { ShmObject.randomName(job: job, infix: "group-") }

  /// Rank 0: creates and maps the segment (its name stays linked until unlinked, then close
  /// `lockFD`).
  static func create(name: String, worldSize: Int, slotFloats: Int) throws(ShmError)
    -> (base: UnsafeMutableRawPointer, lockFD: Int32) {
    let (p, fd) = try ShmObject.createMapped(name, length: layout(worldSize: worldSize, slotFloats: slotFloats).total)
    p.storeBytes(of: magic, toByteOffset: 0, as: UInt32.self)
    p.storeBytes(of: UInt32(1), toByteOffset: 4, as: UInt32.self)
    p.storeBytes(of: UInt32(worldSize), toByteOffset: 8, as: UInt32.self)
    p.storeBytes(of: UInt32(slotFloats), toByteOffset: 12, as: UInt32.self)
    gust_fence()
    return (p, fd)
  }

  /// Other ranks: maps rank 0's segment and checks its header.
  static func open(name: String, worldSize: Int, slotFloats: Int) throws(ShmError) -> UnsafeMutableRawPointer {
    let total = layout(worldSize: worldSize, slotFloats: slotFloats).total
    let p = try ShmObject.openMapped(name, what: "group segment") { (size: Int) throws(ShmError) -> Int in
      guard size == total else { throw ShmError("its shared memory \(name) is not \(total) bytes") }
      return total
    }.base
    guard p.load(fromByteOffset: 0, as: UInt32.self) == magic, p.load(fromByteOffset: 8, as: UInt32.self) == worldSize,
          p.load(fromByteOffset: 12, as: UInt32.self) == slotFloats else {
      munmap(p, total)
      throw ShmError("its shared memory \(name) is not a group segment of \(worldSize) ranks × \(slotFloats) floats")
    }
    return p
  }

  init(rank: Int, worldSize: Int, slotFloats: Int, base: UnsafeMutableRawPointer, links: ShmLinks, timeout: Double) {
    self.rank = rank
    self.worldSize = worldSize
    self.slotFloats = slotFloats
    self.base = base
    let l = ShmGroup.layout(worldSize: worldSize, slotFloats: slotFloats)
    headerBytes = l.header
    slotBytes = l.slot
    length = l.total
    self.links = links
    self.timeout = timeout
  }

  deinit { unmap() }

  func unmap() {
    guard mapped else { return }
    mapped = false
    munmap(base, length)
  }

  private var arrivals: UnsafeMutableRawPointer { base + ShmGroup.arrivalsOffset }
  private var generation: UnsafeMutableRawPointer { base + ShmGroup.generationOffset }
  private var abortWord: UnsafeMutableRawPointer { base + ShmGroup.abortOffset }
  private func entered(_ r: Int) -> UnsafeMutableRawPointer { base + ShmGroup.rankLines + 64 * r }
  private func call(_ r: Int, _ s: Int) -> UnsafeMutableRawPointer { base + ShmGroup.rankLines + 64 * r + 8 + 24 * s }
  private func slot(_ s: Int, _ r: Int) -> UnsafeMutablePointer<Float> {
    (base + headerBytes + (s * worldSize + r) * slotBytes).assumingMemoryBound(to: Float.self)
  }

  // MARK: operations

  /// `kind`: 1 sum, 2 mean, 3 broadcast. Checks after the first barrier of each piece that every
  /// rank is in the same call at the same place.
  private func describe(_ kind: UInt32, root: Int, count: Int, offset: Int) {
    let p = call(rank, set)
    p.storeBytes(of: kind, toByteOffset: 0, as: UInt32.self)
    p.storeBytes(of: UInt32(root), toByteOffset: 4, as: UInt32.self)
    p.storeBytes(of: UInt64(count), toByteOffset: 8, as: UInt64.self)
    p.storeBytes(of: UInt64(offset), toByteOffset: 16, as: UInt64.self)
  }

  private func checkCalls(_ opName: String) throws(CollectiveError) {
    let mine = call(rank, set)
    for r in 0..<worldSize where r != rank {
      let p = call(r, set)
      if memcmp(p, mine, 24) != 0 {
        let kinds = ["?", "allReduce sum", "allReduce mean", "broadcast"]
        func text(_ q: UnsafeMutableRawPointer) -> String {
          let k = Int(q.load(as: UInt32.self))
          return "\(kinds[min(k, 3)]) of \(q.load(fromByteOffset: 8, as: UInt64.self)) floats (root "
            + "\(q.load(fromByteOffset: 4, as: UInt32.self)), at float \(q.load(fromByteOffset: 16, as: UInt64.self)))"
        }
        throw CollectiveError(.badArgument, "called \(text(p)) while rank \(rank) called \(text(mine)) during \(opName)",
                              peerRank: r, peer: links.peerName(r))
      }
    }
  }

  func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int, op: ReduceOp, opName: String) throws(CollectiveError) {
    let w = worldSize
    var offset = 0
    while offset < count {
      let n = min(slotFloats, count - offset)
      describe(op == .sum ? 1 : 2, root: 0, count: count, offset: offset)
      memcpy(slot(set, rank), buffer + offset, n * 4)
      try barrier(opName)
      try checkCalls(opName)
      // This rank's column slice, on 16-float boundaries.
      let per = ((n + w - 1) / w + 15) / 16 * 16
      let lo = min(n, rank * per), hi = min(n, lo + per)
      if lo < hi { reduceColumns(lo, hi, mean: op == .mean) }
      try barrier(opName)
      memcpy(buffer + offset, slot(set, 0), n * 4)
      set ^= 1
      offset += n
    }
  }

  func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int, opName: String) throws(CollectiveError) {
    var offset = 0
    while offset < count {
      let n = min(slotFloats, count - offset)
      describe(3, root: root, count: count, offset: offset)
      if rank == root { memcpy(slot(set, 0), buffer + offset, n * 4) }
      try barrier(opName)
      try checkCalls(opName)
      if rank != root { memcpy(buffer + offset, slot(set, 0), n * 4) }
      set ^= 1
      offset += n
    }
  }

  /// slot 0 [lo, hi) = (slot 0 + slot 1 + … + slot w−1) [/ w], added in rank order.
  private func reduceColumns(_ lo: Int, _ hi: Int, mean: Bool) {
    let w = worldSize
    let dst = slot(set, 0)
    let d = Float(w)
    var i = lo
    let raw = UnsafeMutableRawPointer(dst)
    while i + 16 <= hi {
      var v = (raw + 4 * i).load(as: SIMD16<Float>.self)
      for r in 1..<w { v += UnsafeRawPointer(slot(set, r) + i).load(as: SIMD16<Float>.self) }
      if mean { v /= SIMD16<Float>(repeating: d) }
      (raw + 4 * i).storeBytes(of: v, as: SIMD16<Float>.self)
      i += 16
    }
    while i < hi {
      var v = dst[i]
      for r in 1..<w { v += slot(set, r)[i] }
      dst[i] = mean ? v / d : v
      i += 1
    }
  }

  // MARK: barrier and liveness

  private func barrier(_ opName: String) throws(CollectiveError) {
    if let e = abortError(opName) { throw e }
    let target = epoch &+ 1
    gust_store_u32(entered(rank), target)
    let before = gust_fetch_add_u32(arrivals, 1)
    if before &+ 1 == UInt32(truncatingIfNeeded: worldSize) &* target {
      gust_store_u32(generation, target)
      _ = gust_futex_wake(generation, Int32.max)
    } else {
      try wait(for: target, opName)
    }
    epoch = target
  }

  private func wait(for target: UInt32, _ opName: String) throws(CollectiveError) {
    let spinEnd = Deadline.now.nanoseconds &+ ShmGroup.spinNanoseconds
    while Deadline.now.nanoseconds < spinEnd {
      if gust_load_u32(generation) == target { return }
      for _ in 0..<16 { gust_cpu_relax() }
      if gust_load_u32(generation) == target { return }
      sched_yield()
    }
    let deadline = Deadline.after(seconds: timeout)
    while true {
      let g = gust_load_u32(generation)
      if g == target { return }
      if let e = abortError(opName) { throw e }
      if let ended = links.endedNeighbour() {
        if gust_load_u32(generation) == target { return }
        // A neighbour that failed elsewhere records why before it shuts its links.
        if let e = abortError(opName) { throw e }
        let culprit = ended.side == .left ? (rank - 1 + worldSize) % worldSize : (rank + 1) % worldSize
        throw fail(.peerClosed, culprit, opName)
      }
      let remaining = deadline.remainingNanoseconds
      if remaining == 0 {
        if gust_load_u32(generation) == target { return }
        let late = (0..<worldSize).first { gust_load_u32(entered($0)) != target } ?? rank
        throw fail(.timeout, late, opName)
      }
      _ = gust_futex_wait(generation, g, Int64(min(remaining, ShmGroup.sliceNanoseconds)))
    }
  }

  private static let codes: [CollectiveError.Code] = [.timeout, .peerClosed]

  private func text(_ code: CollectiveError.Code, _ opName: String) -> String {
    switch code {
    case .timeout: return "did not reach the shared-memory barrier for \(seconds(timeout)) during \(opName)"
    case .peerClosed: return "closed its connection (the process exited or failed) during \(opName)"
    default: return "failed (\(code)) before \(opName)"
    }
  }

  /// A failure of this rank's ring operations, for ranks waiting in the group (first one wins).
  func record(_ e: CollectiveError) {
    let culprit = e.peerRank.map { UInt32($0 + 1) } ?? 0
    let word = culprit | UInt32(e.code.rawValue) << 12 | UInt32(e.relayed?.reporter ?? rank) << 16
    _ = gust_cas_u32(abortWord, 0, word)
    _ = gust_futex_wake(generation, Int32.max)
  }

  /// Records the failure in the segment (the first one wins) and wakes every rank.
  private func fail(_ code: CollectiveError.Code, _ culprit: Int, _ opName: String) -> CollectiveError {
    let word = UInt32(culprit + 1) | UInt32(code.rawValue) << 12 | UInt32(rank) << 16
    if gust_cas_u32(abortWord, 0, word) == 0, let e = abortError(opName) {
      _ = gust_futex_wake(generation, Int32.max)
      return e
    }
    _ = gust_futex_wake(generation, Int32.max)
    return CollectiveError(code, text(code, opName), peerRank: culprit, peer: links.peerName(culprit))
  }

  /// The failure another rank recorded, as this rank reports it.
  private func abortError(_ opName: String) -> CollectiveError? {
    let word = gust_load_u32(abortWord)
    guard word != 0 else { return nil }
    let culprit: Int? = word & 0xFFF == 0 ? nil : Int(word & 0xFFF) - 1
    let code = CollectiveError.Code(rawValue: UInt8((word >> 12) & 0xF)) ?? .peerClosed
    let reporter = Int(word >> 16)
    let t = text(code, opName)
    let peer = culprit.flatMap { links.peerName($0) }
    if reporter == rank { return CollectiveError(code, t, peerRank: culprit, peer: peer) }
    return CollectiveError(code, "\(t) (reported by rank \(reporter))", peerRank: culprit, peer: peer, relayed: (reporter, t))
  }
}
