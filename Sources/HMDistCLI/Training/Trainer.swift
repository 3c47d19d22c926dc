import CKernels
import Foundation
import HMAlgorithms
import HMComm
import HMCore

/// Data-parallel training of one machine (DESIGN §3): every rank holds the full parameters,
/// takes its share of each step's global batch and dreams, and applies the same optimizer step
/// to the gradients summed across ranks.
public final class Trainer {
    public let settings: Settings
    public let machine: HelmholtzMachine
    public let algorithm: TrainingAlgorithm
    /// `nws` / `nrws`: the algorithm, whose gradients are preconditioned after the sum across
    /// ranks and before the optimizer step; nil otherwise.
    public let natural: NaturalWakeSleep?
    public let optimizer: Optimizer
    public let comm: Communicator
    public let fault: FaultInjection?
    let train: Matrix
    let x: Matrix
    /// Per step, summed across ranks: wake bound, sleep log q, and whether any rank received
    /// a preemption signal (so that every rank stops at the same step boundary).
    let statistics = DoubleBuffer(3)
    /// The generative tensors come first in the parameter buffer: [0, generativeCount).
    let generativeCount: Int
    /// The gathering of the ranks' shares of the natural-gradient solves.
    let solvedGather = SolvedGather()
    /// `--reproducible`: integer fixed-point sums of fixed micro-blocks (of the gradients, and
    /// of nrws's wake-q term).
    let fixed: FixedPointSum?
    let fixedWake: FixedPointSum?
    var order: [Int] = []
    var orderEpoch = -1

    public let stepsPerEpoch: Int
    public let totalSteps: Int
    /// The next step to run (0-based); also the step field of its random draws.
    public var step = 0
    /// Set when a rank received SIGUSR1 or SIGTERM: the step boundary where all agreed to stop.
    public private(set) var stopSignal: Int32?
    /// nws/nrws: where the last step's natural-gradient time went.
    public struct FisherSeconds: Sendable {
        /// This rank's Fisher sums and samples (recompute steps only).
        public var statistics = 0.0
        /// Their allreduce / allgather across ranks.
        public var reduction = 0.0
        /// Cholesky factors of F + αI (direct) or of the N×N Woodbury systems.
        public var factor = 0.0
        /// (F + αI)⁻¹ g on this rank's units of every layer, every step.
        public var solve = 0.0
        /// The allgather of the ranks' solved units (more than one rank).
        public var gather = 0.0
        public var total: Double { statistics + reduction + factor + solve + gather }
    }
    public private(set) var fisherSeconds = FisherSeconds()

    func clock<T>(_ part: WritableKeyPath<FisherSeconds, Double>, _ body: () throws -> T) rethrows -> T {
        let t0 = Date()
        defer { fisherSeconds[keyPath: part] += Date().timeIntervalSince(t0) }
        return try body()
    }

    /// Seconds the last step spent waiting on communication.
    public private(set) var communicationSeconds = 0.0

