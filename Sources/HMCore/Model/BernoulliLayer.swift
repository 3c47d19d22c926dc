import CKernels

/// A sigmoid belief layer: each unit is on with probability σ(a), a = W·in + b.
/// log p(s) = s·a − softplus(a); ∂ log p / ∂a = s − σ(a).
public final class BernoulliLayer: ConditionalLayer {
    public let inWidth: Int
    public let outWidth: Int
    public var preWidth: Int { outWidth }
    public var deltaWidth: Int { outWidth }
    /// [out, in], row-major as in PyTorch's Linear; nil for the prior.
    public let weight: Matrix?
    public let bias: Matrix
    let weightGradient: Matrix?
    let biasGradient: Matrix

    public static func parameterShapes(prefix: String, inWidth: Int, outWidth: Int) -> [(name: String, shape: [Int])] {
        inWidth == 0 ? [("\(prefix).logits", [outWidth])]
            : [("\(prefix).weight", [outWidth, inWidth]), ("\(prefix).bias", [outWidth])]
    }

    public init(store: ParameterStore, prefix: String, inWidth: Int, outWidth: Int) {
        self.inWidth = inWidth
        self.outWidth = outWidth
        if inWidth == 0 {
            weight = nil
            weightGradient = nil
            bias = store.value("\(prefix).logits")
            biasGradient = store.gradient("\(prefix).logits")
        } else {
            weight = store.value("\(prefix).weight")
            weightGradient = store.gradient("\(prefix).weight")
            bias = store.value("\(prefix).bias")
            biasGradient = store.gradient("\(prefix).bias")
        }
    }

    public func preactivation(_ input: Matrix?, into pre: Matrix) {
        hm_broadcast_row(pre.data, bias.data, Int64(pre.rows), Int64(outWidth))
        if let weight, let input {
            BLAS.gemm(input, weight, transposeB: true, into: pre, beta: 1)  // [n,in]·[in,out]
        }
    }

    public func sample(pre: Matrix, every: Int, into value: Matrix, stream: RandomStream,
                       tag: UInt32, firstIndex: Int) {
        let w = outWidth
        RowParallel.run(rows: value.rows, cols: w, aligned: every) { part in
            hm_bernoulli_sample(pre.data + (part.lowerBound / every) * w, Int64(every), value.data + part.lowerBound * w,
                                Int64(part.count), Int64(w), stream.key, tag, stream.step,
                                UInt32(truncatingIfNeeded: firstIndex + part.lowerBound))
        }
    }

    public func score(pre: Matrix, preEvery: Int, value: Matrix, valueEvery: Int, rows: Int,
                      delta: Matrix?, logProb: UnsafeMutablePointer<Double>?) {
        let w = outWidth
        RowParallel.run(rows: rows, cols: w, aligned: RowParallel.lcm(preEvery, valueEvery)) { part in
            let r = part.lowerBound
            hm_bernoulli_score(pre.data + (r / preEvery) * w, Int64(preEvery), value.data + (r / valueEvery) * w, Int64(valueEvery),
                               delta.map { $0.data + r * w }, logProb.map { $0 + r }, Int64(part.count), Int64(w))
        }
    }

    public func accumulateGradient(delta: Matrix, input: Matrix?) {
        if let weightGradient, let input {
            BLAS.gemm(delta, transposeA: true, input, into: weightGradient, beta: 1)  // [out,n]·[n,in]
        }
        hm_add_column_sums(delta.data, Int64(delta.rows), Int64(outWidth), biasGradient.data)
    }

    public func mean(pre: Matrix, into out: Matrix) {
        hm_sigmoid(pre.data, out.data, Int64(out.count))
    }

    public var fisherHeads: [FisherHead] { FisherHead.logits(inWidth: inWidth) }

    /// σ(a)(1 − σ(a)): the Fisher information of a Bernoulli logit.
    public func fisherWeights(pre: Matrix, every: Int, rows: Int, into out: Matrix) {
        precondition(every >= 1 && pre.cols == outWidth && out.cols == outWidth && rows <= out.capacity
                     && (rows == 0 || (rows - 1) / every < pre.capacity), "fisherWeights shapes")
        for r in 0..<rows {
            let s = out.data + r * outWidth
            hm_sigmoid(pre.data + (r / every) * outWidth, s, Int64(outWidth))
            for j in 0..<outWidth { s[j] = s[j] * (1 - s[j]) }
        }
    }
}
