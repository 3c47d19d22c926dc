/// Sigmoid belief units coded ±1 (Liu 2023's `--states pm1`): s = +1 with probability σ(a),
/// a = W·in + b, where the parents `in` are ±1 too. The delta rule's target is (1 + s)/2:
/// log p(s) = t·a − softplus(a), ∂ log p / ∂a = t − σ(a), t = (1 + s)/2.
///
/// The model class is the 0/1 layer's (s = 2u − 1 is an affine change of the parents), but the
/// gradients, and so the learning, are not: a parent in state −1 moves its weight too.
/// Everything but the coding is `BernoulliLayer`'s.
public final class SignedBernoulliLayer: ConditionalLayer {
    let units: BernoulliLayer
    /// (1 + s)/2 of the values being scored.
    var targets: Matrix?

    public var inWidth: Int { units.inWidth }
    public var outWidth: Int { units.outWidth }
    public var preWidth: Int { units.preWidth }
    public var deltaWidth: Int { units.deltaWidth }

    public static func parameterShapes(prefix: String, inWidth: Int, outWidth: Int) -> [(name: String, shape: [Int])] {
        BernoulliLayer.parameterShapes(prefix: prefix, inWidth: inWidth, outWidth: outWidth)
    }

    public init(store: ParameterStore, prefix: String, inWidth: Int, outWidth: Int) {
        units = BernoulliLayer(store: store, prefix: prefix, inWidth: inWidth, outWidth: outWidth)
    }

    public func preactivation(_ input: Matrix?, into pre: Matrix) { units.preactivation(input, into: pre) }

    public func sample(pre: Matrix, every: Int, into value: Matrix, stream: RandomStream, tag: UInt32, firstIndex: Int) {
        units.sample(pre: pre, every: every, into: value, stream: stream, tag: tag, firstIndex: firstIndex)
        for i in 0..<value.rows * outWidth { value.data[i] = 2 * value.data[i] - 1 }
    }

    public func score(pre: Matrix, preEvery: Int, value: Matrix, valueEvery: Int, rows: Int,
                      delta: Matrix?, logProb: UnsafeMutablePointer<Double>?) {
        let valueRows = rows == 0 ? 0 : (rows - 1) / valueEvery + 1
        precondition(value.cols == outWidth, "score: values of \(value.cols) columns for \(outWidth) units")
        if (targets?.capacity ?? -1) < valueRows { targets = Matrix(rows: valueRows, cols: outWidth) }
        let targets = targets!
        targets.setRows(valueRows)
        for i in 0..<valueRows * outWidth { targets.data[i] = (1 + value.data[i]) / 2 }
        units.score(pre: pre, preEvery: preEvery, value: targets, valueEvery: valueEvery, rows: rows,
                    delta: delta, logProb: logProb)
    }

    public func accumulateGradient(delta: Matrix, input: Matrix?) { units.accumulateGradient(delta: delta, input: input) }

    /// E[s] = 2σ(a) − 1.
    public func mean(pre: Matrix, into out: Matrix) {
        units.mean(pre: pre, into: out)
        for i in 0..<out.count { out.data[i] = 2 * out.data[i] - 1 }
    }

    public var fisherHeads: [FisherHead] { units.fisherHeads }

    /// σ(a)(1 − σ(a)) as for 0/1 units: the Fisher of the logit does not depend on the coding
    /// (the parents' coding is in h̃).
    public func fisherWeights(pre: Matrix, every: Int, rows: Int, into out: Matrix) {
        units.fisherWeights(pre: pre, every: every, rows: rows, into: out)
    }
}
