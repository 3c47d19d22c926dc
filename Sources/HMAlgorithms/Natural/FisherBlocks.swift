import HMCore

/// A natural-gradient solve that could not be done.
public enum NaturalGradientError: Error, CustomStringConvertible {
    /// F_i + αI of one unit is not positive definite (α = 0 with a singular block, or NaN).
    case notPositiveDefinite(layer: String, unit: Int, damping: Double)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(layer, unit, damping):
            return "\(layer.isEmpty ? "layer" : layer) unit \(unit): Fisher block + \(damping)·I is not positive definite"
        }
    }
}

/// The exact block-diagonal Fisher information of one layer of a sigmoid belief network
/// (Várady, Volpi, Malagò & Ay): one block per unit i over its incoming weights and bias,
///
///     F_i = E[c_i · h̃h̃ᵀ],  h̃ = [parent state; 1],  c_i = the layer's `fisherWeights`
///
/// (σ'(a_i) for a Bernoulli unit), d = fanIn + 1 wide. It holds *sums* in float64 — the packed
/// upper triangles Σ_r c_ri h̃_r h̃_rᵀ of every unit, then the sample count Σ_r 1 (or Σ_r of
/// the row weights) — in one flat buffer, so that ranks allreduce `buffer[0..<bufferCount]`
/// in one call and the estimate F_i = sum_i / count comes out right for the global sample.
///
/// Layout of `buffer`: unit i's triangle at i · triangle, row j of it (columns j..<d) at
/// j·d − j(j−1)/2; the count last. The bias is coordinate d − 1 of h̃.
public final class FisherBlocks: @unchecked Sendable {
    public let units: Int
    public let fanIn: Int
    /// d = fanIn + 1.
    public let dimension: Int
    /// d(d + 1)/2 doubles per unit.
    public let triangle: Int
    /// units · triangle packed sums, then the count.
    public let buffer: UnsafeMutablePointer<Double>
    public let bufferCount: Int
    public var name: String

    public init(units: Int, fanIn: Int, name: String = "") {
        precondition(units > 0 && fanIn >= 0, "Fisher blocks of \(units) units, fan-in \(fanIn)")
        self.units = units
        self.fanIn = fanIn
        self.name = name
        dimension = fanIn + 1
        triangle = dimension * (dimension + 1) / 2
        bufferCount = units * triangle + 1
        buffer = .allocate(capacity: bufferCount)
        buffer.initialize(repeating: 0, count: bufferCount)
    }

    deinit { buffer.deallocate() }

    /// Σ of the samples' row weights (the number of samples when unweighted).
    public var count: Double {
        get { buffer[units * triangle] }
        set { buffer[units * triangle] = newValue }
    }

    /// Unit i's packed upper triangle of sums.
    public func block(_ i: Int) -> UnsafeMutablePointer<Double> { buffer + i * triangle }

    public func reset() { buffer.update(repeating: 0, count: bufferCount) }

    /// Multiplies the sums and the count by `factor`: `scale(by: ρ)` before `accumulate`
    /// turns the blocks into an exponentially decaying running average (F = sum / count).
    public func scale(by factor: Double) {
        for i in 0..<bufferCount { buffer[i] *= factor }
    }

    /// Adds Σ_r ρ_r · c[r, i] · h̃_r h̃_rᵀ to every unit's block and Σ_r ρ_r to the count, where
    /// h̃_r = [parents[r]; 1], c = `weights` ([N, units], non-negative — the layer's
    /// `fisherWeights`) and ρ = `rowWeights` (all 1 if nil). `parents` is [N, fanIn], nil for
    /// the prior (h̃ = [1]).
    ///
    /// All units at once, as products with the packed outer products of the samples: for a
    /// band of rows of the triangle (about `bandColumns` packed entries), Z[r, (j, k)] =
    /// h̃_rj h̃_rk, then T = (ρ∘c)ᵀ Z [units, band] by one `sgemm`, added to the float64 sums.
    /// Units · N · d²/2 multiply-adds, as per-unit SYRKs would do, but in one large float32
    /// product at the machine's GEMM rate. float32 is enough here: the products of 0/1 parents
    /// are exact (others rounded to 6e-8), and the sums' rounding (~1e-7 relative per term) is
    /// far below the sampling error of the estimate (~1/√N); the factors are computed in
    /// float64. The band scratch is N × band floats, the band at most `bandColumns` entries
    /// and at most `scratchFloats` / N (but always one whole row of the triangle).
    public func accumulate(parents: Matrix?, weights: Matrix, rowWeights: UnsafePointer<Float>? = nil) {
        let n = weights.rows, d = dimension
        precondition(weights.cols == units, "Fisher weights [\(weights.rows), \(weights.cols)] for \(units) units")
        if let parents {
            precondition(parents.cols == fanIn && parents.rows == n,
                         "parents [\(parents.rows), \(parents.cols)] for \(n) rows of fan-in \(fanIn)")
        } else {
            precondition(fanIn == 0, "parents missing for fan-in \(fanIn)")
        }
        if n == 0 { return }
        // C = ρ∘c [N, units].
        let c = Matrix(rows: n, cols: units)
        var total = 0.0
        for r in 0..<n {
            let rho = rowWeights.map { $0[r] } ?? 1
            total += Double(rho)
            for i in 0..<units {
                let v = weights.data[r * units + i] * rho
                precondition(!(v < 0), "negative Fisher weight \(v) (row \(r), unit \(i))")
                c.data[r * units + i] = v
            }
        }
        // h̃ [N, d] in float32.
        let h = Matrix(rows: n, cols: d)
        for r in 0..<n {
            if let parents { (h.data + r * d).update(from: parents.data + r * fanIn, count: fanIn) }
            h.data[r * d + fanIn] = 1
        }
        // Bands of triangle rows j0..<j1; row j holds columns j..<d, at offset j·d − j(j−1)/2.
        func offset(_ j: Int) -> Int { j * d - j * (j - 1) / 2 }
        let widest = min(max(min(FisherBlocks.bandColumns, FisherBlocks.scratchFloats / n), d), triangle)
        let z = Matrix(rows: n, cols: widest), t = Matrix(rows: units, cols: widest)
        var j0 = 0
        while j0 < d {
            var j1 = j0 + 1
            while j1 < d && offset(j1 + 1) - offset(j0) <= widest { j1 += 1 }
            let columns = offset(j1) - offset(j0)
            let band = Matrix(view: z.data, rows: n, cols: columns, owner: z)
            for r in 0..<n {
                let src = h.data + r * d
                var dst = band.data + r * columns
                for j in j0..<j1 {
                    let a = src[j], len = d - j
                    if a == 0 { dst.update(repeating: 0, count: len) } else if a == 1 { dst.update(from: src + j, count: len) } else {
                        for k in 0..<len { dst[k] = a * src[j + k] }
                    }
                    dst += len
                }
            }
            let out = Matrix(view: t.data, rows: units, cols: columns, owner: t)
            BLAS.gemm(c, transposeA: true, band, into: out)   // [units, N]·[N, band]
            for i in 0..<units {
                let sums = block(i) + offset(j0), row = out.data + i * columns
                for q in 0..<columns { sums[q] += Double(row[q]) }
            }
            j0 = j1
        }
        count += total
    }

