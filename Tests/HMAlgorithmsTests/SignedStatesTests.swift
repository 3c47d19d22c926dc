import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// ±1-coded Bernoulli units (`--states pm1`) against the 0/1 machine they are an affine change
/// of, finite differences and enumeration (docs/training.md: layer kinds).
@Suite struct SignedStatesTests {
    static let widths = [4, 3, 2]

    func machine(_ kind: LayerKind, seed: UInt64 = 7) -> HelmholtzMachine {
        let layers = Self.widths.enumerated().map { i, w in LayerDescription(width: w, kind: kind, role: i == 0 ? .data : .latent) }
        let m = HelmholtzMachine(ModelDescription(layers: layers))
        RandomStream(key: seed, purpose: .initialize, step: 2).normals(tag: 0, index: 0, into: m.store.values.data, count: m.store.count)
        return m
    }

    /// a = W·s + b with s = 2u − 1 is a = (2W)·u + (b − W·1): the ±1 machine and the 0/1 machine
    /// with those parameters give every pattern the same probability.
    @Test func exactLikelihoodEqualsTheConvertedZeroOneMachine() throws {
        let signed = machine(.bernoulliPM1), plain = machine(.bernoulli)
        for e in signed.store.entries where e.name.hasPrefix("generative.") {
            let src = signed.store.value(e.name), dst = plain.store.value(e.name)
            for i in 0..<e.count { dst.data[i] = src.data[i] }
        }
        for l in 0..<Self.widths.count - 1 {
            let w = plain.store.value("generative.\(l).weight"), b = plain.store.value("generative.\(l).bias")
            for j in 0..<w.rows {
                var rowSum: Float = 0
                for k in 0..<w.cols { rowSum += w[j, k]; w[j, k] *= 2 }
                b.data[j] -= rowSum
            }
        }
        let zeroOne = Matrix((0..<16).map { c in (0..<4).map { Double((c >> $0) & 1) } })
        let pm = Matrix((0..<16).map { c in (0..<4).map { Double(2 * ((c >> $0) & 1) - 1) } })
        let a = try ExactLogLikelihood.logLikelihoods(signed, data: pm)
        let b = try ExactLogLikelihood.logLikelihoods(plain, data: zeroOne)
        for c in 0..<16 { #expect(abs(a[c] - b[c]) < 1e-4, "pattern \(c): \(a[c]) vs \(b[c])") }
        #expect(abs(a.map(exp).reduce(0, +) - 1) < 1e-5, "Σ_x p(x) over the ±1 patterns")
    }

    /// ∂ log p / ∂θ from score + accumulateGradient equals central differences, with ±1
    /// parents and values, the prior included; the delta is t − σ(a), t = (1 + s)/2.
    @Test(arguments: [3, 0])
    func gradientsMatchFiniteDifferences(inWidth: Int) {
        let store = ParameterStore(SignedBernoulliLayer.parameterShapes(prefix: "t", inWidth: inWidth, outWidth: 2))
        RandomStream(key: 3, purpose: .initialize, step: 1).normals(tag: 1, index: 0, into: store.values.data, count: store.count)
        let l = SignedBernoulliLayer(store: store, prefix: "t", inWidth: inWidth, outWidth: 2)
        let x: Matrix? = inWidth == 0 ? nil : Matrix([[1, -1, 1], [-1, -1, 1], [1, 1, -1]])
        let v = Matrix([[1, -1], [-1, -1], [1, 1]])
        func logProb() -> Double {
            let pre = Matrix(rows: x == nil ? 1 : 3, cols: l.preWidth)
            l.preactivation(x, into: pre)
            var out = [Double](repeating: 0, count: 3)
            l.score(pre: pre, preEvery: x == nil ? 3 : 1, value: v, valueEvery: 1, rows: 3, delta: nil, logProb: &out)
            return out.reduce(0, +)
        }
        let pre = Matrix(rows: x == nil ? 1 : 3, cols: l.preWidth), delta = Matrix(rows: 3, cols: l.deltaWidth)
        l.preactivation(x, into: pre)
        l.score(pre: pre, preEvery: x == nil ? 3 : 1, value: v, valueEvery: 1, rows: 3, delta: delta, logProb: nil)
        for r in 0..<3 { for j in 0..<2 {
            let a = Double(pre[x == nil ? 0 : r, j]), t = (1 + Double(v[r, j])) / 2
            #expect(abs(Double(delta[r, j]) - (t - 1 / (1 + exp(-a)))) < 1e-5, "delta[\(r), \(j)]")
        } }
        store.zeroGradients()
        l.accumulateGradient(delta: delta, input: x)
        expectGradientsMatchFiniteDifferences(store, tolerance: 1e-2, logProb)
    }

    /// Draws are ±1 with P(+1) = σ(a), and the mean is 2σ(a) − 1.
    @Test func drawsAreSignedWithTheLayersMean() {
        let store = ParameterStore(SignedBernoulliLayer.parameterShapes(prefix: "t", inWidth: 0, outWidth: 3))
        for (i, a) in [Float(-1), 0.3, 2].enumerated() { store.values.data[i] = a }
        let l = SignedBernoulliLayer(store: store, prefix: "t", inWidth: 0, outWidth: 3)
        let pre = Matrix(rows: 1, cols: 3), mean = Matrix(rows: 1, cols: 3), n = 20000
        l.preactivation(nil, into: pre)
        l.mean(pre: pre, into: mean)
        let v = Matrix(rows: n, cols: 3)
        l.sample(pre: pre, every: n, into: v, stream: RandomStream(key: 9, purpose: .sleep, step: 0), tag: 1, firstIndex: 0)
        #expect((0..<n * 3).allSatisfy { v.data[$0] == 1 || v.data[$0] == -1 })
        for j in 0..<3 {
            let m = (0..<n).reduce(0.0) { $0 + Double(v[$1, j]) } / Double(n)
            let want = 2 / (1 + exp(-Double(pre[0, j]))) - 1
            #expect(abs(Double(mean[0, j]) - want) < 1e-5)
            #expect(abs(m - want) < 4 * (1 / Double(n)).squareRoot(), "unit \(j): \(m) vs \(want)")
        }
        #expect(LayerKind.bernoulliPM1.decode([-1, 1, 0]) == [0, 1, 0.5])
    }
}
