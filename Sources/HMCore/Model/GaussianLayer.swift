import Foundation

/// Diagonal Gaussian units: out_j ~ N(μ_j, σ²_j) with μ = W·in + b and the log-variance
/// λ = log σ² one learned value per unit (`gaussian`) or affine in the parents too
/// (`gaussian-hetero`, `HeteroGaussianLayer`).
///
/// A row of `pre` is [μ (outWidth) | λ (outWidth)]; a row of `delta` is
/// [∂ log p/∂μ | ∂ log p/∂λ]:
///
///     log p(v) = −½ (log 2π + λ + (v − μ)² e^{−λ})
///     ∂/∂μ = (v − μ) e^{−λ},   ∂/∂λ = ½ ((v − μ)² e^{−λ} − 1)
///
/// λ is clamped to [`logVarianceFloor`, `logVarianceCeiling`] where it is used (the variance
/// floor keeps the density bounded; the gradient is 0 beyond a clamp). Draws are
/// v = μ + e^{λ/2} z with z the Box–Muller normals of the counter-based stream (sample index,
/// tag, step), so a draw depends only on its global index.
///
/// Tensors: `P.weight` [out, in], `P.bias` [out], `P.logvar` [out]; the prior (no parents)
/// `P.mean` [out] and `P.logvar` [out]; hetero adds `P.logvar_weight` [out, in] and names
/// its log-variance bias `P.logvar_bias`.
public class GaussianLayer: ConditionalLayer {
    /// σ² ≥ 10⁻⁴, σ² ≤ e^20: a unit cannot collapse onto a data value, nor overflow.
    public static let logVarianceFloor: Float = Float(log(1e-4))
    public static let logVarianceCeiling: Float = 20
    static let log2π = log(2 * Double.pi)

    public let inWidth: Int
    public let outWidth: Int
    public var preWidth: Int { 2 * outWidth }
    public var deltaWidth: Int { 2 * outWidth }
    /// Whether λ is affine in the parents.
    public class var heteroscedastic: Bool { false }

    let meanWeight: Matrix?, meanWeightGradient: Matrix?
    let meanBias: Matrix, meanBiasGradient: Matrix
    let logvarWeight: Matrix?, logvarWeightGradient: Matrix?
    let logvarBias: Matrix, logvarBiasGradient: Matrix

    public class func parameterShapes(prefix: String, inWidth: Int, outWidth: Int) -> [(name: String, shape: [Int])] {
        let names = tensorNames(prefix: prefix, inWidth: inWidth)
        var shapes: [(name: String, shape: [Int])] = []
        if let w = names.meanWeight { shapes.append((w, [outWidth, inWidth])) }
        shapes.append((names.meanBias, [outWidth]))
        if let w = names.logvarWeight { shapes.append((w, [outWidth, inWidth])) }
        shapes.append((names.logvarBias, [outWidth]))
        return shapes
    }

    class func tensorNames(prefix: String, inWidth: Int) -> (meanWeight: String?, meanBias: String, logvarWeight: String?, logvarBias: String) {
        if inWidth == 0 { return (nil, "\(prefix).mean", nil, "\(prefix).logvar") }
        return heteroscedastic
            ? ("\(prefix).weight", "\(prefix).bias", "\(prefix).logvar_weight", "\(prefix).logvar_bias")
            : ("\(prefix).weight", "\(prefix).bias", nil, "\(prefix).logvar")
    }

    public required init(store: ParameterStore, prefix: String, inWidth: Int, outWidth: Int) {
        self.inWidth = inWidth
        self.outWidth = outWidth
        let n = Self.tensorNames(prefix: prefix, inWidth: inWidth)
        meanWeight = n.meanWeight.map(store.value)
        meanWeightGradient = n.meanWeight.map(store.gradient)
        meanBias = store.value(n.meanBias)
        meanBiasGradient = store.gradient(n.meanBias)
        logvarWeight = n.logvarWeight.map(store.value)
        logvarWeightGradient = n.logvarWeight.map(store.gradient)
        logvarBias = store.value(n.logvarBias)
        logvarBiasGradient = store.gradient(n.logvarBias)
    }

    public func preactivation(_ input: Matrix?, into pre: Matrix) {
        let out = outWidth, rows = pre.rows
        for r in 0..<rows {
            (pre.data + r * 2 * out).update(from: meanBias.data, count: out)
            (pre.data + r * 2 * out + out).update(from: logvarBias.data, count: out)
        }
        guard let input else { return }
        if let w = meanWeight {
            BLAS.gemm(m: rows, n: out, k: inWidth, a: input.data, lda: input.cols, b: w.data, ldb: inWidth, transposeB: true,
                      c: pre.data, ldc: 2 * out, beta: 1)
        }
        if let w = logvarWeight {
            BLAS.gemm(m: rows, n: out, k: inWidth, a: input.data, lda: input.cols, b: w.data, ldb: inWidth, transposeB: true,
                      c: pre.data + out, ldc: 2 * out, beta: 1)
        }
    }

