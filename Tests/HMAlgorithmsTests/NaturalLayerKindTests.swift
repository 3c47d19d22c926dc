import Foundation
import Testing
@testable import HMAlgorithms
@testable import HMCore

/// The natural gradient's Fisher for Gaussian and categorical layers (docs/training.md):
/// each head's blocks against the Fisher E[∇ log p ∇ log pᵀ] of the distribution itself, and
/// the categorical prior's coupled solve against a dense one.
@Suite struct NaturalLayerKindTests {
    /// Monte Carlo over draws v ~ N(μ, σ²) at one parent state h: the score's outer products,
    /// E[dμ_i² h̃h̃ᵀ] = h̃h̃ᵀ/σ_i² (what the mean head's blocks hold, c = e^{−λ}),
    /// E[dλ_i²] = ½ (the log-variance head's constant) and E[dμ_i dλ_i] = 0 (no cross block).
    @Test(arguments: [LayerKind.gaussian, .gaussianHetero])
    func gaussianHeadsAreTheDistributionsFisher(kind: LayerKind) throws {
        let store = ParameterStore(kind.layerType.parameterShapes(prefix: "t", inWidth: 2, outWidth: 2))
        RandomStream(key: 5, purpose: .initialize, step: 0).normals(tag: 0, index: 0, into: store.values.data, count: store.count)
        let layer = kind.layerType.init(store: store, prefix: "t", inWidth: 2, outWidth: 2)
        let n = 40000, h = Matrix([[1, 0.5]])
        let pre = Matrix(rows: 1, cols: layer.preWidth)
        layer.preactivation(h, into: pre)
        let v = Matrix(rows: n, cols: 2), delta = Matrix(rows: n, cols: layer.deltaWidth)
        layer.sample(pre: pre, every: n, into: v, stream: RandomStream(key: 1, purpose: .sleep, step: 0), tag: 3, firstIndex: 0)
        layer.score(pre: pre, preEvery: n, value: v, valueEvery: 1, rows: n, delta: delta, logProb: nil)
        let c = Matrix(rows: 1, cols: 2)
        layer.fisherWeights(pre: pre, every: 1, rows: 1, into: c)
        for i in 0..<2 {
            var mm = 0.0, ll = 0.0, ml = 0.0
            for r in 0..<n {
                let dm = Double(delta[r, i]), dl = Double(delta[r, 2 + i])
                mm += dm * dm; ll += dl * dl; ml += dm * dl
            }
            mm /= Double(n); ll /= Double(n); ml /= Double(n)
            let precision = Double(c[0, i])
            #expect(abs(precision - exp(-Double(pre[0, 2 + i]))) < 1e-5 * precision)
            #expect(abs(mm / precision - 1) < 0.03, "unit \(i): E[dμ²] = \(mm), 1/σ² = \(precision)")
            #expect(abs(ll - 0.5) < 0.02, "unit \(i): E[dλ²] = \(ll)")
            #expect(abs(ml) < 0.03 * (mm * ll).squareRoot(), "unit \(i): E[dμ dλ] = \(ml)")
        }
        let heads = layer.fisherHeads
        #expect(heads.count == 2 && heads[1].constant == GaussianLayer.logVarianceFisher && heads[0].constant == nil)
        #expect(heads[1].weight == (kind == .gaussianHetero ? "logvar_weight" : nil), "\(heads)")
    }

    /// (diag(p) − ppᵀ + αI)⁻¹ g by Sherman–Morrison equals Gaussian elimination on the matrix.
    @Test func softmaxSolveIsTheDenseSolve() {
        let p = [0.5, 0.3, 0.15, 0.05], alpha = 0.01, g: [Float] = [0.2, -0.4, 0.1, 0.3]
        let blocks = FisherBlocks(units: 4, fanIn: 0, name: "prior")
        blocks.accumulate(parents: nil, weights: Matrix([p]))
        let bias = Matrix([g.map(Double.init)])
        SoftmaxSolver(blocks: blocks, damping: alpha).solve(weight: nil, bias: bias)
        // Dense: A x = g by elimination.
        var a = (0..<4).map { i in (0..<4).map { j in (i == j ? p[i] + alpha : 0) - p[i] * p[j] } + [Double(g[i])] }
        for c in 0..<4 {
            for r in (c + 1)..<4 { let f = a[r][c] / a[c][c]; for k in c...4 { a[r][k] -= f * a[c][k] } }
        }
        var x = [Double](repeating: 0, count: 4)
        for r in (0..<4).reversed() { x[r] = (a[r][4] - ((r + 1)..<4).reduce(0) { $0 + a[r][$1] * x[$1] }) / a[r][r] }
        for k in 0..<4 { #expect(abs(Double(bias[0, k]) - x[k]) < 1e-4 * max(1, abs(x[k])), "unit \(k): \(bias[0, k]) vs \(x[k])") }
    }

    /// A mixed machine's plans: every head of every layer, the prior's exact.
    @Test func everyHeadHasAPlan() {
        let model = ModelDescription(layers: [LayerDescription(width: 4, kind: .gaussianHetero, role: .data),
                                              LayerDescription(width: 3, kind: .gaussian), LayerDescription(width: 2, kind: .categorical)])
        let m = HelmholtzMachine(model)
        m.initialize(seed: 1)
        let natural = NaturalWakeSleep(.nrws, machine: m, batch: 4, samples: 2, dreams: 4, damping: 0.01, fisherEvery: 1)
        natural.plan(globalBatch: 4, globalDreams: 4)
        let names = natural.preconditioner.plans.map(\.name)
        #expect(names == ["generative.prior", "generative.0", "generative.0.logvar", "generative.1", "generative.1.logvar",
                          "recognition.0", "recognition.0.logvar", "recognition.1",
                          "recognition.0.wake", "recognition.0.logvar.wake", "recognition.1.wake"], "\(names)")
        let exact = natural.preconditioner.plans.filter(\.exact).map(\.name)
        #expect(exact == ["generative.prior", "generative.1.logvar", "recognition.0.logvar", "recognition.0.logvar.wake"], "\(exact)")
    }
}
