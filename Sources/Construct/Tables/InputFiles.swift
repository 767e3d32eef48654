import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Expands an entry's `files` (SPEC §2): each item is a path, a glob (`*`, `?`, `[`) or a
/// directory (every file in it except hidden ones and Spark's `_SUCCESS`-style `_` files).
/// Relative paths are taken from the config file's folder, or else from the working directory.
/// The expanded list is sorted; row order across the sorted files is the node order.
enum InputFiles {
  static func expand(_ items: [String], baseDir: String, key: String) throws -> [String] {
    var out: [String] = []
    for item in items {
      let candidates = item.hasPrefix("/") || baseDir == "." ? [item] : [baseDir + "/" + item, item]
      var found: [String]?
      for path in candidates {
        if item.contains(where: { "*?[".contains($0) }) {
          let m = glob(path)
          if !m.isEmpty { found = m; break }
        } else {
          var isDir: ObjCBool = false
          if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue {
              let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
              found = names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") }.map { path + "/" + $0 }
                .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
              if found!.isEmpty {
                throw ConstructError(.badData, "the input folder holds no file", file: path, key: key)
              }
            } else {
              found = [path]
            }
            break
          }
        }
      }
      guard let found else {
        throw ConstructError(.badData, "the input file does not exist", file: candidates[0], key: key)
      }
      out += found
    }
    return out.sorted()
  }

  static func glob(_ pattern: String) -> [String] {
    var g = glob_t()
    defer { globfree(&g) }
    guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
    var out: [String] = []
    for i in 0..<Int(g.gl_pathc) {
      if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
    }
    return out.sorted()
  }
}
