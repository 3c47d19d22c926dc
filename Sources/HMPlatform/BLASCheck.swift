import CBLAS
import Foundation

/// One routine's comparison against the plain reference.
public struct BLASCheckResult: Codable, Sendable, Equatable {
    /// The routine and its case: "sgemm NT 37x53x61 alpha=0.75 beta=-0.5".
    public var name: String
    /// The largest error, each relative to its magnitude bound (for a sum of products,
    /// |error| / Σ|a·b|); infinite when a result is not finite or a routine reports failure.
    public var maxError: Double
    /// The largest `maxError` accepted.
    public var tolerance: Double
    public var passed: Bool
    /// Why it failed, beyond the error: a LAPACK `info`, a write outside the result, …
    public var detail: String?
}

/// What `hm-dist check-blas --json` prints.
public struct BLASCheckReport: Codable, Sendable {
    public var blas: BLASInfo
    public var results: [BLASCheckResult]
    public var passed: Bool
    /// sgemm GFLOP/s on 500×200×784 (`--rate` only).
    public var sgemmGflops: Double?

    public init(blas: BLASInfo, results: [BLASCheckResult], sgemmGflops: Double? = nil) {
        self.blas = blas
        self.results = results
        self.passed = results.allSatisfy(\.passed)
        self.sgemmGflops = sgemmGflops
    }

    /// One JSON object, snake_case keys; an infinite error is written as the string "inf".
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy =
            .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// The inverse of `json()`.
    public static func decode(json data: Data) throws -> BLASCheckReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy =
            .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(BLASCheckReport.self, from: data)
    }
}

/// Compares every BLAS and LAPACK routine hm-dist uses, under the kernel this process uses,
/// against a plain triple loop in Double (docs/training.md: older OpenBLAS builds are known to
/// give wrong results on some processors).
public enum BLASCheck {
    /// Relative tolerances: a float sum of k products is within k·2^-24·Σ|a·b| of the exact
    /// one, so 1e-4 holds up to k ≈ 1600 in the worst case, far beyond in practice.
    public static let floatTolerance = 1e-4
    public static let elementwiseTolerance = 1e-6
    public static let doubleTolerance = 1e-12

    /// Runs every case; deterministic in `seed`.
    public static func run(seed: UInt64 = 0x4d48_2d64_6973_74) -> [BLASCheckResult] {
        var rng = SplitMix64(seed: seed)
        var results: [BLASCheckResult] = []
        let combos = [(false, false), (false, true), (true, false), (true, true)]
        for (ta, tb) in combos {
            results.append(gemm(37, 53, 61, ta, tb, alpha: 0.75, beta: -0.5, pad: 0, &rng))
            results.append(gemm(37, 53, 61, ta, tb, alpha: -1.25, beta: 0.3, pad: 3, &rng))
            results.append(gemm(1, 200, 784, ta, tb, alpha: 0.75, beta: -0.5, pad: 0, &rng))
            results.append(gemm(200, 1, 784, ta, tb, alpha: 0.75, beta: -0.5, pad: 0, &rng))
            results.append(gemm(17, 33, 1, ta, tb, alpha: 0.75, beta: -0.5, pad: 0, &rng))
            results.append(gemm(500, 200, 784, ta, tb, alpha: 0.75, beta: -0.5, pad: 0, &rng))
        }
        // The forms hm-dist calls most: beta = 0 over garbage, and accumulation.
        results.append(gemm(500, 200, 784, false, true, alpha: 1, beta: 0, pad: 0, &rng))
        results.append(gemm(100, 784, 200, false, false, alpha: 1, beta: 0, pad: 0, &rng))
        results.append(gemm(200, 784, 500, true, false, alpha: 1, beta: 1, pad: 0, &rng))
        for trans in [false, true] {
            results.append(gemv(37, 53, trans, alpha: 0.75, beta: -0.5, &rng))
            results.append(gemv(200, 784, trans, alpha: -1.5, beta: 0.25, &rng))
        }
        results.append(axpy(1001, alpha: -0.6, &rng))
        results.append(dot(4099, &rng))
        results += float64Cases(&rng)
        for uplo in ["L", "U"] {
            for n in [61, 257] {
                results.append(potrfFloat(n, nrhs: 3, uplo: uplo, &rng))
                results.append(potrfDouble(n, nrhs: 3, uplo: uplo, &rng))
            }
        }
        return results
    }

    // MARK: - Cases