    public init(settings: Settings, machine: HelmholtzMachine, train: Matrix, comm: Communicator,
                fault: FaultInjection? = nil) throws {
        guard settings.batch <= train.rows else {
            throw ConfigError(path: settings.data, field: "batch", "the global batch \(settings.batch) is larger than the \(train.rows) training examples")
        }
        let M = Trainer.microBlocks, smallest = min(settings.batch, settings.dreams)
        if settings.reproducible {
            guard smallest >= M, comm.size <= M else {
                throw ConfigError(path: "command line", field: "reproducible", "--reproducible splits the batch and the dreams into \(M) micro-blocks: both must be at least \(M), and the world size (\(comm.size)) at most \(M)")
            }
        } else {
            guard smallest >= comm.size else {
                throw ConfigError(path: "command line", field: "batch", "the global batch and dreams (\(settings.batch), \(settings.dreams)) must be at least the world size \(comm.size)")
            }
        }
        if let fault, fault.rank >= comm.size {
            throw ConfigError(path: "environment", field: FaultInjection.variable, "rank \(fault.rank) is outside the world of \(comm.size) ranks: the fault would never fire")
        }
        self.settings = settings
        self.machine = machine
        self.train = train
        self.comm = comm
        self.fault = fault
        let localBatch = (settings.batch + comm.size - 1) / comm.size
        let localDreams = (settings.dreams + comm.size - 1) / comm.size
        x = Matrix(rows: localBatch, cols: machine.widths[0])
        algorithm = try Trainer.algorithm(settings, machine: machine, batch: localBatch, dreams: localDreams)
        natural = algorithm as? NaturalWakeSleep
        // Each rank factors and solves its share of every layer's units.
        natural?.preconditioner.share = (comm.rank, comm.size)
        // Every layer's solver is known from the global counts alone: chosen now, for the log.
        natural?.plan(globalBatch: settings.batch, globalDreams: settings.dreams)
        optimizer = settings.optimizer == "sgd"
            ? SGD(count: machine.store.count, learningRate: Float(settings.lr), momentum: Float(settings.momentum))
            : Adam(count: machine.store.count, learningRate: Float(settings.lr))
        generativeCount = machine.recognitionOffset
        fixed = settings.reproducible ? FixedPointSum(count: machine.store.count) : nil
        fixedWake = settings.reproducible ? natural?.wakeGradients.map { FixedPointSum(count: $0.count) } : nil
        stepsPerEpoch = train.rows / settings.batch
        totalSteps = settings.steps ?? (settings.epochs ?? 1) * stepsPerEpoch
    }

    /// Micro-blocks of the global batch (and of the dreams) in `--reproducible` mode: each rank
    /// takes whole blocks, so the blocks — and their sums — do not depend on the world size.
    public static let microBlocks = 10

    static func algorithm(_ s: Settings, machine: HelmholtzMachine, batch: Int, dreams: Int) throws -> TrainingAlgorithm {
        switch s.algorithm {
        case .ws: return WakeSleep(machine: machine, batch: batch, dreams: dreams)
        case .rws: return ReweightedWakeSleep(machine: machine, batch: batch, samples: s.samples, dreams: dreams)
        case .nws, .nrws:
            let natural = NaturalWakeSleep(s.algorithm == .nws ? .nws : .nrws, machine: machine, batch: batch,
                                           samples: s.samples, dreams: dreams, damping: s.damping, fisherEvery: s.fisherEvery,
                                           fisherDecay: s.fisherDecay)
            natural.dampingSchedule = DampingSchedule(start: s.damping, final: s.dampingFinal, steps: s.dampingSteps)
            return natural
        case .ddc:
            throw ConfigError(path: "command line", field: "algorithm", "\(s.algorithm.rawValue) is not available in this version; use ws, rws, nws or nrws")
        }
    }

    public var epoch: Int { step / stepsPerEpoch }
    public var samplesSeen: Int { step * settings.batch }

