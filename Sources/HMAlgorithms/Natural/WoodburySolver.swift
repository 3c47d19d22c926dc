import HMCore

/// (F_i + αI)⁻¹ for few samples (N < d = fanIn + 1) by the Woodbury identity, never forming
/// a d×d block. With U_i = [√(ρ_n c_ni / count) · h̃_n]_n (d×N), F_i = U_iU_iᵀ exactly (the
/// estimate `FisherBlocks` would accumulate from the same samples), and
///
///     (αI + U_iU_iᵀ)⁻¹ g = (g − U_i (αI_N + U_iᵀU_i)⁻¹ U_iᵀ g) / α,
///
/// where U_iᵀU_i = D_i G D_i with one Gram matrix G = H̃H̃ᵀ (N×N, one SYRK) per layer and D_i
/// the diagonal of unit i's sample scales. Factoring: units · N³/3 (the N×N factors are kept
/// packed); each solve: two GEMMs for all units (H̃·gᵀ and the correction Y·H̃) plus 2N² per
/// unit. All in float64: the division by α amplifies rounding in g − U z.
public final class WoodburySolver: FisherSolver {
    public let units: Int
    public let fanIn: Int
    public let damping: Double
    public let samples: Int
    public let owned: Range<Int>
    public let name: String
    /// [N, d]: the samples' h̃.
    let h: UnsafeMutablePointer<Double>
    /// [units, N]: √(ρ_n c_ni / count).
    let scales: UnsafeMutablePointer<Double>
    /// owned.count · N(N+1)/2: packed upper factors of αI_N + D_i G D_i.
    let factors: UnsafeMutablePointer<Double>

    /// `parents` [N, fanIn] (nil for the prior), `weights` the Fisher weights c [N, units],
    /// `rowWeights` ρ (all 1 if nil); F_i = Σ_n ρ_n c_ni h̃_n h̃_nᵀ / count with `count` Σ_n ρ_n
    /// unless given (a global sample count). α must be positive. Factors the units in `owned`
    /// (all if nil); the Gram matrix is the whole layer's.
    public init(parents: Matrix?, weights: Matrix, rowWeights: UnsafePointer<Float>? = nil, count: Double? = nil,
                damping: Double, name: String = "", owned: Range<Int>? = nil) throws {
        precondition(damping > 0, "the Woodbury solve needs damping > 0, got \(damping)")
        let n = weights.rows, units = weights.cols
        let fanIn = parents?.cols ?? 0, d = fanIn + 1
        precondition(parents == nil || parents!.rows == n, "parents and weights rows differ")
        self.units = units
        self.fanIn = fanIn
        self.damping = damping
        self.samples = n
        self.name = name
        self.owned = owned ?? 0..<units
        precondition(self.owned.lowerBound >= 0 && self.owned.upperBound <= units, "\(name): units \(self.owned)")
        var total = 0.0
        for r in 0..<n { total += rowWeights.map { Double($0[r]) } ?? 1 }
        let norm = count ?? total
        precondition(norm > 0, "\(name): no Fisher samples")
        h = FisherBlocks.augmented(parents, rows: n, fanIn: fanIn)
        scales = .allocate(capacity: max(units * n, 1))
        for i in 0..<units {
            for r in 0..<n {
                let c = Double(weights.data[r * units + i]) * (rowWeights.map { Double($0[r]) } ?? 1) / norm
                precondition(!(c < 0), "negative Fisher weight (row \(r), unit \(i))")
                scales[i * n + r] = c.squareRoot()
            }
        }
        let tri = n * (n + 1) / 2
        factors = .allocate(capacity: max(self.owned.count * tri, 1))
        let gram = UnsafeMutablePointer<Double>.allocate(capacity: max(n * n, 1))
        let m = UnsafeMutablePointer<Double>.allocate(capacity: max(n * n, 1))
        defer { gram.deallocate(); m.deallocate() }
        Float64Linear.syrk(h, n: n, k: d, lda: d, beta: 0, into: gram)  // upper triangle of H̃H̃ᵀ
        for i in self.owned {
            let s = scales + i * n
            for j in 0..<n {
                for k in j..<n { m[j * n + k] = s[j] * gram[j * n + k] * s[k] }
                m[j * n + j] += damping
            }
            guard Float64Linear.choleskyUpper(m, n: n) else {
                // Fully initialised: deinit frees the buffers.
                throw NaturalGradientError.notPositiveDefinite(layer: name, unit: i, damping: damping)
            }
            Float64Linear.packUpper(m, n: n, into: factors + (i - self.owned.lowerBound) * tri)
        }
    }

    deinit {
        h.deallocate()
        scales.deallocate()
        factors.deallocate()
    }

    public func solve(weight: Matrix?, bias: Matrix) {
        let n = samples, d = fanIn + 1, tri = n * (n + 1) / 2
        let g = UnsafeMutablePointer<Double>.allocate(capacity: units * d)
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(units * n, 1))
        defer { g.deallocate(); p.deallocate() }
        gather(weight: weight, bias: bias, into: g)
        if n > 0 {
            // P = g · H̃ᵀ: row i is H̃ g_i, so D_i ∘ P_i = U_iᵀ g_i. The products cover every
            // unit (the rows of units not owned are zero), so that an owned unit's row is the
            // same bits however the units are shared out.
            Float64Linear.gemm(g, h, transposeB: true, m: units, n: n, k: d, into: p)
            for i in owned {
                let s = scales + i * n, row = p + i * n
                for r in 0..<n { row[r] *= s[r] }
                Float64Linear.solvePacked(factors + (i - owned.lowerBound) * tri, n: n, row)   // z = (αI + UᵀU)⁻¹ Uᵀg
                for r in 0..<n { row[r] *= s[r] }                          // D_i z: U_i z = H̃ᵀ(D_i z)
            }
            Float64Linear.gemm(p, h, m: units, n: d, k: n, alpha: -1, beta: 1, into: g)  // g − U z
        }
        let inverse = 1 / damping
        for k in 0..<(units * d) { g[k] *= inverse }
        scatter(g, weight: weight, bias: bias)
    }
}
