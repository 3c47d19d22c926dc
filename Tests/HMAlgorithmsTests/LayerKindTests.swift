import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// Gaussian and categorical layers against independent formulas, finite differences and
/// enumeration (docs/training.md: layer kinds).
@Suite struct LayerKindTests {
    /// One layer over `inWidth` parents in a store of its own, parameters N(0, 0.8²).
    func layer(_ kind: LayerKind, inWidth: Int, outWidth: Int, seed: UInt64 = 3) -> (ConditionalLayer, ParameterStore) {
        let store = ParameterStore(kind.layerType.parameterShapes(prefix: "t", inWidth: inWidth, outWidth: outWidth))
        RandomStream(key: seed, purpose: .initialize, step: 1).normals(tag: 1, index: 0, into: store.values.data, count: store.count)
        for i in 0..<store.count { store.values.data[i] *= 0.8 }
        return (kind.layerType.init(store: store, prefix: "t", inWidth: inWidth, outWidth: outWidth), store)
    }

    func logProb(_ l: ConditionalLayer, _ input: Matrix?, _ value: Matrix) -> [Double] {
        let pre = Matrix(rows: input == nil ? 1 : value.rows, cols: l.preWidth)
        l.preactivation(input, into: pre)
        var out = [Double](repeating: 0, count: value.rows)
        l.score(pre: pre, preEvery: input == nil ? value.rows : 1, value: value, valueEvery: 1, rows: value.rows, delta: nil, logProb: &out)
        return out
    }

    static let parents = Matrix([[1, 0, 1], [0, 1, 1], [0.5, -1.2, 2]])

    @Test(arguments: [LayerKind.gaussian, .gaussianHetero])
    func gaussianLogDensityIsTheFormula(kind: LayerKind) throws {
        let (l, store) = layer(kind, inWidth: 3, outWidth: 2)
        let x = Self.parents, v = Matrix([[0.3, -1], [2, 0.1], [-0.7, 0.4]])
        let got = logProb(l, x, v)
        let W = store.value("t.weight"), b = store.value("t.bias")
        for r in 0..<3 {
            var want = 0.0
            for j in 0..<2 {
                var mu = Double(b.data[j]), lambda = 0.0
                for k in 0..<3 { mu += Double(W[j, k]) * Double(x[r, k]) }
                if kind == .gaussian { lambda = Double(store.value("t.logvar").data[j]) } else {
                    lambda = Double(store.value("t.logvar_bias").data[j])
                    for k in 0..<3 { lambda += Double(store.value("t.logvar_weight")[j, k]) * Double(x[r, k]) }
                }
                let sd = exp(lambda / 2), z = (Double(v[r, j]) - mu) / sd
                want += -0.5 * z * z - log(sd) - 0.5 * log(2 * Double.pi)
            }
            #expect(abs(got[r] - want) < 1e-4, "row \(r): \(got[r]) vs \(want)")
        }
    }

