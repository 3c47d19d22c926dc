import HMCore

/// Natural wake-sleep (`nws`) and natural reweighted wake-sleep (`nrws`) (Várady, Volpi,
/// Malagò & Ay 2020 / 2022): the gradients of `ws` / `rws`, each layer's preconditioned per
/// unit by (F_i + αI)⁻¹, F_i the exact Fisher block of the unit over its incoming weights and
/// bias (`NaturalPreconditioner`; the top prior's blocks are the exact scalars σ'(logit)).
///
/// Which samples estimate which blocks — each gradient term is preconditioned by the Fisher
/// under the distribution its expectation is taken over:
/// - generative blocks, p(h_l | h_{l+1}), for wake-p: from this step's dreams (h′, x′) ~ p —
///   the expectation the Fisher of p is defined by. Both variants.
/// - recognition blocks `recognition.l`, q(h_{l+1} | h_l), for the sleep-q term
///   ∇ log q(h′ | x′): from the dreams (x′ and h′ ~ p), where that term is taken. Both
///   variants; for `nws` it is the whole q update.
/// - `nrws` only, blocks `recognition.l.wake` for rws's wake-q term Σ_k w̃_k ∇ log q(h_k | x):
///   from the wake samples, x from the data and h ~ q(h | x) (the K samples of each point,
///   unweighted; q(h1 | x) one row per data point, whose K samples share it) — the Fisher of q
///   under the data distribution, where that term acts.
/// So `nrws` keeps its two q terms apart: `sleep` moves the wake-q term out of the store into
/// `wakeGradients` before adding the sleep-q term; the caller sums both across ranks;
/// `applyPreconditioner` preconditions each by its blocks and adds them:
/// g_q = (F_q,data + αI)⁻¹ g_wake-q + (F_q,dreams + αI)⁻¹ g_sleep-q.
///
/// Statistics and factors are recomputed every `fisherEvery` steps (and on the first step) from
/// that step's samples; the steps in between reuse the factors. The samples of one rank are
/// not the step's sample: in a data-parallel run the caller sums the direct layers' blocks and
/// gathers the Woodbury layers' samples across ranks between `accumulateFisher` and
/// `factorFisher` (the global counts that choose each layer's solver are in the samples), so
/// that every rank holds the same F; each then factors and solves its share of the units
/// (`preconditioner.share`) and the caller gathers the solved gradients. In a world of one,
/// `naturalGradients` does it all.
///
/// With a Fisher decay ρ > 0 (`fisherDecay`, `--fisher-decay`), a recompute step's direct
/// layers hold ρ·(the previous statistics' sums) + (this step's global sums), the count decayed
/// alike (it is the buffer's last entry), so F = sums / count is an exponentially decaying
/// running average of the blocks. The previous sums are already global (the same on every
/// rank), so only the fresh sums travel across ranks; `decayFisher` adds the decayed previous
/// sums *after* the reduction — every rank the same float64 operations on the same bits, so
/// `--reproducible` stays bit-exact for any world size (had rank 0 contributed them before the
/// reduction they would go through the fixed-point rounding and grow towards its range). Only
/// the direct layers decay: the Woodbury layers keep no sums (their solver uses the step's
/// samples), and the prior's blocks σ'(logit) are exact. ρ = 0 is the plain per-step estimate.
///
/// The order within a step: `wake`, `sleep` (this rank's raw gradients, as the base algorithm
/// computes them; nrws's wake-q term in `wakeGradients`), then — on a recompute step — `accumulateFisher`, [sum across ranks],
/// `decayFisher`, `factorFisher`; then, once the gradients are summed across ranks, `applyPreconditioner`,
/// then the optimizer step. Touches neither MPI nor files.
public final class NaturalWakeSleep: TrainingAlgorithm {
    public enum Variant: String, Sendable {
        /// Natural wake-sleep: ws gradients.
        case nws
        /// Natural reweighted wake-sleep: rws gradients.
        case nrws
    }

    public let variant: Variant
    public var name: String { variant.rawValue }
    public let machine: HelmholtzMachine
    /// The wrapped algorithm (WakeSleep or ReweightedWakeSleep) whose gradients are preconditioned.
    public let base: TrainingAlgorithm
    public let preconditioner: NaturalPreconditioner
    /// Recompute the Fisher statistics and factors every this many steps.
    public let fisherEvery: Int
    /// Importance samples per data point (1 for nws).
    public let K: Int
    /// ρ of the running average of the direct layers' blocks (0: each recompute step's own).
    public let fisherDecay: Double
    /// α at each recompute step (constant unless scheduled).
    public var dampingSchedule: DampingSchedule

