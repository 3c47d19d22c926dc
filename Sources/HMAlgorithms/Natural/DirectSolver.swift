import HMCore

/// (F_i + αI)⁻¹ from accumulated `FisherBlocks`: each unit's d×d block, divided by the sample
/// count and damped, is factored once in float64 by LAPACK (`dpotrf`), and the factor is kept
/// packed (d(d+1)/2 doubles per unit), so that every later `solve` costs two packed triangular
/// solves per unit (2d² flops). Factoring costs units · d³/3.
public final class DirectSolver: FisherSolver {
    public let units: Int
    public let fanIn: Int
    public let damping: Double
    public let name: String
    let dimension: Int
    let triangle: Int
    /// units · triangle: the packed upper factors R_i with F_i + αI = R_iᵀR_i.
    let factors: UnsafeMutablePointer<Double>

    public init(blocks: FisherBlocks, damping: Double) throws {
        precondition(damping >= 0, "damping \(damping)")
        precondition(blocks.count > 0, "\(blocks.name): no Fisher samples accumulated")
        units = blocks.units
        fanIn = blocks.fanIn
        self.damping = damping
        name = blocks.name
        dimension = blocks.dimension
        triangle = blocks.triangle
        let d = dimension
        factors = .allocate(capacity: units * triangle)
        let square = UnsafeMutablePointer<Double>.allocate(capacity: d * d)
        defer { square.deallocate() }
        let scale = 1 / blocks.count
        for i in 0..<units {
            Float64Linear.unpackSymmetric(blocks.block(i), n: d, scale: scale, shift: damping, into: square)
            guard Float64Linear.choleskyUpper(square, n: d) else {
                // Fully initialised: deinit frees `factors`.
                throw NaturalGradientError.notPositiveDefinite(layer: blocks.name, unit: i, damping: damping)
            }
            Float64Linear.packUpper(square, n: d, into: factors + i * triangle)
        }
    }

    deinit { factors.deallocate() }

    public func solve(weight: Matrix?, bias: Matrix) {
        let d = dimension
        let g = UnsafeMutablePointer<Double>.allocate(capacity: units * d)
        defer { g.deallocate() }
        gather(weight: weight, bias: bias, into: g)
        for i in 0..<units { Float64Linear.solvePacked(factors + i * triangle, n: d, g + i * d) }
        scatter(g, weight: weight, bias: bias)
    }
}
