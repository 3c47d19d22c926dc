import Foundation
import Testing
@testable import HMAlgorithms
@testable import HMCore

/// The DDC Helmholtz machine against enumeration on a tiny machine (x: 4 pixels, z1: 2,
/// z2: 2): the sleep regression recovers the exact posterior moments E[T_l(z_l) | x], and at
/// the exact moments the wake read-out is the exact gradient of the free energy, under both
/// splits of the layer gradients (`--ddc-split layer|paper`).
@Suite(.serialized) struct DDCTests {
    static let widths = [4, 2, 2]

    /// Exact E[f(h) | x] over the 16 latent configurations.
    func posterior(_ ref: Reference, _ x: [Double], _ f: ([[Double]]) -> [Double]) -> [Double] {
        let norm = ref.exactLogLikelihood(x)
        var sum: [Double] = []
        for h in ref.latentConfigurations {
            let p = exp(ref.logJoint(x, h) - norm), v = f(h)
            if sum.isEmpty { sum = [Double](repeating: 0, count: v.count) }
            for i in v.indices { sum[i] += p * v[i] }
        }
        return sum
    }

    func machine(_ split: DDCSplit = .layer, dreams: Int = 200_000, type: DDCFeatureType = .sigmoid) -> (HelmholtzMachine, DDCWakeSleep) {
        let m = randomMachine(Self.widths, seed: 11, scale: 1.5)
        let ddc = DDCWakeSleep(machine: m, dreams: dreams, features: 15, recognitionFeatures: 60, ridge: 1e-6, split: split, featureType: type)
        ddc.prepare(TrainingWorld(globalBatch: 16, globalDreams: dreams))
        return (m, ddc)
    }

    /// T_l at one state, as the algorithm computes it.
    func t(_ ddc: DDCWakeSleep, layer l: Int, _ z: [Double]) -> [Double] {
        ddc.features[l - 1](Matrix([z]), rows: 1)
    }

    @Test func sleepRegressionRecoversThePosteriorMoments() throws {
        let (m, ddc) = machine()
        let f = ddc.fit(step: 0, seed: 3)
        let ref = Reference(m), xs = Reference.all(4)
        let r = ddc.moments(Matrix(xs), f)
        var worst = 0.0, weighted = 0.0
        for (b, x) in xs.enumerated() {
            let px = exp(ref.exactLogLikelihood(x))
            for l in 1...2 {
                let exact = posterior(ref, x) { h in t(ddc, layer: l, h[l - 1]) }
                let K = exact.count
                for k in 0..<K {
                    let e = abs(r[l - 1][b * K + k] - exact[k])
                    weighted += px * e / Double(2 * K)
                    if px > 0.02 { worst = max(worst, e) }
                }
            }
        }
        // Monte Carlo over 200,000 dreams: the x with p(x) > 0.02 have 4,000 dreams or more;
        // the rarest far fewer, so over all x the error is weighted by p(x).
        #expect(worst < 0.02 && weighted < 0.005, "error of r_l(x) against E[T_l | x]: largest \(worst) (p(x) > 0.02), p-weighted mean \(weighted)")
    }

    /// Both splits, and both kinds of features (cosine with the layer split).
    @Test(arguments: [(DDCSplit.layer, DDCFeatureType.sigmoid), (.paper, .sigmoid), (.layer, .cosine)])
    func wakeAtTheExactMomentsIsTheExactGradient(split: DDCSplit, type: DDCFeatureType) throws {
        let (m, ddc) = machine(split, type: type)
        let f = ddc.fit(step: 0, seed: 3)
        let ref = Reference(m), xs = Reference.all(4)
        // r_l(x) := the exact E[T_l(z_l) | x].
        let exact = (1...2).map { l in xs.flatMap { x in posterior(ref, x) { h in t(ddc, layer: l, h[l - 1]) } } }
        m.store.zeroGradients()
        _ = ddc.wake(Matrix(xs), moments: exact, fit: f, weight: 1 / Double(xs.count))
        // The exact gradient of Σ_x E_{p(h|x)}[log p(x, h)] / 16 (the free energy's p-gradient).
        var want: [String: [Double]] = [:]
        for x in xs {
            let g = posterior(ref, x) { h in
                let grads = ref.gradient(x, h, generative: true)
                return grads.keys.sorted().flatMap { grads[$0]! }
            }
            let names = ref.gradient(x, ref.latentConfigurations[0], generative: true).keys.sorted()
            var offset = 0
            for name in names {
                let n = m.store.entry(name)!.count
                want[name] = zip(want[name] ?? [Double](repeating: 0, count: n), g[offset..<(offset + n)]).map { $0 + $1 / Double(xs.count) }
                offset += n
            }
        }
        for (name, w) in want.sorted(by: { $0.key < $1.key }) {
            let got = m.store.gradient(name).array.map(Double.init)
            let err = zip(got, w).map { abs($0 - $1) }.max() ?? 0, size = w.map(abs).max() ?? 0
            #expect(err < 0.02 * max(size, 0.1), "\(split) \(name): max error \(err) (largest entry \(size)); got \(got.prefix(4)), want \(w.prefix(4))")
        }
    }

