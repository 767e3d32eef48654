import COpenSSL

/// The three OpenSSL primitives the handshake needs, behind Swift signatures.
public enum Crypto {
  /// HMAC-SHA256(key, data): 32 bytes.
  public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = key.withUnsafeBytes { k in
      data.withUnsafeBytes { d in
        out.withUnsafeMutableBufferPointer { o in
          HMAC(EVP_sha256(), k.baseAddress, Int32(k.count),
               d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, o.baseAddress, &length)
        }
      }
    }
    precondition(ok != nil && length == 32, "OpenSSL HMAC-SHA256 failed")
    return Array(out[..<Int(length)])
  }

  /// Compares in time that depends only on the length (CRYPTO_memcmp), so a forger cannot learn
  /// a proof byte by byte from response times.
  public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { x in
      b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 }
    }
  }

  /// `count` bytes from OpenSSL's CSPRNG.
  public static func randomBytes(_ count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
    guard ok == 1 else {
      throw NetError(.authenticationFailed, "OpenSSL RAND_bytes failed: no secure randomness")
    }
    return out
  }
}
