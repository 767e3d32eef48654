#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
  static let elementGrain = 1 << 15

  /// `out[n] = max(inp, 0)`.
  public static func reluForward(out: Out, inp: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { out[i] = inp[i] > 0 ? inp[i] : 0 }
    }
  }

  /// `dInp += dOut · [out > 0]` (uses the forward output).
  public static func reluBackward(dInp: Out, dOut: In, out: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      var i = lo
      let zero = SIMD16<Float>()
      while i + 16 <= hi {
        let o = UnsafeRawPointer(out + i).loadUnaligned(as: SIMD16<Float>.self)
        let g = UnsafeRawPointer(dOut + i).loadUnaligned(as: SIMD16<Float>.self)
        let d = UnsafeMutableRawPointer(dInp + i)
        let keep = g.replacing(with: zero, where: .!(o .> zero))
        d.storeBytes(of: d.loadUnaligned(as: SIMD16<Float>.self) + keep, as: SIMD16<Float>.self)
        i += 16
      }
      while i < hi { dInp[i] += out[i] > 0 ? dOut[i] : 0; i += 1 }
    }
  }

  /// `out = inp > 0 ? inp : slope · inp`.
  public static func leakyReluForward(out: Out, inp: In, count n: Int, slope: Float) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { out[i] = inp[i] > 0 ? inp[i] : slope * inp[i] }
    }
  }

  /// `dInp += dOut · (inp > 0 ? 1 : slope)`.
  public static func leakyReluBackward(dInp: Out, dOut: In, inp: In, count n: Int, slope: Float) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { dInp[i] += inp[i] > 0 ? dOut[i] : slope * dOut[i] }
    }
  }

  /// `out = 1 / (1 + e^(−inp))`, computed without overflow for large |inp|.
  public static func sigmoidForward(out: Out, inp: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { out[i] = stableSigmoid(inp[i]) }
    }
  }

  /// `dInp += dOut · out · (1 − out)` (uses the forward output).
  public static func sigmoidBackward(dInp: Out, dOut: In, out: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { dInp[i] += dOut[i] * out[i] * (1 - out[i]) }
    }
  }

  /// `out = tanh(inp)`.
  public static func tanhForward(out: Out, inp: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { out[i] = tanhf(inp[i]) }
    }
  }

  /// `dInp += dOut · (1 − out²)` (uses the forward output).
  public static func tanhBackward(dInp: Out, dOut: In, out: In, count n: Int) {
    parallelFor(n, grain: elementGrain) { lo, hi in
      for i in lo..<hi { dInp[i] += dOut[i] * (1 - out[i] * out[i]) }
    }
  }

  @inline(__always)
  public static func stableSigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
  }

  // MARK: Dropout

  /// Inverted dropout: `mask[i] = u ≥ p ? 1/(1−p) : 0`, `out = inp · mask`.
  /// The mask depends only on `seed` and the element index (blocks of 4096 elements each draw
  /// from their own derived generator), never on the thread count.
  public static func dropoutForward(out: Out, mask: Out, inp: In, count n: Int, p: Float,
                                    seed: UInt64) {
    precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
    let scale = 1 / (1 - p)
    let block = 4096
    let blocks = (n + block - 1) / block
    parallelFor(blocks, grain: 4) { lo, hi in
      for b in lo..<hi {
        var g = Generator(seed: deriveSeed(base: seed, salt: UInt64(b)))
        let end = min(n, (b + 1) * block)
        for i in (b * block)..<end {
          let m: Float = g.nextFloat() >= p ? scale : 0
          mask[i] = m
          out[i] = inp[i] * m
        }
      }
    }
  }

  /// `dInp += dOut · mask`.
  public static func dropoutBackward(dInp: Out, dOut: In, mask: In, count n: Int) {
    mulAccumulate(dInp: dInp, dOut: dOut, other: mask, count: n)
  }
}
