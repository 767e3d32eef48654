import Foundation

/// A feature's raw values over all rows of its type, before the transform.
enum RawFeature {
  /// `rows × width` numbers (integers and floats as Float; nulls as NaN).
  case numeric([Float], width: Int)
  /// One text value per row (`to_categorical`); `nil` for null. `numericKeys` when the column
  /// held integers, so the learned order is numeric (as GraphStorm's `np.unique`).
  case text([String?], numericKeys: Bool)
}

/// Applies a transform to a whole feature and returns the stored rows and the transform with
/// its learned parameters filled in (what `data_transform_new.json` records).
enum Transforms {
  static func apply(_ t: FeatureTransform?, _ raw: RawFeature, rows: Int, where_: String) throws
    -> (values: [Float], width: Int, learned: FeatureTransform?)
  {
    switch (t, raw) {
    case (nil, .numeric(let x, let w)):
      return (x, w, nil)
    case (.toCategorical(let sep, let mapping)?, .text(let values, let numericKeys)):
      return categorical(values, separator: sep, mapping: mapping, numericKeys: numericKeys)
    case (_, .text):
      throw ConstructError(.badData, "\(where_): the column holds text; only to_categorical takes text")
    case (.toCategorical(let sep, let mapping)?, .numeric(let x, let w)):
      guard w == 1 else { throw ConstructError(.badData, "\(where_): to_categorical needs a scalar column, not vectors of \(w)") }
      let text: [String?] = x.map { $0.isNaN ? nil : ($0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0)) }
      return categorical(text, separator: sep, mapping: mapping, numericKeys: true)
    case (.maxMinNorm(let maxBound, let minBound, let givenMax, let givenMin)?, .numeric(let x, let w)):
      var maxV = givenMax ?? [Double](repeating: -.infinity, count: w)
      var minV = givenMin ?? [Double](repeating: .infinity, count: w)
      guard maxV.count == w else { throw ConstructError(.badConfig, "\(where_): max_val/min_val have \(maxV.count) values for \(w) dimensions") }
      if givenMax == nil {
        for r in 0..<rows { for d in 0..<w { let v = Double(x[r * w + d]); if !v.isNaN { maxV[d] = max(maxV[d], v); minV[d] = min(minV[d], v) } } }
        for d in 0..<w {
          if !maxV[d].isFinite { maxV[d] = 0 }
          if !minV[d].isFinite { minV[d] = 0 }
          if let maxBound { maxV[d] = min(maxV[d], maxBound) }
          if let minBound { minV[d] = max(minV[d], minBound) }
        }
      }
      var out = x
      for r in 0..<rows {
        for d in 0..<w {
          let span = maxV[d] - minV[d]
          let v = span > 0 ? (Double(x[r * w + d]) - minV[d]) / span : 0
          out[r * w + d] = Float(min(1, max(0, v)))
        }
      }
      return (out, w, .maxMinNorm(maxBound: maxBound, minBound: minBound, maxVal: maxV, minVal: minV))
    case (.standard(let given)?, .numeric(let x, let w)):
      var sum = given ?? [Double](repeating: 0, count: w)
      guard sum.count == w else { throw ConstructError(.badConfig, "\(where_): sum has \(sum.count) values for \(w) dimensions") }
      if given == nil { for r in 0..<rows { for d in 0..<w { let v = Double(x[r * w + d]); if !v.isNaN { sum[d] += v } } } }
      var out = x
      for r in 0..<rows { for d in 0..<w { out[r * w + d] = sum[d] != 0 ? Float(Double(x[r * w + d]) / sum[d]) : 0 } }
      return (out, w, .standard(sum: sum))
    case (.rankGauss(let eps, let uniquify)?, .numeric(let x, let w)):
      return (rankGauss(x, rows: rows, width: w, epsilon: eps ?? 1e-6, uniquify: uniquify), w, t)
    case (.bucketNumerical(let lo, let hi, let cnt, let win)?, .numeric(let x, let w)):
      var out = [Float](repeating: 0, count: rows * w * cnt)
      let size = (hi - lo) / Double(cnt)
      for r in 0..<rows {
        for d in 0..<w {
          let v = Double(x[r * w + d])
          if v.isNaN { continue }
          let a = max(v - win / 2, lo), b = min(v + win / 2, hi)
          func bucket(_ y: Double) -> Int { min(cnt - 1, max(0, Int(((y - lo) / size).rounded(.down)))) }
          var i = bucket(a), j = bucket(b)
          if i > j { swap(&i, &j) }
          for k in i...j { out[(r * w + d) * cnt + k] = 1 }
        }
      }
      return (out, w * cnt, t)
    }
  }

  static func categorical(_ values: [String?], separator: String?, mapping given: [String: Int]?, numericKeys: Bool)
    -> (values: [Float], width: Int, learned: FeatureTransform?)
  {
    func tokens(_ s: String) -> [String] {
      guard let separator else { return [s] }
      return s.components(separatedBy: separator).filter { !$0.isEmpty }
    }
    var mapping = given ?? [:]
    if given == nil {
      var seen = Set<String>()
      for v in values { if let v { for t in tokens(v) { seen.insert(t) } } }
      let sorted = seen.sorted { a, b in
        if numericKeys, let x = Double(a), let y = Double(b), x != y { return x < y }
        return a < b
      }
      for (i, s) in sorted.enumerated() { mapping[s] = i }
    }
    let width = max(1, mapping.count)
    var out = [Float](repeating: 0, count: values.count * width)
    for (r, v) in values.enumerated() {
      guard let v else { continue }
      for t in tokens(v) { if let k = mapping[t] { out[r * width + k] = 1 } }
    }
    return (out, width, .toCategorical(separator: separator, mapping: mapping))
  }

  /// GraphStorm's rank_gauss: ranks per dimension scaled to [−1, 1], clipped to
  /// [−1 + ε, 1 − ε], then erfinv. Ties get consecutive ranks in row order, or (`uniquify`)
  /// the rank of their distinct value.
  static func rankGauss(_ x: [Float], rows: Int, width w: Int, epsilon: Double, uniquify: Bool) -> [Float] {
    var out = x
    guard rows > 0 else { return out }
    for d in 0..<w {
      let col = (0..<rows).map { x[$0 * w + d] }
      let order = (0..<rows).sorted { col[$0] < col[$1] || (col[$0] == col[$1] && $0 < $1) }
      var rank = [Double](repeating: 0, count: rows)
      var denom = Double(rows - 1)
      if uniquify {
        var k = -1
        var prev: Float?
        for i in order { if prev != col[i] { k += 1; prev = col[i] }; rank[i] = Double(k) }
        denom = Double(k)
      } else {
        for (k, i) in order.enumerated() { rank[i] = Double(k) }
      }
      for r in 0..<rows {
        let u = denom > 0 ? rank[r] / denom * 2 - 1 : 0
        out[r * w + d] = Float(erfinv(min(1 - epsilon, max(-1 + epsilon, u))))
      }
    }
    return out
  }

  /// Inverse error function: Giles' approximation refined by two Newton steps on `erf`.
  static func erfinv(_ y: Double) -> Double {
    if y <= -1 { return -.infinity }
    if y >= 1 { return .infinity }
    var w = -log((1 - y) * (1 + y))
    var x: Double
    if w < 6.25 {
      w -= 3.125
      var p = -3.6444120640178196996e-21
      for c in [-1.685059138182016589e-19, 1.2858480715256400167e-18, 1.115787767802518096e-17,
                -1.333171662854620906e-16, 2.0972767875968561637e-17, 6.6376381343583238325e-15,
                -4.0545662729752068639e-14, -8.1519341976054721522e-14, 2.6335093153082322977e-12,
                -1.2975133253453532498e-11, -5.4154120542946279317e-11, 1.051212273321532285e-09,
                -4.1126339803469836976e-09, -2.9070369957882005086e-08, 4.2347877827932403518e-07,
                -1.3654692000834678645e-06, -1.3882523362786468719e-05, 0.0001867342080340571352,
                -0.00074070253416626697512, -0.0060336708714301490533, 0.24015818242558961693,
                1.6536545626831027356] { p = c + p * w }
      x = p * y
    } else if w < 16 {
      w = w.squareRoot() - 3.25
      var p = 2.2137376921775787049e-09
      for c in [9.0756561938885390979e-08, -2.7517406297064545428e-07, 1.8239629214389227755e-08,
                1.5027403968909827627e-06, -4.013867526981545969e-06, 2.9234449089955446044e-06,
                1.2475304481671778723e-05, -4.7318229009055733981e-05, 6.8284851459573175448e-05,
                2.4031110387097893999e-05, -0.0003550375203628474796, 0.00095328937973738049703,
                -0.0016882755560235047313, 0.0024914420961078508066, -0.0037512085075692412107,
                0.005370914553590063617, 1.0052589676941592334, 3.0838856104922207635] { p = c + p * w }
      x = p * y
    } else {
      w = w.squareRoot() - 5
      var p = -2.7109920616438573243e-11
      for c in [-2.5556418169965252055e-10, 1.5076572693500548083e-09, -3.7894654401267369937e-09,
                7.6157012080783393804e-09, -1.4960026627149240478e-08, 2.9147953450901080826e-08,
                -6.7711997758452339498e-08, 2.2900482228026654717e-07, -9.9298272942317002539e-07,
                4.5260625972231537039e-06, -1.9681778105531670567e-05, 7.5995277030017761139e-05,
                -0.00021503011930044477347, -0.00013871931833623122026, 1.0103004648645343977,
                4.8499064014085844221] { p = c + p * w }
      x = p * y
    }
    for _ in 0..<2 {
      let err = erf(x) - y
      x -= err / (2 / Double.pi.squareRoot() * exp(-x * x))
    }
    return x
  }
}
