import CShm

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The names of a job's POSIX shared-memory objects and the removal of those a dead process left
/// behind (docs/ARCHITECTURE.md, "Shared-memory objects of a job").
///
/// Every object a rank creates (its ring segment, rank 0's group segment) is named
/// `/gust-ring-<job>-<creator pid>-[group-]<32 random hex digits>` (at most 77 bytes with the slash, far below NAME_MAX): `<job>` is
/// the job's tag (1…16 of `0-9a-z`; `jobTag(runDirectory:)` for a launcher job, `anon` when the
/// ranks were given none), so one prefix finds every object of a job and nothing of another.
/// The creator holds an exclusive `flock` on the object for as long as the name is linked, so
/// an object is **abandoned** — safe to unlink — when its lock is free (the creating process is
/// gone: the kernel dropped the lock with its descriptors) and its creator pid is not a live
/// process either (which also covers the instant between `shm_open` and `flock`).
public enum SharedMemoryObjects {
  /// Where Linux keeps POSIX shared-memory objects (name without the leading slash).
  public static let directory = "/dev/shm"
  /// The tag in the names of ranks given no job (`CollectiveOptions.sharedMemoryJob` nil); no
  /// rendezvous removes leftovers of it.
  public static let anonymousJob = "anon"
  static let namePrefix = "gust-ring-"

  /// A job's tag from its run directory (an absolute path, e.g. the launcher's `<workspace>/run`):
  /// FNV-1a 64 of its bytes, 16 hex digits. One workspace holds one job at a time (its lock), so
  /// a later job in the same workspace finds what an earlier one left.
  public static func jobTag(runDirectory: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in runDirectory.utf8 {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01b3
    }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }

  /// 1…16 characters of `0-9a-z`: portable in a file name, and no `-` (names split on it).
  public static func isValidTag(_ tag: String) -> Bool {
    (1...16).contains(tag.utf8.count) && tag.utf8.allSatisfy { (48...57).contains($0) || (97...122).contains($0) }
  }

  /// `gust-ring-<job>-`: how every object of the job starts in `directory`.
  public static func prefix(job: String) -> String { "\(namePrefix)\(job)-" }

  /// A new object name of `job` for this process (with the leading slash `shm_open` takes).
  static func newName(job: String, infix: String = "") -> String {
    var g = SystemRandomNumberGenerator()
    let hex = (0..<2).map { _ in
      let s = String(g.next() as UInt64, radix: 16)
      return String(repeating: "0", count: 16 - s.count) + s
    }.joined()
    return "/\(prefix(job: job))\(getpid())-\(infix)\(hex)"
  }

  /// The job's objects now in `directory` (file names, sorted).
  public static func objects(job: String) -> [String] {
    let p = prefix(job: job)
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasPrefix(p) { names.append(name) }
    }
    return names.sorted()
  }

  /// The creator pid in an object name (`gust-ring-<job>-<pid>-…`, with or without the slash).
  public static func creator(of name: String) -> Int32? {
    let parts = name.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count >= 5, parts[0].hasSuffix("gust"), parts[1] == "ring" else { return nil }
    return Int32(parts[3]).flatMap { $0 > 0 ? $0 : nil }
  }

  /// Whether `pid` is a live process here (signal 0: it exists, ours or not).
  static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

  /// Unlinks every object of `job` that is abandoned (its creator's lock is free and its creator
  /// pid is not alive); objects of other jobs and of live creators are left alone. Returns the
  /// names removed. Mappings of a removed object stay valid; only the name goes.
  @discardableResult
  public static func removeAbandoned(job: String) -> [String] {
    guard isValidTag(job) else { return [] }
    var removed: [String] = []
    for name in objects(job: job) {
      guard let pid = creator(of: name), !isAlive(pid), gust_shm_lock_free("/" + name) == 1 else { continue }
      if gust_shm_unlink("/" + name) == 0 { removed.append(name) }
    }
    return removed
  }
}