    /// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C with leading dimensions `pad` beyond the
    /// minimum. beta = 0 starts from NaNs, which BLAS must not read. Large products check a
    /// sample of rows (the first, the last and every so many), all columns.
    static func gemm(_ m: Int, _ n: Int, _ k: Int, _ ta: Bool, _ tb: Bool, alpha: Float,
                     beta: Float, pad: Int, _ rng: inout SplitMix64) -> BLASCheckResult {
        let name = "sgemm \(ta ? "T" : "N")\(tb ? "T" : "N") \(m)x\(n)x\(k) "
            + "alpha=\(alpha) beta=\(beta)" + (pad > 0 ? " ld+\(pad)" : "")
        let (aRows, aCols) = ta ? (k, m) : (m, k)
        let (bRows, bCols) = tb ? (n, k) : (k, n)
        let lda = aCols + pad, ldb = bCols + pad, ldc = n + pad
        let a = rng.floats(aRows * lda)
        let b = rng.floats(bRows * ldb)
        let c0 = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : rng.floats(m * ldc)
        var c = c0
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta,
                    &c, Int32(ldc))

        var worst = 0.0
        var detail: String?
        let rows: [Int]
        if m * n * k <= 4_000_000 {
            rows = Array(0..<m)
        } else {
            rows = Array(Set([0, 1, m - 2, m - 1] + Array(stride(from: 0, to: m, by: 37))))
                .sorted()
        }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in rows {
                    for j in 0..<n {
                        var sum = 0.0, mag = 0.0
                        for p in 0..<k {
                            let x = Double(ta ? a[p * lda + i] : a[i * lda + p])
                            let y = Double(tb ? b[j * ldb + p] : b[p * ldb + j])
                            sum += x * y
                            mag += abs(x * y)
                        }
                        var want = Double(alpha) * sum
                        mag *= Double(abs(alpha))
                        if beta != 0 {
                            want += Double(beta) * Double(c0[i * ldc + j])
                            mag += abs(Double(beta) * Double(c0[i * ldc + j]))
                        }
                        worst = max(worst, relative(Double(c[i * ldc + j]) - want, mag))
                    }
                }
            }
        }
        // Nothing outside the m×n result may change.
        for i in 0..<m {
            for j in n..<ldc where c[i * ldc + j].bitPattern != c0[i * ldc + j].bitPattern {
                detail = "wrote outside the result at row \(i), column \(j)"
            }
        }
        return result(name, worst, floatTolerance, detail)
    }

    /// Row-major y = alpha·op(A)·x + beta·y.
    static func gemv(_ m: Int, _ n: Int, _ trans: Bool, alpha: Float, beta: Float,
                     _ rng: inout SplitMix64) -> BLASCheckResult {
        let name = "sgemv \(trans ? "T" : "N") \(m)x\(n) alpha=\(alpha) beta=\(beta)"
        let a = rng.floats(m * n)
        let (xLen, yLen) = trans ? (m, n) : (n, m)
        let x = rng.floats(xLen)
        let y0 = rng.floats(yLen)
        var y = y0
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha,
                    a, Int32(n), x, 1, beta, &y, 1)
        var worst = 0.0
        for i in 0..<yLen {
            var sum = 0.0, mag = 0.0
            for p in 0..<xLen {
                let v = Double(trans ? a[p * n + i] : a[i * n + p]) * Double(x[p])
                sum += v
                mag += abs(v)
            }
            let want = Double(alpha) * sum + Double(beta) * Double(y0[i])
            mag = abs(Double(alpha)) * mag + abs(Double(beta) * Double(y0[i]))
            worst = max(worst, relative(Double(y[i]) - want, mag))
        }
        return result(name, worst, floatTolerance, nil)
    }

    /// y += alpha·x.
    static func axpy(_ n: Int, alpha: Float, _ rng: inout SplitMix64) -> BLASCheckResult {
        let x = rng.floats(n)
        let y0 = rng.floats(n)
        var y = y0
        cblas_saxpy(Int32(n), alpha, x, 1, &y, 1)
        var worst = 0.0
        for i in 0..<n {
            let v = Double(alpha) * Double(x[i])
            worst = max(worst, relative(Double(y[i]) - (v + Double(y0[i])),
                                        abs(v) + abs(Double(y0[i]))))
        }
        return result("saxpy n=\(n) alpha=\(alpha)", worst, elementwiseTolerance, nil)
    }

    /// x·y.
    static func dot(_ n: Int, _ rng: inout SplitMix64) -> BLASCheckResult {
        let x = rng.floats(n)
        let y = rng.floats(n)
        let got = cblas_sdot(Int32(n), x, 1, y, 1)
        var sum = 0.0, mag = 0.0
        for i in 0..<n {
            sum += Double(x[i]) * Double(y[i])
            mag += abs(Double(x[i]) * Double(y[i]))
        }
        return result("sdot n=\(n)", relative(Double(got) - sum, mag), floatTolerance, nil)
    }

    /// Cholesky factorization and solve of a random symmetric positive definite system,
    /// judged by the backward error max|A·X − B| / (‖A‖∞·‖X‖∞ + ‖B‖∞).
    static func potrfFloat(_ n: Int, nrhs: Int, uplo: String,
                           _ rng: inout SplitMix64) -> BLASCheckResult {
        let a = spd(n, &rng).map(Float.init)
        let b = rng.floats(n * nrhs)
        var factor = a, x = b
        var info: Int32 = 0, info2: Int32 = 0
        var u = CChar(UInt8(ascii: uplo == "L" ? "L" : "U"))
        var nn = Int32(n), nr = Int32(nrhs)
        spotrf_(&u, &nn, &factor, &nn, &info)
        if info == 0 { spotrs_(&u, &nn, &nr, factor, &nn, &x, &nn, &info2) }
        return potrsResult("spotrf+spotrs \(uplo) n=\(n) nrhs=\(nrhs)", n, nrhs,
                           a.map(Double.init), b.map(Double.init), x.map(Double.init),
                           info, info2, floatTolerance)
    }

    static func potrfDouble(_ n: Int, nrhs: Int, uplo: String,
                            _ rng: inout SplitMix64) -> BLASCheckResult {
        let a = spd(n, &rng)
        let b = rng.floats(n * nrhs).map(Double.init)
        var factor = a, x = b
        var info: Int32 = 0, info2: Int32 = 0
        var u = CChar(UInt8(ascii: uplo == "L" ? "L" : "U"))
        var nn = Int32(n), nr = Int32(nrhs)
        dpotrf_(&u, &nn, &factor, &nn, &info)
        if info == 0 { dpotrs_(&u, &nn, &nr, factor, &nn, &x, &nn, &info2) }
        return potrsResult("dpotrf+dpotrs \(uplo) n=\(n) nrhs=\(nrhs)", n, nrhs, a, b, x,
                           info, info2, doubleTolerance)
    }

    /// A symmetric n×n matrix, entries in (−1, 1) and n on the diagonal: strictly diagonally
    /// dominant, so positive definite and well conditioned.
    static func spd(_ n: Int, _ rng: inout SplitMix64) -> [Double] {
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            a[i * n + i] = Double(n)
            for j in 0..<i {
                let v = Double(rng.float())
                a[i * n + j] = v
                a[j * n + i] = v
            }
        }
        return a
    }

    /// Column-major A (n×n), B and X (n×nrhs).
    static func potrsResult(_ name: String, _ n: Int, _ nrhs: Int, _ a: [Double], _ b: [Double],
                            _ x: [Double], _ info: Int32, _ info2: Int32,
                            _ tolerance: Double) -> BLASCheckResult {
        if info != 0 || info2 != 0 {
            return result(name, .infinity, tolerance,
                          "LAPACK info: potrf \(info), potrs \(info2)")
        }
        var normA = 0.0
        for i in 0..<n {
            var row = 0.0
            for j in 0..<n { row += abs(a[j * n + i]) }
            normA = max(normA, row)
        }
        let normX = x.reduce(0) { max($0, abs($1)) }
        let normB = b.reduce(0) { max($0, abs($1)) }
        var worst = 0.0
        for r in 0..<nrhs {
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<n { sum += a[j * n + i] * x[r * n + j] }
                worst = max(worst, abs(sum - b[r * n + i]))
            }
        }
        return result(name, worst.isFinite ? worst / (normA * normX + normB) : .infinity,
                      tolerance, nil)
    }

    // MARK: - Helpers

    static func relative(_ error: Double, _ magnitude: Double) -> Double {
        guard error.isFinite else { return .infinity }
        return abs(error) / max(magnitude, Double.leastNormalMagnitude)
    }

    static func result(_ name: String, _ worst: Double, _ tolerance: Double,
                       _ detail: String?) -> BLASCheckResult {
        let passed = detail == nil && worst.isFinite && worst <= tolerance
        return BLASCheckResult(name: name, maxError: worst, tolerance: tolerance,
                               passed: passed, detail: detail)
    }

    // MARK: - Rate

    /// Best sgemm rate, in GFLOP/s (2·m·n·k per product), of row-major C = A·Bᵀ on m×n×k
    /// over at least `minSeconds`, under the kernel and thread count in use.
    public static func sgemmGflops(m: Int = 500, n: Int = 200, k: Int = 784,
                                   minSeconds: Double = 0.5) -> Double {
        var rng = SplitMix64(seed: 1)
        let a = rng.floats(m * k), b = rng.floats(n * k)
        var c = [Float](repeating: 0, count: m * n)
        func once() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
        }
        once()
        var best = Double.infinity
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<5 { once() }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 5e9)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) < minSeconds * 1e9
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small deterministic source of test data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [−1, 1), 2^-23 apart.
    mutating func float() -> Float { Float(Int64(next() >> 40) - (1 << 23)) * 0x1p-23 }

    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in float() } }
}