    /// One training step; returns the means over the global batch and dreams of
    /// (importance-sampled bound on log p(x), log q(h′ | x′) of the dreams).
    @discardableResult
    public func runStep() throws -> (wakeBound: Double, sleepLogQ: Double) {
        let B = settings.batch, D = settings.dreams
        if epoch != orderEpoch {
            order = DataOrder.permutation(count: train.rows, seed: settings.seed, epoch: epoch)
            orderEpoch = epoch
        }
        if fault?.fires(.throw, rank: comm.rank, step: step) == true {
            throw TrainingError(step: step, message: "injected fault (\(FaultInjection.variable))")
        }
        if fault?.fires(.crash, rank: comm.rank, step: step) == true { kill(getpid(), SIGKILL) }
        communicationSeconds = 0
        fisherSeconds = FisherSeconds()
        machine.store.zeroGradients()
        if let fixed {
            try reproducibleGradients(fixed)
        } else {
            let mine = evenShare(of: B, rank: comm.rank, size: comm.size)
            let dreams = evenShare(of: D, rank: comm.rank, size: comm.size)
            var share = self.share(examples: mine, dreams: dreams)
            statistics[0] = algorithm.wake(share)
            injectNaN()
            if comm.size > 1 { try checkFinite(summed: false) }  // name the rank that produced it
            // The generative gradients are final after the wake phase: reduce them while the
            // sleep phase computes the recognition network's.
            let pending = try timed { try comm.startAllreduceSum(machine.store.gradients.data, count: generativeCount) }
            share.progress = { _ = try? pending.test() }
            statistics[1] = algorithm.sleep(share)
            if comm.size > 1 { try checkFinite(summed: false) }  // a world of one: the check after the sum
            // nws/nrws on a recompute step: this rank's Fisher sums and samples, computed while
            // the generative gradients are in flight.
            let recompute = natural?.recomputes(at: step) == true
            if recompute { clock(\.statistics) { natural!.accumulateFisher(share) } }
            try timed {
                try comm.allreduceSum(machine.store.gradients.data + generativeCount, count: machine.store.count - generativeCount)
                if let wake = natural?.wakeGradients { try comm.allreduceSum(wake.data, count: wake.count) }
                try pending.wait()
            }
            if recompute, let natural {
                try clock(\.reduction) { try timed { try FisherReduction.reduce(natural.preconditioner, comm: comm) } }
                // --fisher-decay: the previous (global) sums are added after the reduction.
                clock(\.factor) { natural.decayFisher() }
                do { try clock(\.factor) { try natural.factorFisher(step: step) } } catch {
                    throw TrainingError(step: step, message: "the Fisher factors failed: \(error)")
                }
            }
        }
        statistics[2] = hm_preemption_signal() != 0 ? Double(hm_preemption_signal()) : 0
        try timed { try comm.allreduceSum(statistics.pointer, count: 3) }
        if statistics[2] > 0 { stopSignal = hm_preemption_signal() != 0 ? hm_preemption_signal() : Int32(SIGUSR1) }
        try checkFinite()
        if let natural {
            // Every rank holds the same summed gradient and the same statistics; each solves its
            // units, then all gather the whole natural gradient.
            clock(\.solve) { natural.applyPreconditioner() }
            try clock(\.gather) { try timed { try solvedGather.run(natural.preconditioner, comm: comm) } }
            try checkFinite(natural: true)
        }
        optimizer.step(parameters: machine.store.values, gradients: machine.store.gradients)
        step += 1
        return (statistics[0] / Double(B), statistics[1] / Double(D))
    }

    /// The share of the step for the given global example and dream ranges, x filled.
    func share(examples: Range<Int>, dreams: Range<Int>) -> StepShare {
        let first = (step % stepsPerEpoch) * settings.batch
        x.setRows(examples.count)
        for (r, i) in examples.enumerated() { x.row(r).update(from: train.row(order[first + i]), count: x.cols) }
        return StepShare(x: x, firstExample: examples.lowerBound, globalBatch: settings.batch, dreams: dreams.count,
                         firstDream: dreams.lowerBound, globalDreams: settings.dreams, step: step, seed: settings.seed)
    }

