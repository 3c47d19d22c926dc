import CBLAS

/// The float64 products of the natural gradient (`Float64Linear`: `cblas_dgemm` for the
/// Woodbury solves, `cblas_dsyrk` for its Gram matrices), checked like the float32 ones.
extension BLASCheck {
    static func float64Cases(_ rng: inout SplitMix64) -> [BLASCheckResult] {
        var results: [BLASCheckResult] = []
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            results.append(dgemm(37, 53, 61, ta, tb, alpha: 0.75, beta: -0.5, &rng))
        }
        // The Woodbury solve of a 784-unit layer with 100 samples and fan-in 200.
        results.append(dgemm(784, 100, 201, false, true, alpha: 1, beta: 0, &rng))
        results.append(dgemm(784, 201, 100, false, false, alpha: -1, beta: 1, &rng))
        for trans in [false, true] {
            results.append(dsyrk(61, 37, trans, alpha: 0.5, beta: -1.5, &rng))
            results.append(dsyrk(100, 201, trans, alpha: 1, beta: 0, &rng))
        }
        return results
    }

    /// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C in float64 (contiguous, as hm-dist calls it).
    static func dgemm(_ m: Int, _ n: Int, _ k: Int, _ ta: Bool, _ tb: Bool, alpha: Double, beta: Double,
                      _ rng: inout SplitMix64) -> BLASCheckResult {
        let name = "dgemm \(ta ? "T" : "N")\(tb ? "T" : "N") \(m)x\(n)x\(k) alpha=\(alpha) beta=\(beta)"
        let a = rng.doubles(m * k), b = rng.doubles(k * n)
        let c0 = beta == 0 ? [Double](repeating: .nan, count: m * n) : rng.doubles(m * n)
        var c = c0
        cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(ta ? m : k), b, Int32(tb ? k : n),
                    beta, &c, Int32(n))
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, mag = 0.0
                for p in 0..<k {
                    let x = ta ? a[p * m + i] : a[i * k + p], y = tb ? b[j * k + p] : b[p * n + j]
                    sum += x * y
                    mag += abs(x * y)
                }
                worst = max(worst, error(c[i * n + j], sum: sum, magnitude: mag, alpha: alpha, beta: beta, c0: c0[i * n + j]))
            }
        }
        return result(name, worst, doubleTolerance, nil)
    }

    /// Row-major upper triangle of C[n×n] = alpha·AAᵀ + beta·C (A n×k), or alpha·AᵀA + beta·C
    /// (A k×n) with `trans`; the strict lower triangle must stay untouched.
    static func dsyrk(_ n: Int, _ k: Int, _ trans: Bool, alpha: Double, beta: Double,
                      _ rng: inout SplitMix64) -> BLASCheckResult {
        let name = "dsyrk U\(trans ? "T" : "N") n=\(n) k=\(k) alpha=\(alpha) beta=\(beta)"
        let a = rng.doubles(n * k)
        var c0 = beta == 0 ? [Double](repeating: .nan, count: n * n) : rng.doubles(n * n)
        for i in 0..<n { for j in 0..<i { c0[i * n + j] = -7 } }   // the lower triangle: a marker
        var c = c0
        cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, Int32(n), Int32(k), alpha,
                    a, Int32(trans ? n : k), beta, &c, Int32(n))
        var worst = 0.0
        var detail: String?
        for i in 0..<n {
            for j in 0..<n {
                if j < i {
                    if c[i * n + j] != -7 { detail = "wrote below the diagonal at row \(i), column \(j)" }
                    continue
                }
                var sum = 0.0, mag = 0.0
                for p in 0..<k {
                    let x = trans ? a[p * n + i] * a[p * n + j] : a[i * k + p] * a[j * k + p]
                    sum += x
                    mag += abs(x)
                }
                worst = max(worst, error(c[i * n + j], sum: sum, magnitude: mag, alpha: alpha, beta: beta, c0: c0[i * n + j]))
            }
        }
        return result(name, worst, doubleTolerance, detail)
    }
}

extension BLASCheck {
    /// The error of `got` against alpha·sum + beta·c0 (c0 unread when beta = 0), relative to
    /// |alpha|·magnitude + |beta·c0|.
    static func error(_ got: Double, sum: Double, magnitude: Double, alpha: Double, beta: Double, c0: Double) -> Double {
        let want = alpha * sum + (beta != 0 ? beta * c0 : 0)
        return relative(got - want, abs(alpha) * magnitude + (beta != 0 ? abs(beta * c0) : 0))
    }
}

extension SplitMix64 {
    /// Uniform in [−1, 1), with 52 random bits.
    mutating func doubles(_ n: Int) -> [Double] {
        (0..<n).map { _ in Double(Int64(next() >> 11) - (1 << 52)) * 0x1p-52 }
    }
}
