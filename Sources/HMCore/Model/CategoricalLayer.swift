import Foundation

/// One one-hot group of W states: the state is k with probability softmax(a)_k, a = W·in + b
/// (the prior: a = its logits). A row of the layer's values is one-hot.
///
///     log p(v) = Σ_k v_k a_k − log Σ_k e^{a_k},   ∂/∂a = v − softmax(a)
///
/// A draw takes one open-interval uniform u of (sample index, tag, step) — lane 0 of its
/// Philox block — and the first k with u < Σ_{i ≤ k} softmax(a)_i (the last state if rounding
/// leaves u beyond the total). Tensors as for Bernoulli layers: `P.weight`, `P.bias`, the
/// prior's `P.logits`.
public final class CategoricalLayer: ConditionalLayer {
    public let inWidth: Int
    public let outWidth: Int
    public var preWidth: Int { outWidth }
    public var deltaWidth: Int { outWidth }
    let affine: BernoulliLayer

    public static func parameterShapes(prefix: String, inWidth: Int, outWidth: Int) -> [(name: String, shape: [Int])] {
        BernoulliLayer.parameterShapes(prefix: prefix, inWidth: inWidth, outWidth: outWidth)
    }

    public init(store: ParameterStore, prefix: String, inWidth: Int, outWidth: Int) {
        self.inWidth = inWidth
        self.outWidth = outWidth
        // The same affine map and gradient as a Bernoulli layer's logits.
        affine = BernoulliLayer(store: store, prefix: prefix, inWidth: inWidth, outWidth: outWidth)
    }

    public func preactivation(_ input: Matrix?, into pre: Matrix) { affine.preactivation(input, into: pre) }

    public func accumulateGradient(delta: Matrix, input: Matrix?) { affine.accumulateGradient(delta: delta, input: input) }

    /// softmax(a) of one row into `p`; returns log Σ e^{a}.
    @discardableResult
    func softmax(_ a: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>) -> Double {
        var top = a[0]
        for k in 1..<outWidth { top = max(top, a[k]) }
        var total = 0.0
        for k in 0..<outWidth { let e = exp(Double(a[k] - top)); p[k] = Float(e); total += e }
        for k in 0..<outWidth { p[k] = Float(Double(p[k]) / total) }
        return Double(top) + log(total)
    }

    public func sample(pre: Matrix, every: Int, into value: Matrix, stream: RandomStream, tag: UInt32, firstIndex: Int) {
        var u: Float = 0
        for r in 0..<value.rows {
            let a = pre.data + (r / every) * outWidth, v = value.data + r * outWidth
            stream.uniforms(tag: tag, index: firstIndex + r, into: &u, count: 1)
            softmax(a, into: v)
            var k = 0, cumulative = v[0]
            while k < outWidth - 1 && u >= cumulative { k += 1; cumulative += v[k] }
            for i in 0..<outWidth { v[i] = i == k ? 1 : 0 }
        }
    }

    public func score(pre: Matrix, preEvery: Int, value: Matrix, valueEvery: Int, rows: Int,
                      delta: Matrix?, logProb: UnsafeMutablePointer<Double>?) {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: outWidth)
        defer { p.deallocate() }
        for r in 0..<rows {
            let a = pre.data + (r / preEvery) * outWidth, v = value.data + (r / valueEvery) * outWidth
            let normalizer = softmax(a, into: p)
            var dot = 0.0, mass = 0.0
            for k in 0..<outWidth { dot += Double(v[k]) * Double(a[k]); mass += Double(v[k]) }
            logProb?[r] += dot - mass * normalizer
            if let delta {
                let d = delta.data + r * outWidth
                for k in 0..<outWidth { d[k] = v[k] - Float(mass) * p[k] }
            }
        }
    }

    public func mean(pre: Matrix, into value: Matrix) {
        for r in 0..<value.rows { softmax(pre.data + r * outWidth, into: value.data + r * outWidth) }
    }

    /// A categorical prior's Fisher is exact (diag(p) − ppᵀ, with p from `mean`); below the
    /// top the per-unit blocks take the diagonal below.
    public var fisherHeads: [FisherHead] { FisherHead.logits(inWidth: inWidth, softmax: true) }

    /// p_k(1 − p_k): the diagonal of the logits' Fisher diag(p) − ppᵀ. The natural-gradient
    /// algorithms use the exact matrix for a categorical prior (`fisherHeads`); below the top,
    /// units are coupled across the group and the per-unit blocks keep this diagonal.
    public func fisherWeights(pre: Matrix, every: Int, rows: Int, into out: Matrix) {
        for r in 0..<rows {
            let c = out.data + r * outWidth
            softmax(pre.data + (r / every) * outWidth, into: c)
            for k in 0..<outWidth { c[k] = c[k] * (1 - c[k]) }
        }
    }
}