    /// Packed entries per band of `accumulate` (its scratch is N · this many floats)...
    public static let bandColumns = 4096
    /// ...unless that would pass 2²⁴ floats (64 MB): with many samples the bands narrow.
    public static let scratchFloats = 1 << 24

    /// F_i = sum_i / count as a dense d×d matrix (for tests and inspection).
    public func fisher(unit i: Int) -> [[Double]] {
        let d = dimension
        var f = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        let p = block(i), c = count
        var k = 0
        for j in 0..<d {
            for l in j..<d {
                f[j][l] = p[k] / c
                f[l][j] = p[k] / c
                k += 1
            }
        }
        return f
    }

    /// g_i ← (F_i + αI)⁻¹ g_i for every unit, in place, through the direct (Cholesky) solver;
    /// g_i = [weight row i; bias i]. `weight` is [units, fanIn] (nil for the prior), `bias`
    /// holds `units` values.
    public func solve(weight: Matrix?, bias: Matrix, damping: Double) throws {
        try DirectSolver(blocks: self, damping: damping).solve(weight: weight, bias: bias)
    }

    /// [rows, fanIn + 1] doubles: the rows of `parents` with a 1 appended (the caller frees).
    static func augmented(_ parents: Matrix?, rows n: Int, fanIn: Int) -> UnsafeMutablePointer<Double> {
        let d = fanIn + 1
        let h = UnsafeMutablePointer<Double>.allocate(capacity: max(n * d, 1))
        for r in 0..<n {
            let dst = h + r * d
            if let parents {
                let src = parents.data + r * fanIn
                for j in 0..<fanIn { dst[j] = Double(src[j]) }
            }
            dst[fanIn] = 1
        }
        return h
    }
}

/// A per-layer solve of (F_i + αI) x = g_i, in place on the gradient views, for the units it
/// owns: all of them in a world of one; with ranks sharing the solves, this rank's part (the
/// others' gradients are left as they are, for the caller to gather).
public protocol FisherSolver: AnyObject {
    var units: Int { get }
    var fanIn: Int { get }
    var damping: Double { get }
    /// The units factored and solved here.
    var owned: Range<Int> { get }
    /// g_i = [weight row i; bias i] ← (F_i + αI)⁻¹ g_i for i in `owned`. `weight` is
    /// [units, fanIn] (nil when fanIn = 0), `bias` holds `units` values.
    func solve(weight: Matrix?, bias: Matrix)
}

extension FisherSolver {
    /// Copies the owned units' gradients into [units, d] doubles; the other rows are zero.
    func gather(weight: Matrix?, bias: Matrix, into g: UnsafeMutablePointer<Double>) {
        let d = fanIn + 1
        precondition(bias.count >= units && (fanIn == 0 || (weight?.rows == units && weight?.cols == fanIn)),
                     "gradient shapes for \(units) units of fan-in \(fanIn)")
        g.update(repeating: 0, count: units * d)
        for i in owned {
            let row = g + i * d
            if let weight {
                let w = weight.data + i * fanIn
                for j in 0..<fanIn { row[j] = Double(w[j]) }
            }
            row[fanIn] = Double(bias.data[i])
        }
    }

    /// Writes the owned units' rows of `g` back.
    func scatter(_ g: UnsafePointer<Double>, weight: Matrix?, bias: Matrix) {
        let d = fanIn + 1
        for i in owned {
            let row = g + i * d
            if let weight {
                let w = weight.data + i * fanIn
                for j in 0..<fanIn { w[j] = Float(row[j]) }
            }
            bias.data[i] = Float(row[fanIn])
        }
    }
}
