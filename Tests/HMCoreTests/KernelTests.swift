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

    /// Rows as wide as a layer gets, past the point where the shared logarithm's products are
    /// flushed (64 factors a lane): the row's log-probability against float64 within 10⁻⁶ of
    /// the sum of its terms' magnitudes (an empirical bound, 16× what the kernel shows; the
    /// kernel before the shared logarithm exceeded it at 5,000 units), δ the same bits as
    /// s − σ(a), and several rows in one call the same bits as one row at a time.
    @Test(arguments: [1, 15, 16, 17, 200, 784, 1027, 2053, 5000])
    func bernoulliScoreOfWideRows(cols: Int) {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(cols)
        func next() -> Double {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Double(seed >> 11) / Double(1 << 53)
        }
        for spread in [0.0, 3.0, 30.0] {
            let a = (0..<cols).map { _ in Float((next() - 0.5) * 2 * spread) }
            let s = (0..<cols).map { _ in next() < 0.3 ? Float(1) : 0 }
            var delta = [Float](repeating: 0, count: cols), sigma = delta
            var lp = [Double](repeating: 0, count: 1)
            hm_bernoulli_score(a, 1, s, 1, &delta, &lp, 1, Int64(cols))
            hm_sigmoid(a, &sigma, Int64(cols))
            var want = 0.0, scale = 0.0
            for j in 0..<cols {
                let x = Double(a[j]), term = Double(s[j]) * x - (max(x, 0) + log1p(exp(-abs(x))))
                want += term
                scale += abs(Double(s[j]) * x) + abs(term)
                #expect(delta[j] == s[j] - sigma[j], "δ of unit \(j) of \(cols)")
            }
            #expect(abs(lp[0] - want) <= 1e-6 * scale, "\(cols) units, logits in ±\(spread): \(lp[0]) vs \(want)")
            var scoreOnly = [Double](repeating: 0, count: 1), deltaOnly = [Float](repeating: 0, count: cols)
            hm_bernoulli_score(a, 1, s, 1, nil, &scoreOnly, 1, Int64(cols))
            hm_bernoulli_score(a, 1, s, 1, &deltaOnly, nil, 1, Int64(cols))
            #expect(scoreOnly == lp && deltaOnly == delta, "the score and δ do not depend on whether the other is asked for")
            // Three rows sharing one logit row (logitDiv 3), states of their own.
            let s3 = (0..<3 * cols).map { _ in next() < 0.3 ? Float(1) : 0 }
            var lp3 = [Double](repeating: 0, count: 3), d3 = [Float](repeating: 0, count: 3 * cols)
            hm_bernoulli_score(a, 3, s3, 1, &d3, &lp3, 3, Int64(cols))
            for r in 0..<3 {
                var one = [Double](repeating: 0, count: 1), d1 = [Float](repeating: 0, count: cols)
                Array(s3[r * cols..<(r + 1) * cols]).withUnsafeBufferPointer {
                    hm_bernoulli_score(a, 1, $0.baseAddress, 1, &d1, &one, 1, Int64(cols))
                }
                #expect(one[0] == lp3[r] && d1 == Array(d3[r * cols..<(r + 1) * cols]), "row \(r) of 3, \(cols) units")
            }
        }
    }

    /// Whether this CPU runs the scorer 16 lanes wide (AVX-512).
    static let hasWideScorer: Bool = {
        var probe = [Double](repeating: 0, count: 1)
        return hm_bernoulli_score_at(16, [0], 1, [1], 1, nil, &probe, 1, 1) == 1
    }()

    /// The scorer's 16-lane registers (AVX-512) give the bits of its 8-lane ones, on every
    /// width a group, a flush or a tail can split, with and without δ or the score, logits
    /// on and past the clamps. Skipped where the CPU has no AVX-512 (only 8 lanes run there).
    @Test(.enabled(if: KernelTests.hasWideScorer, "this CPU has no AVX-512: only the 8-lane scorer runs"))
    func bernoulliScoreIsTheSameBitsAtEitherWidth() {
        var seed: UInt64 = 12345
        func next() -> Double {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Double(seed >> 11) / Double(1 << 53)
        }
        for cols in [1, 7, 8, 9, 15, 16, 17, 33, 200, 784, 1023, 1024, 1025, 1041, 2049, 5000] {
            for spread in [1.0, 16.0, 200.0] {
                let rows = 3
                var a = (0..<rows * cols).map { _ in Float((next() - 0.5) * spread) }
                a[0] = -0.0
                if cols > 2 { a[1] = -100; a[2] = 100 }
                let s = (0..<rows * cols).map { _ in next() < 0.3 ? Float(1) : 0 }
                for (wantDelta, wantScore) in [(true, true), (false, true), (true, false)] {
                    func run(_ width: Int32) -> ([UInt32], [UInt64]) {
                        var d = [Float](repeating: 0, count: rows * cols)
                        var l = [Double](repeating: 0.25, count: rows)
                        d.withUnsafeMutableBufferPointer { dp in
                            l.withUnsafeMutableBufferPointer { lp in
                                _ = hm_bernoulli_score_at(width, a, 1, s, 1, wantDelta ? dp.baseAddress : nil,
                                                          wantScore ? lp.baseAddress : nil, Int64(rows), Int64(cols))
                            }
                        }
                        return (d.map(\.bitPattern), l.map(\.bitPattern))
                    }
                    let (d8, l8) = run(8), (d16, l16) = run(16)
                    let firstDelta = d8.indices.first { d8[$0] != d16[$0] }, sameScores = l8 == l16
                    #expect(firstDelta == nil && sameScores,
                            "\(cols) units, logits in ±\(spread / 2), δ \(wantDelta), score \(wantScore): first δ differing at \(firstDelta ?? -1), scores \(sameScores ? "equal" : "differ")")
                }
            }
        }
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
