import HMCore

/// A ridge regression's Gram matrix in float64, ΦᵀΦ + λI (n × n) from the rows of Φ, as its
/// Cholesky factor: one `dsyrk` and one `dpotrf`, into storage kept across steps.
final class RidgeFactor {
    let n: Int
    private let factor: DoubleBuffer
    /// False when the last Gram matrix was not positive definite (non-finite features).
    private(set) var isDefinite = true

    init(n: Int) {
        self.n = n
        factor = DoubleBuffer(n * n)
    }

    /// Factors ΦᵀΦ + λI for Φ row-major [rows, n].
    func refit(_ phi: UnsafePointer<Double>, rows: Int, lambda: Double) {
        Float64Linear.syrkTransposed(phi, k: rows, n: n, lda: n, beta: 0, into: factor.pointer)
        for i in 0..<n { factor[i * n + i] += lambda }
        isDefinite = Float64Linear.choleskyUpper(factor.pointer, n: n)
    }

    /// B ← (ΦᵀΦ + λI)⁻¹B for each of the `rows` rows of the row-major B ([rows, n]).
    func solveRows(_ b: UnsafeMutablePointer<Double>, rows: Int) {
        guard isDefinite else {
            b.update(repeating: .nan, count: rows * n)
            return
        }
        Float64Linear.solveRows(factor.pointer, n: n, b, rows: rows)
    }
}

/// A float64 workspace that grows to the largest size asked of it and is then reused.
final class Workspace {
    private(set) var buffer = DoubleBuffer(0)

    /// At least `count` doubles (their values are left as they were).
    func pointer(_ count: Int) -> UnsafeMutablePointer<Double> {
        if buffer.capacity < count { buffer = DoubleBuffer(count) }
        return buffer.pointer
    }
}

/// A duration of the continuous clock in seconds.
func elapsed(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
