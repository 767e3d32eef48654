/// Row primitives shared by the sparse kernels, written over explicit SIMD vectors so that the
/// hot loops vectorise on every target (the optimiser cannot prove that two raw pointers do not
/// alias, and would otherwise keep these loops scalar).
extension Kernels {
  /// `dst[0..<n] += src[0..<n]`.
  @inline(__always)
  public static func addRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var j = 0
    let rd = UnsafeMutableRawPointer(dst), rs = UnsafeRawPointer(src)
    while j + 16 <= n {
      let a = rd.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
      let b = rs.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
      rd.storeBytes(of: a + b, toByteOffset: j * 4, as: SIMD16<Float>.self)
      j += 16
    }
    while j < n {
      dst[j] += src[j]
      j += 1
    }
  }

  /// `dst[0..<n] += alpha · src[0..<n]`.
  @inline(__always)
  public static func addScaledRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>,
                                  _ alpha: Float, _ n: Int) {
    var j = 0
    let rd = UnsafeMutableRawPointer(dst), rs = UnsafeRawPointer(src)
    let s = SIMD16<Float>(repeating: alpha)
    while j + 16 <= n {
      let a = rd.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
      let b = rs.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
      rd.storeBytes(of: a + s * b, toByteOffset: j * 4, as: SIMD16<Float>.self)
      j += 16
    }
    while j < n {
      dst[j] += alpha * src[j]
      j += 1
    }
  }

  /// `dst[0..<n] *= alpha`.
  @inline(__always)
  public static func scaleRow(_ dst: UnsafeMutablePointer<Float>, _ alpha: Float, _ n: Int) {
    var j = 0
    let rd = UnsafeMutableRawPointer(dst)
    let s = SIMD16<Float>(repeating: alpha)
    while j + 16 <= n {
      let a = rd.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
      rd.storeBytes(of: a * s, toByteOffset: j * 4, as: SIMD16<Float>.self)
      j += 16
    }
    while j < n {
      dst[j] *= alpha
      j += 1
    }
  }
}
