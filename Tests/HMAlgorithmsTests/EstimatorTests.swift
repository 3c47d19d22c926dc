import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// The estimators and gradients held against exact enumeration on tiny machines.
@Suite struct EstimatorTests {
    let widths = [6, 3, 2]

    func points(_ ref: Reference) -> [[Double]] {
        [[1, 0, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1]]
    }

    @Test func exactLikelihoodEqualsBruteForce() throws {
        let m = randomMachine(widths, seed: 1)
        let ref = Reference(m)
        let xs = Reference.all(6)
        let got = try ExactLogLikelihood.logLikelihoods(m, data: Matrix(xs), configurationsPerPass: 7)
        var total = 0.0
        for (i, x) in xs.enumerated() {
            let want = ref.exactLogLikelihood(x)
            #expect(abs(got[i] - want) < 1e-4, "x = \(x): \(got[i]) vs \(want)")
            total += exp(want)
        }
        #expect(abs(total - 1) < 1e-9, "p(x) sums to \(total) over all x")
    }

    @Test func exactRefusesLargeModels() {
        let m = HelmholtzMachine(widths: [4, 12, 9])
        #expect(throws: ExactLogLikelihood.TooLarge.self) {
            _ = try ExactLogLikelihood.logLikelihoods(m, data: Matrix(rows: 1, cols: 4))
        }
    }

    @Test func importanceEstimateConvergesToExact() throws {
        let m = randomMachine(widths, seed: 2)
        m.initialize(seed: 3)  // a q that is not the posterior: the estimate must still converge
        let data = Matrix(points(Reference(m)))
        let exact = try ExactLogLikelihood.logLikelihoods(m, data: data)
        let estimate = ImportanceLogLikelihood(samples: 40000, seed: 5, chunk: 1000)
            .logLikelihoods(m, data: data)
        for i in 0..<data.rows {
            #expect(abs(estimate[i] - exact[i]) < 0.02, "point \(i): \(estimate[i]) vs exact \(exact[i])")
        }
        // At K = 1 it is a lower bound in expectation: a far worse number.
        let one = ImportanceLogLikelihood(samples: 1, seed: 5).logLikelihoods(m, data: data)
        #expect(one.reduce(0, +) < exact.reduce(0, +) - 0.1)
    }

    /// Σ_h p(h | x) f(h), by enumeration.
    func posteriorMean(_ ref: Reference, _ x: [Double], _ f: ([[Double]]) -> [String: [Double]]) -> [String: [Double]] {
        let configs = ref.latentConfigurations
        let logs = configs.map { ref.logJoint(x, $0) }
        let norm = ref.exactLogLikelihood(x)
        var sum: [String: [Double]] = [:]
        for (c, h) in configs.enumerated() {
            let w = exp(logs[c] - norm)
            for (name, g) in f(h) { sum[name] = zip(sum[name] ?? Array(repeating: 0, count: g.count), g).map { $0 + w * $1 } }
        }
        return sum
    }

    func expectClose(_ m: HelmholtzMachine, _ want: [String: [Double]], tolerance: Double) {
        for (name, w) in want {
            let got = m.store.gradient(name).array
            let worst = zip(got, w).map { abs(Double($0) - $1) }.max()!
            #expect(worst < tolerance, "\(name): max |error| \(worst)")
        }
    }

    @Test func rwsGradientMatchesExactGradientOfLogLikelihood() {
        let m = randomMachine(widths, seed: 11)
        // A broad proposal (small recognition weights) keeps the importance weights tame.
        for e in m.store.entries where e.name.hasPrefix("recognition") {
            let v = m.store.value(e.name)
            for i in 0..<v.count { v.data[i] *= 0.2 }
        }
        let ref = Reference(m)
        let x = points(ref)[0]
        let K = 100000
        let rws = ReweightedWakeSleep(machine: m, batch: 1, samples: K, dreams: 1)
        m.store.zeroGradients()
        _ = rws.wake(StepShare(x: Matrix([x]), firstExample: 0, globalBatch: 1, dreams: 0,
                               firstDream: 0, globalDreams: 1, step: 0, seed: 17))
        // wake-p → ∇_p log p(x) = E_{p(h|x)} ∇ log p(x, h); wake-q → E_{p(h|x)} ∇ log q(h | x).
        expectClose(m, posteriorMean(ref, x) { ref.gradient(x, $0, generative: true) }, tolerance: 0.02)
        expectClose(m, posteriorMean(ref, x) { ref.gradient(x, $0, generative: false) }, tolerance: 0.02)
    }

    @Test func wsSleepGradientMatchesEnumeratedExpectation() {
        let m = randomMachine(widths, seed: 21)
        let ref = Reference(m)
        let D = 200000
        let ws = WakeSleep(machine: m, batch: 1, dreams: D)
        m.store.zeroGradients()
        _ = ws.sleep(StepShare(x: Matrix(rows: 1, cols: 6), firstExample: 0, globalBatch: 1, dreams: D,
                               firstDream: 0, globalDreams: D, step: 3, seed: 23))
        // E_{p(x, h)} ∇ log q(h | x) over every (x, h).
        var want: [String: [Double]] = [:]
        for x in Reference.all(6) {
            for h in ref.latentConfigurations {
                let p = exp(ref.logJoint(x, h))
                for (name, g) in ref.gradient(x, h, generative: false) {
                    want[name] = zip(want[name] ?? Array(repeating: 0, count: g.count), g).map { $0 + p * $1 }
                }
            }
        }
        expectClose(m, want, tolerance: 0.01)
        // The sleep phase touches no generative gradient.
        #expect(m.store.gradient("generative.0.weight").array.allSatisfy { $0 == 0 })
    }

    @Test func wsWakeGradientIsTheOneSampleEstimate() {
        let m = randomMachine(widths, seed: 31)
        let ref = Reference(m)
        let x = points(ref)[1]
        let B = 30000
        let xs = Matrix(Array(repeating: x, count: B))
        let ws = WakeSleep(machine: m, batch: B, dreams: 1)
        m.store.zeroGradients()
        _ = ws.wake(StepShare(x: xs, firstExample: 0, globalBatch: B, dreams: 0, firstDream: 0,
                              globalDreams: 1, step: 0, seed: 5))
        // E_{q(h|x)} ∇ log p(x, h): wake-p of wake-sleep follows q's samples, not the posterior.
        let configs = ref.latentConfigurations
        var want: [String: [Double]] = [:]
        for h in configs {
            let q = exp(ref.logQ(x, h))
            for (name, g) in ref.gradient(x, h, generative: true) {
                want[name] = zip(want[name] ?? Array(repeating: 0, count: g.count), g).map { $0 + q * $1 }
            }
        }
        expectClose(m, want, tolerance: 0.02)
        #expect(m.store.gradient("recognition.0.weight").array.allSatisfy { $0 == 0 })
    }
}
