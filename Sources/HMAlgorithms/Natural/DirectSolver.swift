import HMCore

/// (F_i + αI)⁻¹ from accumulated `FisherBlocks`: each unit's d×d block, divided by the sample
/// count and damped, is factored once in float64 by LAPACK (`dpotrf`), and the factor is kept
/// packed (d(d+1)/2 doubles per unit), so that every later `solve` costs two packed triangular
/// solves per unit (2d² flops). Factoring costs units · d³/3.
public final class DirectSolver: FisherSolver {
    public let units: Int
    public let fanIn: Int
    public let damping: Double
    public let owned: Range<Int>
    public let name: String
    let dimension: Int
    let triangle: Int
    /// owned.count · triangle: the packed upper factors R_i with F_i + αI = R_iᵀR_i.
    let factors: UnsafeMutablePointer<Double>

    /// Factors the units in `owned` (all if nil).
    public init(blocks: FisherBlocks, damping: Double, owned: Range<Int>? = nil) throws {
        precondition(damping >= 0, "damping \(damping)")
        precondition(blocks.count > 0, "\(blocks.name): no Fisher samples accumulated")
        units = blocks.units
        fanIn = blocks.fanIn
        self.damping = damping
        self.owned = owned ?? 0..<blocks.units
        precondition(self.owned.lowerBound >= 0 && self.owned.upperBound <= blocks.units, "\(blocks.name): units \(self.owned)")
        name = blocks.name
        dimension = blocks.dimension
        triangle = blocks.triangle
        let d = dimension
        factors = .allocate(capacity: max(self.owned.count * triangle, 1))
        let square = UnsafeMutablePointer<Double>.allocate(capacity: d * d)
        defer { square.deallocate() }
        let scale = 1 / blocks.count
        for i in self.owned {
            Float64Linear.unpackSymmetric(blocks.block(i), n: d, scale: scale, shift: damping, into: square)
            guard Float64Linear.choleskyUpper(square, n: d) else {
                // Fully initialised: deinit frees `factors`.
                throw NaturalGradientError.notPositiveDefinite(layer: blocks.name, unit: i, damping: damping)
            }
            Float64Linear.packUpper(square, n: d, into: factors + (i - self.owned.lowerBound) * triangle)
        }
    }

    deinit { factors.deallocate() }

    public func solve(weight: Matrix?, bias: Matrix) {
        let d = dimension
        let g = UnsafeMutablePointer<Double>.allocate(capacity: units * d)
        defer { g.deallocate() }
        gather(weight: weight, bias: bias, into: g)
        for i in owned { Float64Linear.solvePacked(factors + (i - owned.lowerBound) * triangle, n: d, g + i * d) }
        scatter(g, weight: weight, bias: bias)
    }
}