    /// `nrws`: this rank's wake-q term of the recognition gradient, laid out like the recognition
    /// tensors (the store from `machine.recognitionOffset` on), held apart from the store's
    /// sleep-q term until `applyPreconditioner`; callers sum it across ranks like the
    /// gradients. nil for `nws`.
    public let wakeGradients: Matrix?

    /// The statistics the factors in use were computed from (kept for checkpoints), or nil
    /// before the first `factorFisher`.
    public private(set) var statistics: FisherStatistics?

    public let sampler: ImportanceSampler
    let sleeper: SleepPhase
    /// The world of the run (`prepare`); a world of one until then.
    var world = TrainingWorld(globalBatch: 0, globalDreams: 0)

    /// `batch` and `dreams` are this rank's capacities, as for the base algorithms.
    public init(_ variant: Variant, machine: HelmholtzMachine, batch: Int, samples K: Int, dreams: Int,
                damping: Double, fisherEvery: Int, fisherDecay: Double = 0, policy: FisherSolverPolicy = .automatic) {
        precondition(damping > 0 && damping.isFinite, "damping must be positive, got \(damping)")
        precondition(fisherEvery >= 1, "fisherEvery must be at least 1, got \(fisherEvery)")
        precondition(fisherDecay >= 0 && fisherDecay < 1, "fisherDecay must be in [0, 1), got \(fisherDecay)")
        self.variant = variant
        self.machine = machine
        self.fisherEvery = fisherEvery
        self.fisherDecay = fisherDecay
        dampingSchedule = .constant(damping)
        switch variant {
        case .nws:
            let ws = WakeSleep(machine: machine, batch: batch, dreams: dreams)
            base = ws
            sampler = ws.sampler
            sleeper = ws.sleeper
            self.K = 1
        case .nrws:
            let rws = ReweightedWakeSleep(machine: machine, batch: batch, samples: K, dreams: dreams)
            base = rws
            sampler = rws.sampler
            sleeper = rws.sleeper
            self.K = K
        }
        let store = machine.store, origin = machine.recognitionOffset
        recognitionGradients = Matrix(view: store.gradients.data + origin, rows: 1, cols: store.count - origin,
                                      owner: store.gradients)
        wakeGradients = variant == .nrws ? Matrix(rows: 1, cols: store.count - origin) : nil
        preconditioner = NaturalPreconditioner(machine: machine, damping: damping, policy: policy, wakeGradients: wakeGradients)
        preconditioner.fisherDecay = fisherDecay
    }

    public var damping: Double { preconditioner.damping }

    public func wake(_ s: StepShare) -> Double { base.wake(s) }
    public var wakeFreeEnergy: Double? { base.wakeFreeEnergy }

    /// The base sleep phase; nrws first moves the wake-q term (all the store's recognition
    /// gradient holds after `wake`) into `wakeGradients`, so that the store gets the sleep-q
    /// term alone.
    public func sleep(_ s: StepShare) -> Double {
        if let wakeGradients {
            let q = recognitionGradients
            wakeGradients.copy(from: q)
            q.fill(0)
        }
        return base.sleep(s)
    }

    /// The store's recognition gradients as one [1, n] view.
    let recognitionGradients: Matrix

    /// Whether step `step` recomputes the statistics and factors: every `fisherEvery` steps,
    /// and whenever there are no factors yet.
    public func recomputes(at step: Int) -> Bool { statistics == nil || step % fisherEvery == 0 }

    /// The number of samples of each layer in a whole step (all ranks): generative layers and
    /// the sleep-q term's recognition blocks from the dreams; nrws's wake-q blocks from the
    /// data (q(h1 | x) one per data point, the layers above one per sample, B·K).
    public func globalCounts(globalBatch: Int, globalDreams: Int) -> (generative: [Int], recognition: [Int], wake: [Int]?) {
        let L = machine.depth
        let dreams = [Int](repeating: globalDreams, count: L)
        let wake = variant == .nrws ? (0..<L).map { $0 == 0 ? globalBatch : globalBatch * K } : nil
        return (dreams, dreams, wake)
    }