    /// The training path (ψ(x)ᵀHᵀE_l, no solve) is the read-out at the fitted moments
    /// r_l(x) = ψ(x)ᵀC_l, with the recognition regression in its primal (S ≥ M) and dual
    /// (S < M: (ΨΨᵀ + λI)⁻¹Ψ) forms; and the two forms are the same regression (to the
    /// rounding of a Gram matrix of 16 distinct x with λ = 1e-6).
    @Test(arguments: [40, 400])
    func trainingPathIsTheReadOutAtTheFittedMoments(dreams: Int) throws {
        let (m, ddc) = machine(.paper, dreams: dreams)
        let f = ddc.fit(step: 0, seed: 3), x = Matrix(Reference.all(4))
        #expect(f.dual == (dreams < 61))
        m.store.zeroGradients()
        let fast = ddc.wake(StepShare(x: x, firstExample: 0, globalBatch: 16, dreams: dreams, firstDream: 0,
                                      globalDreams: dreams, step: 0, seed: 3))
        let got = m.store.gradients.array
        m.store.zeroGradients()
        let slow = ddc.wake(x, moments: ddc.moments(x, f), fit: f, weight: 1 / 16)
        let want = m.store.gradients.array, size = want.map(abs).max() ?? 0
        let err = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        #expect(err <= 1e-4 * size && abs(fast - slow) <= 1e-6 * abs(slow), "gradient error \(err) of \(size); bound \(fast) vs \(slow)")
        let other = DDCFit(machine: m, dreams: dreams, features: f.K, recognitionFeatures: f.M, split: .paper, dual: !f.dual)
        other.refit(m, sleep: ddc.sleeper!, psiFeatures: ddc.recognitionFeatures!, features: ddc.features, lambda: 1e-6)
        for l in 1...2 {
            let a = f.recognitionCoefficients(layer: l), b = other.recognitionCoefficients(layer: l)
            let gap = zip(a, b).map { abs($0 - $1) }.max() ?? 0, scale = b.map(abs).max() ?? 0
            #expect(gap <= 1e-4 * scale, "layer \(l): primal and dual C_l differ by \(gap) (largest \(scale))")
        }
    }

    /// The splits are different estimators: on few dreams, at the fitted moments, their
    /// latent layers' gradients differ (the observation layer's are split alike).
    @Test func theSplitsDifferOnFewDreams() throws {
        var grads: [[Float]] = []
        for split in DDCSplit.allCases {
            let (m, ddc) = machine(split, dreams: 300)
            let f = ddc.fit(step: 0, seed: 3), x = Matrix(Reference.all(4))
            m.store.zeroGradients()
            _ = ddc.wake(x, moments: ddc.moments(x, f), fit: f, weight: 1 / 16)
            grads.append(m.store.gradient("generative.1.weight").array + m.store.gradient("generative.prior.logits").array)
        }
        let gap = zip(grads[0], grads[1]).map { abs($0 - $1) }.max() ?? 0
        #expect(gap > 1e-4, "layer and paper splits give the same gradient: \(grads[0].prefix(4))")
    }

    /// The same with a Gaussian observation layer (and a categorical top layer), against the
    /// exact posterior computed with the machine's own layers: the read-out of the
    /// observation layer is exact whenever log p(x | z) − log p(0 | z) is affine in z.
    @Test(arguments: [LayerKind.gaussian, .bernoulliPM1], DDCSplit.allCases)
    func wakeAtTheExactMomentsIsExactForOtherObservationKinds(kind: LayerKind, split: DDCSplit) throws {
        let model = ModelDescription(layers: [LayerDescription(width: 3, kind: kind, role: .data), LayerDescription(width: 2),
                                              LayerDescription(width: 3, kind: .categorical)])
        let m = randomMachine(model, seed: 12, scale: 1.0)
        let ddc = DDCWakeSleep(machine: m, dreams: 200_000, features: 15, recognitionFeatures: 30, ridge: 1e-6, split: split)
        ddc.prepare(TrainingWorld(globalBatch: 8, globalDreams: 200_000))
        let f = ddc.fit(step: 0, seed: 3)
        let xs = Matrix(rows: 8, cols: 3)
        RandomStream(key: 5, purpose: .wake, step: 0).normals(tag: 0, index: 0, into: xs.data, count: 24)
        if kind == .bernoulliPM1 { for i in 0..<24 { xs.data[i] = xs.data[i] > 0 ? 1 : -1 } }
        let exact = ExactPosterior(m, xs)
        let r = (1...2).map { l in (0..<8).flatMap { b in exact.expectation(b) { h in t(ddc, layer: l, h[l].map(Double.init)) } } }
        m.store.zeroGradients()
        _ = ddc.wake(xs, moments: r, fit: f, weight: 1 / 8)
        let got = m.store.gradients.array
        m.store.zeroGradients()
        exact.accumulateGenerativeGradient(m, scale: 1 / 8)
        let want = m.store.gradients.array
        for e in m.store.entries where e.name.hasPrefix("generative.") {
            let g = got[e.offset..<(e.offset + e.count)].map(Double.init), w = want[e.offset..<(e.offset + e.count)].map(Double.init)
            let err = zip(g, w).map { abs($0 - $1) }.max() ?? 0, size = w.map(abs).max() ?? 0
            #expect(err < 0.02 * max(size, 0.1), "\(kind) \(split) \(e.name): max error \(err) (largest entry \(size)); got \(g.prefix(4)), want \(w.prefix(4))")
        }
    }
}
