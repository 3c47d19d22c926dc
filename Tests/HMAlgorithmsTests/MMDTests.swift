import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// `eval --mmd`'s estimator against a direct computation written here, and its behaviour on
/// samples of one distribution and of two.
@Suite struct MMDTests {
    func sample(_ n: Int, shift: Double, seed: UInt64) -> [[Double]] {
        var z = [Float](repeating: 0, count: n * 3)
        RandomStream(key: seed, purpose: .evaluate, step: 0).normals(tag: 0, index: 0, into: &z, count: z.count)
        return (0..<n).map { i in (0..<3).map { Double(z[i * 3 + $0]) + ($0 == 0 ? shift : 0) } }
    }

    /// The formulas of Gretton et al. with plain loops: median heuristic, U-statistic, its
    /// first-order standard error.
    func direct(_ x: [[Double]], _ y: [[Double]]) -> (Double, Double, Double) {
        let z = x + y, n = x.count
        func d2(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        var ds: [Double] = []
        for i in 0..<z.count { for j in (i + 1)..<z.count { ds.append(d2(z[i], z[j]).squareRoot()) } }
        ds.sort()
        let sigma = ds.count % 2 == 1 ? ds[ds.count / 2] : (ds[ds.count / 2 - 1] + ds[ds.count / 2]) / 2
        func k(_ a: [Double], _ b: [Double]) -> Double { exp(-d2(a, b) / (2 * sigma * sigma)) }
        var hbar = [Double](repeating: 0, count: n)
        for i in 0..<n { for j in 0..<n where j != i { hbar[i] += (k(x[i], x[j]) + k(y[i], y[j]) - k(x[i], y[j]) - k(x[j], y[i])) / Double(n - 1) } }
        let mean = hbar.reduce(0, +) / Double(n)
        let variance = hbar.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        return (mean, (4 * variance / Double(n)).squareRoot(), sigma)
    }

    @Test func estimateIsTheFormula() {
        let x = sample(60, shift: 0, seed: 1), y = sample(60, shift: 0.7, seed: 2)
        let got = MaximumMeanDiscrepancy.estimate(Matrix(x), Matrix(y)), want = direct(x, y)
        #expect(abs(got.mmd2 - want.0) < 1e-5 && abs(got.standardError - want.1) < 1e-5 && abs(got.bandwidth - want.2) < 1e-5,
                "\(got) vs \(want)")
    }

    @Test func oneDistributionAgainstTwo() {
        let same = MaximumMeanDiscrepancy.estimate(Matrix(sample(400, shift: 0, seed: 3)), Matrix(sample(400, shift: 0, seed: 4)))
        let apart = MaximumMeanDiscrepancy.estimate(Matrix(sample(400, shift: 0, seed: 3)), Matrix(sample(400, shift: 1, seed: 4)))
        #expect(abs(same.mmd2) < 4 * same.standardError + 1e-3, "same distribution: \(same)")
        #expect(apart.mmd2 > 4 * apart.standardError, "shifted by 1: \(apart)")
    }
}