    /// This rank's Fisher samples of the step just run (call after `wake` and `sleep` of the
    /// share), with the step's global counts.
    public func fisherSamples(_ s: StepShare) -> (generative: [FisherSamples], recognition: [FisherSamples], wake: [FisherSamples]?) {
        let counts = globalCounts(globalBatch: s.globalBatch, globalDreams: s.globalDreams)
        func counted(_ samples: [FisherSamples], _ n: [Int]) -> [FisherSamples] {
            zip(samples, n).map { var f = $0; f.globalCount = $1; return f }
        }
        let wake = counts.wake.map { counted(NaturalPreconditioner.recognitionSamples(sampler, data: s.x), $0) }
        return (counted(NaturalPreconditioner.generativeSamples(sleeper), counts.generative),
                counted(NaturalPreconditioner.recognitionSamples(sleeper), counts.recognition), wake)
    }

    /// Stage 1 on this rank: the preconditioner's sums and samples from this step's share.
    public func accumulateFisher(_ s: StepShare) {
        let samples = fisherSamples(s)
        preconditioner.accumulate(generative: samples.generative, recognition: samples.recognition, wake: samples.wake)
    }

    /// Sets the preconditioner up for a step of the given global size without any sample:
    /// every layer's solver is chosen (so `preconditioner.description` names them), direct
    /// layers hold zero sums and Woodbury layers no samples. For the log (before the first
    /// step), and by `restore`. Discards the factors in use, if any: the next step recomputes.
    public func plan(globalBatch: Int, globalDreams: Int) {
        statistics = nil
        let counts = globalCounts(globalBatch: globalBatch, globalDreams: globalDreams)
        let w = machine.widths, L = machine.depth
        func none(_ n: [Int], parents: (Int) -> Int, units: (Int) -> Int) -> [FisherSamples] {
            (0..<L).map { FisherSamples(parents: Matrix(rows: 0, cols: parents($0)), pre: Matrix(rows: 0, cols: units($0)),
                                        globalCount: n[$0]) }
        }
        let m = machine
        preconditioner.accumulate(generative: none(counts.generative, parents: { w[$0 + 1] }, units: { m.generative[$0].preWidth }),
                                  recognition: none(counts.recognition, parents: { w[$0] }, units: { m.recognition[$0].preWidth }),
                                  wake: counts.wake.map { none($0, parents: { w[$0] }, units: { m.recognition[$0].preWidth }) })
    }