    @Test func categoricalLogProbIsLogSoftmax() {
        let (l, store) = layer(.categorical, inWidth: 3, outWidth: 4)
        let v = Matrix([[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
        let got = logProb(l, Self.parents, v)
        let W = store.value("t.weight"), b = store.value("t.bias")
        for r in 0..<3 {
            let a = (0..<4).map { j in Double(b.data[j]) + (0..<3).reduce(0.0) { $0 + Double(W[j, $1]) * Double(Self.parents[r, $1]) } }
            let k = (0..<4).first { v[r, $0] == 1 }!
            let want = a[k] - log(a.map(exp).reduce(0, +))
            #expect(abs(got[r] - want) < 1e-5, "row \(r): \(got[r]) vs \(want)")
        }
    }

    /// ∂ Σ_r log p / ∂θ from `score` + `accumulateGradient` equals central differences of the
    /// log-probability on every parameter — the prior (no parents) included.
    @Test(arguments: [(LayerKind.gaussian, 3), (.gaussianHetero, 3), (.categorical, 3), (.gaussian, 0), (.categorical, 0)])
    func gradientsMatchFiniteDifferences(kind: LayerKind, inWidth: Int) throws {
        let out = kind == .categorical ? 4 : 2
        let (l, store) = layer(kind, inWidth: inWidth, outWidth: out)
        let x: Matrix? = inWidth == 0 ? nil : Self.parents
        let v = kind == .categorical ? Matrix([[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]]) : Matrix([[0.3, -1], [2, 0.1], [-0.7, 0.4]])
        let pre = Matrix(rows: x == nil ? 1 : 3, cols: l.preWidth), delta = Matrix(rows: 3, cols: l.deltaWidth)
        l.preactivation(x, into: pre)
        l.score(pre: pre, preEvery: x == nil ? 3 : 1, value: v, valueEvery: 1, rows: 3, delta: delta, logProb: nil)
        store.zeroGradients()
        l.accumulateGradient(delta: delta, input: x)
        expectGradientsMatchFiniteDifferences(store, tolerance: 2e-2) { logProb(l, x, v).reduce(0, +) }
    }

    /// Draws have the layer's moments: Gaussian mean and variance, categorical frequencies.
    @Test func drawsHaveTheLayersMoments() {
        let n = 20000
        let (g, _) = layer(.gaussianHetero, inWidth: 3, outWidth: 2)
        let gp = Matrix(rows: 1, cols: 4)
        g.preactivation(Matrix([[1, 0, 1]]), into: gp)
        let gv = Matrix(rows: n, cols: 2)
        g.sample(pre: gp, every: n, into: gv, stream: RandomStream(key: 9, purpose: .sleep, step: 0), tag: 1, firstIndex: 0)
        for j in 0..<2 {
            let xs = (0..<n).map { Double(gv[$0, j]) }, m = xs.reduce(0, +) / Double(n)
            let variance = xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n)
            let mu = Double(gp[0, j]), s2 = exp(Double(gp[0, 2 + j]))
            #expect(abs(m - mu) < 4 * (s2 / Double(n)).squareRoot(), "unit \(j): mean \(m) vs \(mu)")
            #expect(abs(variance / s2 - 1) < 0.05, "unit \(j): variance \(variance) vs \(s2)")
        }
        let (c, _) = layer(.categorical, inWidth: 0, outWidth: 4)
        let cp = Matrix(rows: 1, cols: 4), probs = Matrix(rows: 1, cols: 4)
        c.preactivation(nil, into: cp)
        c.mean(pre: cp, into: probs)
        let cv = Matrix(rows: n, cols: 4)
        c.sample(pre: cp, every: n, into: cv, stream: RandomStream(key: 9, purpose: .sleep, step: 0), tag: 2, firstIndex: 0)
        for k in 0..<4 {
            let f = (0..<n).reduce(0.0) { $0 + Double(cv[$1, k]) } / Double(n), p = Double(probs[0, k])
            #expect(abs(f - p) < 4 * (p * (1 - p) / Double(n)).squareRoot() + 1e-3, "state \(k): \(f) vs \(p)")
        }
        #expect((0..<n).allSatisfy { r in (0..<4).reduce(Float(0)) { $0 + cv[r, $1] } == 1 }, "every draw is one-hot")
    }

    /// A Gaussian observation layer over Bernoulli latents is a finite mixture of Gaussians:
    /// the exact log-likelihood is that sum, written here directly; the importance-sampled
    /// estimate converges to it.
    @Test func gaussianOverBernoulliIsAMixture() throws {
        let model = ModelDescription(layers: [LayerDescription(width: 3, kind: .gaussian, role: .data),
                                              LayerDescription(width: 2), LayerDescription(width: 2)])
        let m = HelmholtzMachine(model)
        RandomStream(key: 4, purpose: .initialize, step: 2).normals(tag: 0, index: 0, into: m.store.values.data, count: m.store.count)
        let data = Matrix([[0.5, -0.2, 1.1], [2, 1, -1]])
        let exact = try ExactLogLikelihood.logLikelihoods(m, data: data)
        func value(_ name: String) -> Matrix { m.store.value(name) }
        func sig(_ a: Double) -> Double { 1 / (1 + exp(-a)) }
        for r in 0..<2 {
            var terms: [Double] = []
            for h2 in 0..<4 { for h1 in 0..<4 {
                let s2 = [Double(h2 & 1), Double(h2 >> 1)], s1 = [Double(h1 & 1), Double(h1 >> 1)]
                var lp = 0.0
                for j in 0..<2 {
                    let a = Double(value("generative.prior.logits").data[j])
                    lp += s2[j] == 1 ? log(sig(a)) : log(1 - sig(a))
                    let a1 = Double(value("generative.1.bias").data[j]) + (0..<2).reduce(0.0) { $0 + Double(value("generative.1.weight")[j, $1]) * s2[$1] }
                    lp += s1[j] == 1 ? log(sig(a1)) : log(1 - sig(a1))
                }
                for i in 0..<3 {
                    let mu = Double(value("generative.0.bias").data[i]) + (0..<2).reduce(0.0) { $0 + Double(value("generative.0.weight")[i, $1]) * s1[$1] }
                    let lv = Double(value("generative.0.logvar").data[i]), z = Double(data[r, i]) - mu
                    lp += -0.5 * (log(2 * Double.pi) + lv + z * z / exp(lv))
                }
                terms.append(lp)
            } }
            let top = terms.max()!, want = top + log(terms.reduce(0) { $0 + exp($1 - top) })
            #expect(abs(exact[r] - want) < 1e-4, "point \(r): \(exact[r]) vs \(want)")
        }
        let estimate = ImportanceLogLikelihood(samples: 40000, seed: 5, chunk: 1000).logLikelihoods(m, data: data)
        for r in 0..<2 { #expect(abs(estimate[r] - exact[r]) < 0.03, "point \(r): \(estimate[r]) vs exact \(exact[r])") }
    }

    /// Categorical latents are enumerated too (one state each, not 2^width); a Gaussian latent
    /// cannot be, and says so.
    @Test func exactEnumerationByKind() throws {
        let cat = ModelDescription(layers: [LayerDescription(width: 4, role: .data), LayerDescription(width: 3),
                                            LayerDescription(width: 5, kind: .categorical)])
        #expect(try ExactLogLikelihood.configurations(cat) == 8 * 5)
        let m = HelmholtzMachine(cat)
        RandomStream(key: 6, purpose: .initialize, step: 2).normals(tag: 0, index: 0, into: m.store.values.data, count: m.store.count)
        // p(x) sums to 1 over the 16 binary x.
        let xs = Matrix((0..<16).map { c in (0..<4).map { Double((c >> $0) & 1) } })
        let total = try ExactLogLikelihood.logLikelihoods(m, data: xs).map(exp).reduce(0, +)
        #expect(abs(total - 1) < 1e-5, "Σ_x p(x) = \(total)")
        let gauss = ModelDescription(layers: [LayerDescription(width: 4, role: .data), LayerDescription(width: 2, kind: .gaussian)])
        #expect(throws: ExactLogLikelihood.TooLarge.self) { _ = try ExactLogLikelihood.configurations(gauss) }
        #expect(!gauss.latentsEnumerable && cat.latentsEnumerable)
    }
}
