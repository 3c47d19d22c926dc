import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// `fisherDecay` (`--fisher-decay ρ`) of NaturalWakeSleep: on each recompute step the direct
/// layers' sums and count are ρ·(the previous statistics) + (this step's), computed here
/// independently from a ρ = 0 twin on the same machine and samples; the prior (exact) and the
/// Woodbury layers (no sums) are not averaged; ρ = 0 is the default, bit for bit; and a
/// restore from the running sums continues to the same bits.
@Suite struct FisherDecayTests {
    static let widths = [6, 4, 3], batch = 6, K = 2, dreams = 8, damping = 0.05

    /// generative.0 (N = 8 dreams ≥ d = 5), generative.1 (8 ≥ 4), recognition.0 (8 ≥ 7),
    /// recognition.1 (8 ≥ 5) and recognition.1.wake (12 samples ≥ 5) direct; recognition.0.wake
    /// Woodbury (6 data points < d = 7).
    static func natural(_ m: HelmholtzMachine, decay: Double? = nil, every: Int = 1) -> NaturalWakeSleep {
        if let decay {
            return NaturalWakeSleep(.nrws, machine: m, batch: batch, samples: K, dreams: dreams, damping: damping,
                                    fisherEvery: every, fisherDecay: decay)
        }
        return NaturalWakeSleep(.nrws, machine: m, batch: batch, samples: K, dreams: dreams, damping: damping,
                                fisherEvery: every)
    }

