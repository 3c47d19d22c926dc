import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// Goal-seeded generation (Li 2025) on x(5) ← h(3) ← g(4, categorical): the wake phase with
/// clamped labels against a float64 rws written out by hand, and each cycle term's gradient
/// against finite differences of the term, computed apart from the implementation.
struct GoalSeededTests {
    static let widths = [5, 3, 4]

    static func machine() -> HelmholtzMachine {
        randomMachine(ModelDescription(layers: [LayerDescription(width: 5, role: .data), LayerDescription(width: 3),
                                                LayerDescription(width: 4, kind: .categorical)]), seed: 21, scale: 0.9)
    }

    static func logSoftmax(_ a: [Double], _ k: Int) -> Double {
        let top = a.max()!
        return a[k] - top - log(a.map { exp($0 - top) }.reduce(0, +))
    }

    /// Row r of a matrix as doubles.
    static func row(_ m: Matrix, _ r: Int) -> [Double] { (0..<m.cols).map { Double(m[r, $0]) } }
    static func index(_ onehot: [Double]) -> Int { onehot.firstIndex(of: 1)! }

    /// log p(child | parent) of a Bernoulli layer, or of a categorical one (child one-hot).
    static func logCond(_ ref: Reference, _ name: String, child: [Double], parent: [Double], categorical: Bool = false) -> Double {
        let pre = (0..<child.count).map { ref.pre(name, $0, parent) }
        if categorical { return logSoftmax(pre, index(child)) }
        return zip(child, pre).map { Reference.logBernoulli($0, $1) }.reduce(0, +)
    }

    /// With labels and no cycles, the wake phase is rws with the goal observed: weights
    /// w_k ∝ p(x, h_k, y) / q(h_k | x), wake-p Σ_k w̃_k ∇ log p(x, h_k, y) and wake-q
    /// Σ_k w̃_k ∇ [log q(h_k | x) + log q(y | h_k)] — held against finite differences of the
    /// float64 objective with the weights fixed.
    @Test func wakeWithLabelsIsRWSWithTheGoalObserved() throws {
        let m = Self.machine(), B = 3, K = 4
        let rws = ReweightedWakeSleep(machine: m, batch: B, samples: K, dreams: 2)
        let goal = GoalSeeded(inner: rws, cycles: 0, goalWeight: 1, latentWeight: 1, contentWeight: 1, seeding: .prior, batch: B, dreams: 2)
        let x = Matrix([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1], [1, 1, 0, 0, 0]]), labels = [2, 0, 3]
        var share = StepShare(x: x, firstExample: 0, globalBatch: B, dreams: 2, firstDream: 0, globalDreams: 2, step: 4, seed: 8)
        share.labels = labels
        m.store.gradients.fill(0)
        _ = goal.wake(share)
        let h = (0..<B * K).map { Self.row(rws.sampler.h[1], $0) }
        for r in 0..<B * K { #expect(Self.row(rws.sampler.h[2], r) == (0..<4).map { $0 == labels[r / K] ? 1 : 0 }) }

        func objective(_ ref: Reference, weights: [Double]) -> Double {
            var total = 0.0
            for b in 0..<B {
                let xb = Self.row(x, b), y = (0..<4).map { Double($0 == labels[b] ? 1 : 0) }
                for k in 0..<K {
                    let hk = h[b * K + k]
                    let logP = Self.logSoftmax(ref.tensors["generative.prior.logits"]!, labels[b])
                        + Self.logCond(ref, "generative.1", child: hk, parent: y) + Self.logCond(ref, "generative.0", child: xb, parent: hk)
                    let logQ = Self.logCond(ref, "recognition.0", child: hk, parent: xb)
                        + Self.logCond(ref, "recognition.1", child: y, parent: hk, categorical: true)
                    total += weights[b * K + k] * (logP + logQ) / Double(B)
                }
            }
            return total
        }
        // The normalised weights, from the observed-goal log-weights.
        let ref = Reference(m)
        var weights = [Double](repeating: 0, count: B * K)
        for b in 0..<B {
            let xb = Self.row(x, b), y = (0..<4).map { Double($0 == labels[b] ? 1 : 0) }
            let lw = (0..<K).map { k -> Double in
                let hk = h[b * K + k]
                return Self.logSoftmax(ref.tensors["generative.prior.logits"]!, labels[b]) + Self.logCond(ref, "generative.1", child: hk, parent: y)
                    + Self.logCond(ref, "generative.0", child: xb, parent: hk) - Self.logCond(ref, "recognition.0", child: hk, parent: xb)
            }
            let top = lw.max()!, norm = lw.map { exp($0 - top) }.reduce(0, +)
            for k in 0..<K { weights[b * K + k] = exp(lw[k] - top) / norm }
            #expect(abs(rws.sampler.logWeight(b * K) - lw[0]) < 1e-4, "the goal's log q is left out of the proposal")
        }
        try Self.expectFiniteDifferences(m, ref: ref) { objective($0, weights: weights) }
    }

