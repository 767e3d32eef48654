import CZlib

/// GZIP pages through zlib. Decompression auto-detects gzip and zlib headers (windowBits 15+32)
/// and continues through concatenated gzip members, as some writers emit one member per chunk.
extension Codecs {
  static func gzipDecompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
    guard input.count <= Int(UInt32.max), output.count <= Int(UInt32.max) else {
      throw ParquetError(.unsupported, "GZIP page larger than 4 GiB")
    }
    var stream = z_stream()
    var rc = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw ParquetError(.io, "zlib inflateInit2 failed (\(rc))") }
    defer { inflateEnd(&stream) }
    stream.next_in = UnsafeMutablePointer(mutating: baseOrDummy(input).assumingMemoryBound(to: Bytef.self))
    stream.avail_in = uInt(input.count)
    stream.next_out = baseOrDummy(output).assumingMemoryBound(to: Bytef.self)
    stream.avail_out = uInt(output.count)
    var members = 0
    while true {
      rc = inflate(&stream, Z_NO_FLUSH)
      if rc == Z_STREAM_END {
        members += 1
        if stream.avail_in == 0 || restIsZeroPadding(stream.next_in, Int(stream.avail_in)) { break }
        rc = inflateReset(&stream)  // the next concatenated member
        guard rc == Z_OK else { throw ParquetError(.corrupt, "GZIP: cannot reset after member \(members)") }
        continue
      }
      if rc == Z_OK { continue }  // progress was made
      if rc == Z_BUF_ERROR {
        if stream.avail_out == 0 {
          throw ParquetError(.corrupt, "GZIP data decompresses to more than the \(output.count) bytes the page header says")
        }
        throw ParquetError(.corrupt,
                           "GZIP data truncated: \(output.count - Int(stream.avail_out)) of \(output.count) bytes decompressed")
      }
      let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
      throw ParquetError(.corrupt, "GZIP data invalid after \(output.count - Int(stream.avail_out)) bytes: \(msg)")
    }
    let produced = output.count - Int(stream.avail_out)
    guard produced == output.count else { throw sizeMismatch(.gzip, got: produced, expected: output.count) }
  }

  private static func restIsZeroPadding(_ p: UnsafeMutablePointer<Bytef>?, _ n: Int) -> Bool {
    guard let p else { return true }
    for i in 0..<n where p[i] != 0 { return false }
    return true
  }

  static func gzipCompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
    var stream = z_stream()
    var rc = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                           zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw ParquetError(.io, "zlib deflateInit2 failed (\(rc))") }
    defer { deflateEnd(&stream) }
    let bound = Int(deflateBound(&stream, uLong(input.count)))
    return try [UInt8](unsafeUninitializedCapacity: bound) { out, initialized in
      stream.next_in = UnsafeMutablePointer(mutating: baseOrDummy(input).assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(input.count)
      stream.next_out = out.baseAddress
      stream.avail_out = uInt(bound)
      rc = deflate(&stream, Z_FINISH)
      guard rc == Z_STREAM_END else { throw ParquetError(.io, "zlib deflate failed (\(rc))") }
      initialized = bound - Int(stream.avail_out)
    }
  }
}