    static func sums(_ n: NaturalWakeSleep) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for b in n.statistics?.blocks ?? [] { out[b.name] = Array(UnsafeBufferPointer(start: b.buffer, count: b.bufferCount)) }
        return out
    }

    static func x(step: Int) -> Matrix { NaturalAlgorithmTests.data(rows: batch, cols: widths[0], seed: 100 + UInt64(step)) }

    static func share(_ x: Matrix, step: Int) -> StepShare { NaturalAlgorithmTests.share(x, dreams: dreams, step: step) }

    /// Steps 0..<4 with `fisherEvery` 1 (the parameters are not updated, so both machines
    /// stay equal and draw the same samples): the decayed run's blocks equal ρ·(its previous
    /// blocks) + (the fresh blocks of the ρ = 0 twin), bit for bit — the count too — for the
    /// estimated direct layers; the prior and the Woodbury samples are the twin's.
    @Test func blocksAreTheDecayedPreviousPlusTheNew() throws {
        let rho = 0.7
        let truth = randomMachine(Self.widths, seed: 81, scale: 1.0)
        let m = NaturalAlgorithmTests.copy(truth), twin = NaturalAlgorithmTests.copy(truth)
        let decayed = Self.natural(m, decay: rho), fresh = Self.natural(twin, decay: 0)
        #expect(decayed.preconditioner.description.contains("Fisher decay 0.7"))
        #expect(!fresh.preconditioner.description.contains("Fisher decay"))
        var previous: [String: [Double]] = [:]
        for step in 0..<4 {
            let x = Self.x(step: step)
            m.store.zeroGradients()
            try decayed.naturalGradients(Self.share(x, step: step))
            twin.store.zeroGradients()
            try fresh.naturalGradients(Self.share(x, step: step))
            let plans = decayed.preconditioner.plans
            #expect(plans == fresh.preconditioner.plans)
            let kinds = plans.dropFirst().map(\.kind)
            #expect(kinds.contains(.woodbury) && kinds.contains(.direct), "\(decayed.preconditioner.description)")
            let got = Self.sums(decayed), new = Self.sums(fresh)
            #expect(Set(got.keys) == Set(new.keys) && got.count == 6, "\(got.keys.sorted())")
            for (name, n) in new {
                let g = try #require(got[name])
                let exact = plans.first { $0.name == name }?.exact == true
                let expected: [Double]
                if exact || previous.isEmpty {
                    expected = n
                } else {
                    let p = try #require(previous[name])
                    expected = zip(n, p).map { $0 + rho * $1 }
                }
                #expect(g == expected, "step \(step) \(name): not ρ·previous + new")
                if !exact && step > 0 {
                    // The count is decayed alike: Σ_{s ≤ step} ρ^(step − s) · N.
                    let N = n.last!
                    let count = (0...step).reduce(0.0) { acc, _ in acc * rho + N }
                    #expect(abs(g.last! - count) <= 1e-12 * count, "step \(step) \(name): count \(g.last!), expected \(count)")
                }
            }
            let wa = decayed.statistics!.woodbury, wb = fresh.statistics!.woodbury
            #expect(wa.map(\.name) == wb.map(\.name) && !wa.isEmpty)
            for (a, b) in zip(wa, wb) { #expect(a.parents.array == b.parents.array && a.weights.array == b.weights.array) }
            if step > 0 {
                #expect(m.store.gradients.array != twin.store.gradients.array, "step \(step): the decay changed nothing")
            } else {
                #expect(m.store.gradients.array == twin.store.gradients.array)
            }
            previous = got
        }
    }

    /// ρ = 0 is today's algorithm: the same gradients and statistics, bit for bit, as a
    /// NaturalWakeSleep built without the argument, over recomputes and reuses.
    @Test func zeroDecayIsTheDefault() throws {
        let truth = randomMachine(Self.widths, seed: 82, scale: 1.0)
        let m = NaturalAlgorithmTests.copy(truth), twin = NaturalAlgorithmTests.copy(truth)
        let zero = Self.natural(m, decay: 0, every: 2), plain = Self.natural(twin, every: 2)
        #expect(plain.fisherDecay == 0)
        #expect(zero.preconditioner.description == plain.preconditioner.description)
        for step in 0..<5 {
            let x = Self.x(step: step)
            m.store.zeroGradients()
            try zero.naturalGradients(Self.share(x, step: step))
            twin.store.zeroGradients()
            try plain.naturalGradients(Self.share(x, step: step))
            #expect(m.store.gradients.array == twin.store.gradients.array, "step \(step)")
            #expect(Self.sums(zero) == Self.sums(plain), "step \(step)")
            #expect(zero.statistics?.step == plain.statistics?.step)
        }
    }

    /// The running sums are all a resume needs: restored from the statistics after step 2 (the
    /// checkpoint's `fisher.<layer>.blocks` and samples), a fresh instance's step 3 gives the
    /// same blocks and gradient, bit for bit, as the run that went on.
    @Test func restoreFromTheRunningSumsContinuesExactly() throws {
        let rho = 0.9
        let m = randomMachine(Self.widths, seed: 83, scale: 1.0)
        let a = Self.natural(m, decay: rho)
        for step in 0..<3 {
            m.store.zeroGradients()
            try a.naturalGradients(Self.share(Self.x(step: step), step: step))
        }
        let saved = try #require(a.statistics)
        var woodbury: [String: (parents: Matrix, weights: Matrix)] = [:]
        for w in saved.woodbury {
            woodbury[w.name] = (Matrix(rows: w.parents.rows, cols: w.parents.cols, values: w.parents.array),
                                Matrix(rows: w.weights.rows, cols: w.weights.cols, values: w.weights.array))
        }
        let b = Self.natural(m, decay: rho)
        try b.restore(step: 2, globalBatch: Self.batch, globalDreams: Self.dreams, blocks: Self.sums(a), woodbury: woodbury)
        #expect(Self.sums(b) == Self.sums(a))
        var results: [([Float], [String: [Double]])] = []
        for n in [a, b] {
            m.store.zeroGradients()
            try n.naturalGradients(Self.share(Self.x(step: 3), step: 3))
            results.append((m.store.gradients.array, Self.sums(n)))
        }
        #expect(results[0].0 == results[1].0)
        #expect(results[0].1 == results[1].1)
    }
}