    /// One cycle with one term's weight at a time: the difference from no cycle is that term's
    /// gradient, (1/D) Σ_d ∇ of  log q(g* | ĥ_1) (goal), log q(h̃_1 | x̃) (latent) or
    /// log p(x̃ | ĥ_1) (content), on the states the cycle drew.
    @Test(arguments: ["goal", "latent", "content"])
    func eachCycleTermIsItsGradient(term: String) throws {
        let D = 6
        func sleep(cycles: Int) -> (HelmholtzMachine, GoalSeeded) {
            let m = Self.machine()
            let rws = ReweightedWakeSleep(machine: m, batch: 2, samples: 2, dreams: D)
            let g = GoalSeeded(inner: rws, cycles: cycles, goalWeight: term == "goal" ? 0.7 : 0, latentWeight: term == "latent" ? 0.7 : 0,
                               contentWeight: term == "content" ? 0.7 : 0, seeding: .uniform, batch: 2, dreams: D)
            m.store.gradients.fill(0)
            _ = g.sleep(StepShare(x: Matrix(rows: 2, cols: 5), firstExample: 0, globalBatch: 2, dreams: D, firstDream: 0,
                                  globalDreams: D, step: 3, seed: 12))
            return (m, g)
        }
        let (base, _) = sleep(cycles: 0), (m, g) = sleep(cycles: 1)
        let difference = zip(m.store.gradients.array, base.store.gradients.array).map { $0 - $1 }
        let xt = (0..<D).map { Self.row(g.trajectory[0], $0) }, ht = (0..<D).map { Self.row(g.trajectory[1], $0) }
        let gs = (0..<D).map { Self.row(g.trajectory[2], $0) }, hr = (0..<D).map { Self.row(g.recognised[1], $0) }
        #expect(Set(gs.map(Self.index)).count > 1, "uniform goals")
        func objective(_ ref: Reference) -> Double {
            (0..<D).map { d in
                switch term {
                case "goal": return Self.logCond(ref, "recognition.1", child: gs[d], parent: hr[d], categorical: true)
                case "latent": return Self.logCond(ref, "recognition.0", child: ht[d], parent: xt[d])
                default: return Self.logCond(ref, "generative.0", child: xt[d], parent: hr[d])
                }
            }.reduce(0, +) * 0.7 / Double(D)
        }
        m.store.gradients.data.update(from: difference, count: difference.count)
        try Self.expectFiniteDifferences(m, ref: Reference(m), objective)
    }

    /// Every parameter's accumulated gradient against the central difference of `f`.
    static func expectFiniteDifferences(_ m: HelmholtzMachine, ref: Reference, _ f: (Reference) -> Double) throws {
        let eps = 1e-5
        for e in m.store.entries {
            let got = m.store.gradient(e.name).array
            for i in 0..<got.count {
                var plus = ref, minus = ref
                plus.tensors[e.name]![i] += eps
                minus.tensors[e.name]![i] -= eps
                let numeric = (f(plus) - f(minus)) / (2 * eps)
                #expect(abs(Double(got[i]) - numeric) < 1e-4, "\(e.name)[\(i)]: \(got[i]) against \(numeric)")
            }
        }
    }
}
