import HMCore

/// The exact (F + αI)⁻¹g of a categorical prior's logits, F = diag(p) − ppᵀ (the units of a
/// softmax are coupled, so no per-unit block is exact). With D = diag(p + α), Sherman–Morrison:
///
///     x = D⁻¹g + D⁻¹p · (pᵀD⁻¹g) / (1 − pᵀD⁻¹p)
///
/// and 1 − pᵀD⁻¹p > 0 since Σ p_k²/(p_k + α) < Σ p_k = 1. The blocks hold p itself (one exact
/// "sample" of weights p, so that a resumed run refactors from the saved statistics).
public final class SoftmaxSolver: FisherSolver {
    public let units: Int
    public var fanIn: Int { 0 }
    public let damping: Double
    public let owned: Range<Int>
    let p: [Double]

    public init(blocks: FisherBlocks, damping: Double, owned: Range<Int>? = nil) {
        precondition(blocks.fanIn == 0 && blocks.count > 0, "\(blocks.name): a softmax prior's probabilities")
        units = blocks.units
        self.damping = damping
        self.owned = owned ?? 0..<blocks.units
        p = (0..<blocks.units).map { blocks.block($0)[0] / blocks.count }
    }

    public func solve(weight: Matrix?, bias: Matrix) {
        let a = p.map { 1 / ($0 + damping) }
        var t = 0.0, u = 0.0
        for k in 0..<units { t += a[k] * p[k] * Double(bias.data[k]); u += a[k] * p[k] * p[k] }
        let s = t / (1 - u)
        // Every unit's result needs every g: compute them all, write only the owned ones.
        let x = (0..<units).map { a[$0] * (Double(bias.data[$0]) + p[$0] * s) }
        for k in owned { bias.data[k] = Float(x[k]) }
    }
}
