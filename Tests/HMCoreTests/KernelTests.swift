import CKernels
import Foundation
import Testing
@testable import HMCore

@Suite struct KernelTests {
    @Test func sigmoidAndSoftplusMatchFloat64() {
        let xs: [Float] = stride(from: -100.0, through: 100.0, by: 0.37).map { Float($0) } + [0, -0.0, 1e-8, -1e-8, 88, -88, 200, -200]
        var s = [Float](repeating: 0, count: xs.count), sp = s
        hm_sigmoid(xs, &s, Int64(xs.count))
        hm_softplus(xs, &sp, Int64(xs.count))
        for (i, x) in xs.enumerated() {
            let a = Double(x)
            let refS = 1 / (1 + exp(-a)), refSp = max(a, 0) + log1p(exp(-abs(a)))
            #expect(abs(Double(s[i]) - refS) <= 2e-7 * max(refS, 1e-30) + 1e-37, "sigmoid(\(x)) = \(s[i]), want \(refS)")
            #expect(abs(Double(sp[i]) - refSp) <= 3e-7 * max(refSp, 1e-30) + 1e-37, "softplus(\(x)) = \(sp[i]), want \(refSp)")
        }
    }

    @Test func uniformsAreInTheOpenInterval() {
        var u = [Float](repeating: 0, count: 1 << 16)
        hm_uniform(42, 1, 2, 3, &u, Int64(u.count))
        #expect(u.allSatisfy { $0 > 0 && $0 < 1 })
        let mean = u.reduce(0, +) / Float(u.count)
        #expect(abs(mean - 0.5) < 0.005)
        // The first draws of a stream do not depend on how many are asked for.
        var v = [Float](repeating: 0, count: 7)
        hm_uniform(42, 1, 2, 3, &v, 7)
        #expect(Array(u[0..<7]) == v)
    }

    @Test func bernoulliSamplingFrequencies() {
        let logits: [Float] = [-3, -0.5, 0, 1, 4, -86, 86, 2.5]
        let rows = 40000
        let state = Matrix(rows: rows, cols: logits.count)
        hm_bernoulli_sample(logits, Int64(rows), state.data, Int64(rows), Int64(logits.count), 9, 1, 0, 0)
        for (j, a) in logits.enumerated() {
            var on = 0.0
            for r in 0..<rows { on += Double(state[r, j]) }
            let p = 1 / (1 + exp(-Double(a)))
            let se = (p * (1 - p) / Double(rows)).squareRoot()
            #expect(abs(on / Double(rows) - p) <= 5 * se + 1e-12, "unit \(j): \(on / Double(rows)) vs \(p)")
        }
    }

    @Test func bernoulliScore() {
        let a: [Float] = [-90, -3, 0, 0.7, 40, 12]
        let s: [Float] = [1, 0, 1, 1, 0, 1]
        var delta = [Float](repeating: 0, count: 6)
        var lp = [Double](repeating: 0.5, count: 1)
        hm_bernoulli_score(a, 1, s, 1, &delta, &lp, 1, 6)
        var want = 0.5
        for j in 0..<6 {
            let x = Double(a[j])
            want += Double(s[j]) * x - (max(x, 0) + log1p(exp(-abs(x))))
            #expect(abs(Double(delta[j]) - (Double(s[j]) - 1 / (1 + exp(-x)))) < 1e-6)
        }
        #expect(abs(lp[0] - want) < 1e-4 * abs(want))
    }

    @Test func nonFiniteDetection() {
        var x = [Float](repeating: 1, count: 1000)
        x[3] = .greatestFiniteMagnitude
        x[4] = -.leastNonzeroMagnitude
        #expect(hm_has_nonfinite(x, 1000) == 0)
        for bad: Float in [.nan, .infinity, -.infinity] {
            var y = x
            y[777] = bad
            #expect(hm_has_nonfinite(y, 1000) == 1, "\(bad) not detected")
            #expect(hm_has_nonfinite(y, 777) == 0)
        }
    }
}