    @inline(__always) static func clamp(_ λ: Float) -> Float { min(max(λ, logVarianceFloor), logVarianceCeiling) }

    public func sample(pre: Matrix, every: Int, into value: Matrix, stream: RandomStream, tag: UInt32, firstIndex: Int) {
        let out = outWidth
        for r in 0..<value.rows {
            let p = pre.data + (r / every) * 2 * out, v = value.data + r * out
            stream.normals(tag: tag, index: firstIndex + r, into: v, count: out)
            for j in 0..<out { v[j] = p[j] + exp(0.5 * Self.clamp(p[out + j])) * v[j] }
        }
    }

    public func score(pre: Matrix, preEvery: Int, value: Matrix, valueEvery: Int, rows: Int,
                      delta: Matrix?, logProb: UnsafeMutablePointer<Double>?) {
        let out = outWidth, floor = Self.logVarianceFloor, ceiling = Self.logVarianceCeiling
        for r in 0..<rows {
            let p = pre.data + (r / preEvery) * 2 * out, v = value.data + (r / valueEvery) * out
            var sum = 0.0
            let d = delta.map { $0.data + r * 2 * out }
            for j in 0..<out {
                let λ = Self.clamp(p[out + j]), precision = exp(-λ), e = v[j] - p[j], z2 = e * e * precision
                sum += Double(λ) + Double(z2)
                if let d {
                    d[j] = e * precision
                    d[out + j] = p[out + j] > floor && p[out + j] < ceiling ? 0.5 * (z2 - 1) : 0
                }
            }
            logProb?[r] += -0.5 * (Double(out) * Self.log2π + sum)
        }
    }

    public func accumulateGradient(delta: Matrix, input: Matrix?) {
        let out = outWidth, rows = delta.rows
        if let input {
            if let g = meanWeightGradient {
                BLAS.gemm(m: out, n: inWidth, k: rows, a: delta.data, lda: 2 * out, transposeA: true, b: input.data, ldb: input.cols,
                          c: g.data, ldc: inWidth, beta: 1)
            }
            if let g = logvarWeightGradient {
                BLAS.gemm(m: out, n: inWidth, k: rows, a: delta.data + out, lda: 2 * out, transposeA: true, b: input.data, ldb: input.cols,
                          c: g.data, ldc: inWidth, beta: 1)
            }
        }
        for r in 0..<rows {
            let d = delta.data + r * 2 * out
            for j in 0..<out {
                meanBiasGradient.data[j] += d[j]
                logvarBiasGradient.data[j] += d[out + j]
            }
        }
    }

    public func mean(pre: Matrix, into value: Matrix) {
        for r in 0..<value.rows { (value.data + r * outWidth).update(from: pre.data + r * 2 * outWidth, count: outWidth) }
    }

    /// e^{−λ}: the Fisher information of a Gaussian mean is h̃h̃ᵀ/σ². (That of λ, ½ per
    /// sample, is the layer's own: `logVarianceFisher`.)
    public func fisherWeights(pre: Matrix, every: Int, rows: Int, into out: Matrix) {
        for r in 0..<rows {
            let p = pre.data + (r / every) * 2 * outWidth, c = out.data + r * outWidth
            for j in 0..<outWidth { c[j] = exp(-Self.clamp(p[outWidth + j])) }
        }
    }

    /// E[(∂ log p/∂λ)²] = ½ for every sample: the Fisher weight of the log-variance head.
    public static let logVarianceFisher: Float = 0.5

    /// The mean head (c = e^{−λ}) and the log-variance head (c = ½; over the parents only
    /// for `gaussian-hetero`).
    public var fisherHeads: [FisherHead] {
        let n = Self.tensorNames(prefix: "", inWidth: inWidth)
        func local(_ name: String) -> String { String(name.dropFirst()) }  // "" prefix: ".bias" → "bias"
        return [FisherHead(weight: n.meanWeight.map(local), bias: local(n.meanBias)),
                FisherHead(suffix: ".logvar", weight: n.logvarWeight.map(local), bias: local(n.logvarBias), constant: Self.logVarianceFisher)]
    }
}

/// `gaussian-hetero`: λ = W_λ·in + b_λ, a second affine head (`P.logvar_weight`, `P.logvar_bias`).
public final class HeteroGaussianLayer: GaussianLayer {
    override public class var heteroscedastic: Bool { true }
}