    /// `--reproducible`: each micro-block's gradient is computed alone, turned into integer
    /// fixed point and added exactly; integer allreduce is exact too. So the sum is the same
    /// bits for any world size. nws/nrws: the micro-blocks' Fisher statistics likewise
    /// (`FisherFixedPoint`), so the factors are the same bits too.
    func reproducibleGradients(_ fixed: FixedPointSum) throws {
        let M = Trainer.microBlocks, B = settings.batch, D = settings.dreams
        fixed.zero()
        fixedWake?.zero()
        statistics[0] = 0
        statistics[1] = 0
        let gradients = machine.store.gradients
        // nws/nrws on a recompute step: each micro-block's Fisher statistics too, exactly summed.
        let fisher = natural?.recomputes(at: step) == true ? FisherFixedPoint() : nil
        for block in evenShare(of: M, rank: comm.rank, size: comm.size) {
            let share = self.share(examples: evenShare(of: B, rank: block, size: M),
                                   dreams: evenShare(of: D, rank: block, size: M))
            gradients.fill(0)
            statistics[0] += algorithm.wake(share)
            statistics[1] += algorithm.sleep(share)
            injectNaN()
            try checkFinite(summed: false)
            fixed.add(gradients)
            if let fixedWake, let wake = natural?.wakeGradients { fixedWake.add(wake) }
            if let fisher, let natural {
                natural.accumulateFisher(share)
                fisher.add(natural.preconditioner)
            }
        }
        try timed { try comm.allreduceSum(fixed.sums, count: machine.store.count) }
        fixed.store(into: gradients)
        if let fixedWake, let wake = natural?.wakeGradients {
            try timed { try comm.allreduceSum(fixedWake.sums, count: fixedWake.count) }
            fixedWake.store(into: wake)
        }
        if let fisher, let natural {
            try timed { try fisher.reduce(into: natural.preconditioner, comm: comm) }
            // --fisher-decay: ρ·previous added in float64 after the exact sum, the same bits on
            // every rank and world size (the previous sums are those bits by induction).
            natural.decayFisher()
            do { try natural.factorFisher(step: step) } catch {
                throw TrainingError(step: step, message: "the Fisher factors failed: \(error)")
            }
        }
    }

    func injectNaN() {
        if fault?.fires(.nan, rank: comm.rank, step: step) == true { machine.store.gradients.data[0] = .nan }
    }

    @discardableResult
    func timed<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = Date()
        defer { communicationSeconds += Date().timeIntervalSince(t0) }
        return try body()
    }

    /// A NaN or infinity in the gradient stops the run; it is never applied.
    func checkFinite(summed: Bool = true, natural: Bool = false) throws {
        if !natural, let wake = self.natural?.wakeGradients, wake.hasNonFinite {
            throw TrainingError(step: step, message: "the \(summed ? "summed " : "")wake-q term of the recognition gradient is not finite\(summed ? "" : " on rank \(comm.rank)"); the step was not applied")
        }
        guard machine.store.gradients.hasNonFinite else { return }
        let bad = machine.store.entries.first { e in
            (0..<e.count).contains { !machine.store.gradients.data[e.offset + $0].isFinite }
        }
        throw TrainingError(step: step, message: "the \(natural ? "natural (preconditioned) " : summed ? "summed " : "")gradient of \(bad?.name ?? "a tensor") is not finite\(summed ? "" : " on rank \(comm.rank)"); the step was not applied")
    }

    /// Mean importance-sampled log-likelihood of `data` with K samples, split across ranks.
    public func evaluate(_ data: Matrix, samples: Int) throws -> Double {
        let mine = evenShare(of: data.rows, rank: comm.rank, size: comm.size)
        let part = Matrix(view: data.row(mine.lowerBound), rows: mine.count, cols: data.cols, owner: data)
        let lls = ImportanceLogLikelihood(samples: samples, seed: settings.seed ^ 0x5EED)
            .logLikelihoods(machine, data: part, firstIndex: mine.lowerBound)
        var sum = [lls.reduce(0, +)]
        try sum.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: 1) }
        return sum[0] / Double(data.rows)
    }
}

/// Exact sums of float gradients in int64 fixed point (2^40 per unit; mean gradients of
/// Bernoulli layers are bounded by 1 in magnitude, leaving 2^22 of headroom).
final class FixedPointSum {
    static let scale = 0x1p40
    let sums: UnsafeMutablePointer<Int64>
    let count: Int

    init(count: Int) {
        self.count = count
        sums = .allocate(capacity: max(count, 1))
        zero()
    }

    deinit { sums.deallocate() }

    func zero() { sums.update(repeating: 0, count: count) }
    func add(_ g: Matrix) { hm_accumulate_fixed(g.data, sums, Int64(count), FixedPointSum.scale) }
    func store(into g: Matrix) { hm_from_fixed(sums, g.data, Int64(count), FixedPointSum.scale) }
}

public struct TrainingError: Error, CustomStringConvertible {
    public let step: Int
    public let message: String
    public var description: String { "step \(step): \(message)" }
}
