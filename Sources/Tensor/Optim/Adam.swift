#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam over the whole parameter arena in one pass, as PyTorch's `torch.optim.Adam` computes it
/// (L2 `weightDecay` added to the gradient, not decoupled; bias-corrected moments;
/// `param −= lr/bc1 · m / (√v/√bc2 + eps)`).
public final class Adam {
  public var lr: Float
  public let beta1: Float
  public let beta2: Float
  public let eps: Float
  public var weightDecay: Float
  /// Steps taken so far (the `t` of the bias corrections).
  public private(set) var stepCount = 0
  /// First and second moments, laid out like the arena.
  public private(set) var m: [Float]
  public private(set) var v: [Float]

  public init(count: Int, lr: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
              weightDecay: Float = 0) {
    self.lr = lr
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    self.weightDecay = weightDecay
    m = [Float](repeating: 0, count: count)
    v = [Float](repeating: 0, count: count)
  }

  public convenience init(arena: ParameterArena, lr: Float, weightDecay: Float = 0) {
    self.init(count: arena.count, lr: lr, weightDecay: weightDecay)
  }

  /// One update of `params` from `grads` (both `m.count` floats). Gradients are not modified.
  public func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>) {
    stepCount += 1
    let t = Double(stepCount)
    let bc1 = Float(1 - pow(Double(beta1), t))
    let bc2sqrt = Float((1 - pow(Double(beta2), t)).squareRoot())
    let stepSize = lr / bc1
    let (b1, b2, eps, wd) = (beta1, beta2, eps, weightDecay)
    let n = m.count
    m.withUnsafeMutableBufferPointer { mb in
      v.withUnsafeMutableBufferPointer { vb in
        let mp = mb.baseAddress!, vp = vb.baseAddress!
        parallelFor(n, grain: 1 << 15) { lo, hi in
          for i in lo..<hi {
            var g = grads[i]
            if wd != 0 { g += wd * params[i] }
            mp[i] = b1 * mp[i] + (1 - b1) * g
            vp[i] = b2 * vp[i] + (1 - b2) * g * g
            let denom = vp[i].squareRoot() / bc2sqrt + eps
            params[i] -= stepSize * mp[i] / denom
          }
        }
      }
    }
  }

  public func step(_ arena: ParameterArena) {
    precondition(arena.count == m.count, "Adam: state for \(m.count) floats, arena has \(arena.count)")
    step(params: arena.values, grads: arena.gradients)
  }

  /// Restores saved state (checkpoint resume).
  public func load(stepCount: Int, m: [Float], v: [Float]) {
    precondition(m.count == self.m.count && v.count == self.v.count, "Adam.load: state size mismatch")
    self.stepCount = stepCount
    self.m = m
    self.v = v
  }
}

/// Plain SGD with optional momentum and L2 weight decay (PyTorch's `torch.optim.SGD`).
public final class SGD {
  public var lr: Float
  public let momentum: Float
  public var weightDecay: Float
  private var buffer: [Float]
  private var started = false

  public init(count: Int, lr: Float, momentum: Float = 0, weightDecay: Float = 0) {
    self.lr = lr
    self.momentum = momentum
    self.weightDecay = weightDecay
    buffer = momentum != 0 ? [Float](repeating: 0, count: count) : []
  }

  public func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count n: Int) {
    let (lr, mu, wd, first) = (lr, momentum, weightDecay, !started)
    started = true
    if mu == 0 {
      for i in 0..<n { params[i] -= lr * (grads[i] + wd * params[i]) }
      return
    }
    precondition(buffer.count == n, "SGD: momentum state for \(buffer.count) floats, got \(n)")
    buffer.withUnsafeMutableBufferPointer { bb in
      let b = bb.baseAddress!
      for i in 0..<n {
        let g = grads[i] + wd * params[i]
        b[i] = first ? g : mu * b[i] + g
        params[i] -= lr * b[i]
      }
    }
  }

  public func step(_ arena: ParameterArena) {
    step(params: arena.values, grads: arena.gradients, count: arena.count)
  }
}

/// Global-norm gradient clipping (PyTorch's `clip_grad_norm_`): when ‖g‖₂ > `maxNorm`, scales
/// every gradient by `maxNorm / (‖g‖₂ + 1e−6)`. Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ grads: UnsafeMutablePointer<Float>, count n: Int, maxNorm: Float) -> Float {
  var s: Double = 0
  for i in 0..<n { s += Double(grads[i]) * Double(grads[i]) }
  let norm = Float(s.squareRoot())
  let coef = maxNorm / (norm + 1e-6)
  if coef < 1 { for i in 0..<n { grads[i] *= coef } }
  return norm
}
