import HMCore

/// Natural wake-sleep (`nws`) and natural reweighted wake-sleep (`nrws`) (Várady, Volpi,
/// Malagò & Ay 2020 / 2022): the gradients of `ws` / `rws`, each layer's preconditioned per
/// unit by (F_i + αI)⁻¹, F_i the exact Fisher block of the unit over its incoming weights and
/// bias (`NaturalPreconditioner`; the top prior's blocks are the exact scalars σ'(logit)).
///
/// Which samples estimate which blocks:
/// - generative blocks, p(h_l | h_{l+1}): from this step's dreams (h′, x′) ~ p — the
///   expectation the Fisher of p is defined by. Both variants.
/// - recognition blocks, q(h_{l+1} | h_l):
///   - `nrws`: from the wake samples, x from the data and h ~ q(h | x) (the K samples of each
///     point, unweighted; q(h1 | x) one row per data point, whose K samples share it). This is
///     the Fisher of q under the data distribution, where rws's wake-q update acts.
///   - `nws`: from the dreams (x′ and h′ ~ p), because the q update of `ws` *is* the sleep
///     update: its gradient ∇ log q(h′ | x′) is taken on dreams, so the Fisher of q is taken
///     under the same distribution. (It also needs no pass of q on the data: `ws` draws one
///     q sample per point for the wake-p update only.)
///
/// Statistics and factors are recomputed every `fisherEvery` steps (and on the first step) from
/// that step's samples; the steps in between reuse the factors. The samples of one rank are
/// not the step's sample: in a data-parallel run the caller sums the direct layers' blocks and
/// gathers the Woodbury layers' samples across ranks between `accumulateFisher` and
/// `factorFisher` (the global counts that choose each layer's solver are in the samples), so
/// that every rank factors the same F. In a world of one, `naturalGradients` does it all.
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
/// computes them), then — on a recompute step — `accumulateFisher`, [sum across ranks],
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

    /// The statistics the factors in use were computed from (kept for checkpoints), or nil
    /// before the first `factorFisher`.
    public private(set) var statistics: FisherStatistics?

    let sampler: ImportanceSampler
    let sleeper: SleepPhase

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
        preconditioner = NaturalPreconditioner(machine: machine, damping: damping, policy: policy)
        preconditioner.fisherDecay = fisherDecay
    }

    public var damping: Double { preconditioner.damping }

    public func wake(_ s: StepShare) -> Double { base.wake(s) }
    public func sleep(_ s: StepShare) -> Double { base.sleep(s) }

    /// Whether step `step` recomputes the statistics and factors: every `fisherEvery` steps,
    /// and whenever there are no factors yet.
    public func recomputes(at step: Int) -> Bool { statistics == nil || step % fisherEvery == 0 }

    /// The number of samples of each layer in a whole step (all ranks): generative layers
    /// from the dreams; recognition layers from the data (nrws: q(h1 | x) one per data point,
    /// the layers above one per sample, B·K) or from the dreams (nws).
    public func globalCounts(globalBatch: Int, globalDreams: Int) -> (generative: [Int], recognition: [Int]) {
        let L = machine.depth
        let generative = [Int](repeating: globalDreams, count: L)
        let recognition: [Int]
        switch variant {
        case .nws: recognition = [Int](repeating: globalDreams, count: L)
        case .nrws: recognition = (0..<L).map { $0 == 0 ? globalBatch : globalBatch * K }
        }
        return (generative, recognition)
    }

    /// This rank's Fisher samples of the step just run (call after `wake` and `sleep` of the
    /// share), with the step's global counts.
    public func fisherSamples(_ s: StepShare) -> (generative: [FisherSamples], recognition: [FisherSamples]) {
        let counts = globalCounts(globalBatch: s.globalBatch, globalDreams: s.globalDreams)
        var generative = NaturalPreconditioner.generativeSamples(sleeper)
        for l in generative.indices { generative[l].globalCount = counts.generative[l] }
        var recognition: [FisherSamples]
        switch variant {
        case .nrws:
            recognition = NaturalPreconditioner.recognitionSamples(sampler, data: s.x)
        case .nws:
            recognition = (0..<machine.depth).map { FisherSamples(parents: sleeper.dream[$0], pre: sleeper.qPre[$0]) }
        }
        for l in recognition.indices { recognition[l].globalCount = counts.recognition[l] }
        return (generative, recognition)
    }

    /// Stage 1 on this rank: the preconditioner's sums and samples from this step's share.
    public func accumulateFisher(_ s: StepShare) {
        let samples = fisherSamples(s)
        preconditioner.accumulate(generative: samples.generative, recognition: samples.recognition)
    }

    /// Sets the preconditioner up for a step of the given global size without any sample:
    /// every layer's solver is chosen (so `preconditioner.description` names them), direct
    /// layers hold zero sums and Woodbury layers no samples. For the log (before the first
    /// step), and by `restore`. Discards the factors in use, if any: the next step recomputes.
    public func plan(globalBatch: Int, globalDreams: Int) {
        statistics = nil
        let counts = globalCounts(globalBatch: globalBatch, globalDreams: globalDreams)
        let w = machine.widths, L = machine.depth
        let generative = (0..<L).map {
            FisherSamples(parents: Matrix(rows: 0, cols: w[$0 + 1]), pre: Matrix(rows: 0, cols: w[$0]),
                          globalCount: counts.generative[$0])
        }
        let recognition = (0..<L).map {
            FisherSamples(parents: Matrix(rows: 0, cols: w[$0]), pre: Matrix(rows: 0, cols: w[$0 + 1]),
                          globalCount: counts.recognition[$0])
        }
        preconditioner.accumulate(generative: generative, recognition: recognition)
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
            guard let sums = blocks[b.name] else { throw FisherRestoreError("\(b.name): no saved sums for this direct layer") }
            guard sums.count == b.bufferCount else {
                throw FisherRestoreError("\(b.name): \(sums.count) saved sums, expected \(b.bufferCount)")
            }
            sums.withUnsafeBufferPointer { b.buffer.update(from: $0.baseAddress!, count: b.bufferCount) }
            guard b.count > 0 else { throw FisherRestoreError("\(b.name): saved sample count \(b.count)") }
        }
        for s in preconditioner.woodburySamples {
            guard let saved = woodbury[s.name] else { throw FisherRestoreError("\(s.name): no saved samples for this Woodbury layer") }
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

    /// g ← (F + αI)⁻¹ g on the (summed) gradients in `machine.store.gradients`.
    public func applyPreconditioner() {
        precondition(statistics != nil, "natural gradient applied before any Fisher factors")
        preconditioner.apply()
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