    /// Stage 1½, once the sums are global, before `factorFisher`: with `fisherDecay` ρ > 0, adds
    /// ρ·(the sums and count of the statistics in use) to every estimated direct layer's fresh
    /// global sums (buffer[i] += ρ·previous[i], the count included). Nothing before the first
    /// factors (or after `plan`), for ρ = 0, for the prior (exact) and the Woodbury layers.
    public func decayFisher() {
        guard fisherDecay > 0, let previous = statistics else { return }
        let old = Dictionary(previous.blocks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let exact = Set(preconditioner.plans.filter(\.exact).map(\.name))
        for b in preconditioner.blocks where !exact.contains(b.name) {
            guard let o = old[b.name] else { continue }
            precondition(o.bufferCount == b.bufferCount, "\(b.name): previous Fisher sums of another shape")
            let rho = fisherDecay
            for i in 0..<b.bufferCount { b.buffer[i] += rho * o.buffer[i] }
        }
    }

    /// Stage 2, once the sums and samples are global: factors F + αI, keeps the statistics
    /// (for checkpoints) and records `step` as the step they come from.
    public func factorFisher(step: Int) throws {
        let woodbury = preconditioner.woodburySamples
        preconditioner.damping = dampingSchedule.value(at: step)
        try preconditioner.factor()
        statistics = FisherStatistics(step: step, blocks: preconditioner.blocks,
                                      woodbury: woodbury.map { .init(name: $0.name, parents: $0.parents, weights: $0.weights) })
    }

    /// Refactors from saved statistics (a resumed run) for steps of the given global sizes:
    /// `blocks` must hold a summed buffer for every direct layer (by name) and `woodbury` the
    /// gathered samples of every Woodbury layer. Throws a description of the first mismatch.
    public func restore(step: Int, globalBatch: Int, globalDreams: Int, blocks: [String: [Double]],
                        woodbury: [String: (parents: Matrix, weights: Matrix)]) throws {
        plan(globalBatch: globalBatch, globalDreams: globalDreams)
        for b in preconditioner.blocks {
            guard let sums = blocks[b.name] else {
                let old = b.name.hasSuffix(".wake") ? " (nrws checkpoints from before the wake-q term had its own blocks lack them)" : ""
                throw FisherRestoreError("\(b.name): no saved sums for this direct layer\(old)")
            }
            guard sums.count == b.bufferCount else {
                throw FisherRestoreError("\(b.name): \(sums.count) saved sums, expected \(b.bufferCount)")
            }
            sums.withUnsafeBufferPointer { b.buffer.update(from: $0.baseAddress!, count: b.bufferCount) }
            guard b.count > 0 else { throw FisherRestoreError("\(b.name): saved sample count \(b.count)") }
        }
        for s in preconditioner.woodburySamples {
            guard let saved = woodbury[s.name] else {
                let old = s.name.hasSuffix(".wake") ? " (nrws checkpoints from before the wake-q term had its own blocks lack them)" : ""
                throw FisherRestoreError("\(s.name): no saved samples for this Woodbury layer\(old)")
            }
            let plan = preconditioner.plans.first { $0.name == s.name }
            guard saved.parents.cols == s.parents.cols, saved.weights.cols == s.weights.cols,
                  saved.parents.rows == saved.weights.rows, saved.parents.rows == plan?.samples else {
                throw FisherRestoreError("\(s.name): saved samples [\(saved.parents.rows), \(saved.parents.cols)] and [\(saved.weights.rows), \(saved.weights.cols)], expected \(plan?.samples ?? -1) rows of \(s.parents.cols) and \(s.weights.cols)")
            }
            preconditioner.setWoodburySamples(name: s.name, parents: saved.parents, weights: saved.weights)
        }
        let direct = Set(preconditioner.blocks.map(\.name)), samples = Set(preconditioner.woodburySamples.map(\.name))
        if let extra = (Set(blocks.keys).subtracting(direct).union(Set(woodbury.keys).subtracting(samples))).sorted().first {
            throw FisherRestoreError("\(extra): saved statistics of another solver than this run's (\(direct.contains(extra) ? "direct" : samples.contains(extra) ? "woodbury" : "no such layer"))")
        }
        try factorFisher(step: step)
    }

    /// g ← (F + αI)⁻¹ g on the (summed) gradients in `machine.store.gradients`; nrws: the
    /// (summed) wake-q term in `wakeGradients` by its own blocks, then added to the store's
    /// recognition gradient — the q update is the sum of the two natural terms.
    public func applyPreconditioner() {
        precondition(statistics != nil, "natural gradient applied before any Fisher factors")
        preconditioner.apply()
        if let wakeGradients {
            let q = recognitionGradients.data, wake = wakeGradients.data
            for i in 0..<wakeGradients.count { q[i] += wake[i] }
        }
    }

    /// A whole step in a world of one: wake, sleep, the Fisher when due (from this share alone,
    /// which is then the global sample), then the preconditioned gradient in
    /// `machine.store.gradients`.
    @discardableResult
    public func naturalGradients(_ s: StepShare) throws -> StepStatistics {
        let stats = accumulateGradients(s)
        if recomputes(at: s.step) {
            accumulateFisher(s)
            decayFisher()
            try factorFisher(step: s.step)
        }
        applyPreconditioner()
        return stats
    }
}

/// The statistics a set of factors was computed from: the step, the direct layers' summed
/// blocks (packed float64 sums, the count last — `FisherBlocks.buffer`; with a Fisher decay
/// the running sums, which the next recompute decays) and the Woodbury
/// layers' gathered samples (parents [N, fanIn] and Fisher weights [N, units], float32).
/// Everything needed to refactor the same F + αI bit for bit.
public struct FisherStatistics {
    public struct Samples {
        public let name: String
        public let parents: Matrix
        public let weights: Matrix
    }

    public let step: Int
    public let blocks: [FisherBlocks]
    public let woodbury: [Samples]
}

/// Saved Fisher statistics that do not fit this run's preconditioner.
public struct FisherRestoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
