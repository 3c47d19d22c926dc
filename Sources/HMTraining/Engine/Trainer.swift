import CKernels
import Foundation
import HMAlgorithms
import HMComm
import HMCore
import HMData

/// Builds an algorithm for a machine, given one rank's largest share of a step's points and dreams.
public typealias AlgorithmFactory = (HelmholtzMachine, _ batch: Int, _ dreams: Int) throws -> TrainingAlgorithm

/// Data-parallel training of one machine: every rank holds the full parameters, takes its
/// share of each step's global batch and dreams, and applies the same optimizer step to the
/// gradients summed across ranks. One step sequence for every algorithm (`TrainingAlgorithm`
/// says what travels and when) and every reducer (floating point, or exact with
/// `--reproducible`).
public final class Trainer {
    public let config: TrainingConfig
    public let machine: HelmholtzMachine
    public let algorithm: TrainingAlgorithm
    public let optimizer: Optimizer
    public let comm: Communicator
    public let fault: FaultInjection?
    let train: Matrix
    /// Each training example's label (−1: not given), when the algorithm takes them.
    let labels: [Int]?
    let x: Matrix
    let reducer: Reducer
    let segments = SegmentGather()
    /// The machine's gradients as exchanges, for the check after `finishGradients`.
    let gradients: [Exchange]
    /// Per step, summed across ranks: wake bound, sleep log q, whether any rank received a
    /// preemption signal (so that every rank stops at the same step boundary), the free
    /// energy, and the number of shares that had no free energy to report.
    let statistics = DoubleBuffer(5)
    var order: [Int] = []
    var orderEpoch = -1

    public let stepsPerEpoch: Int
    public let totalSteps: Int
    /// The learning rate of each step, over `totalSteps`.
    public let schedule: LearningRateSchedule
    /// The next step to run (0-based); also the step field of its random draws.
    public var step = 0
    /// Set when a rank received SIGUSR1 or SIGTERM: the step boundary where all agreed to stop.
    public private(set) var stopSignal: Int32?
    /// Where the last step's time went besides the wake and sleep phases.
    public struct Phases: Sendable {
        /// The algorithm's `statistics` of its shares.
        public var statistics = 0.0
        /// The sum across ranks of the `.statistics` exchanges.
        public var reduction = 0.0
        /// `afterExchange` (factors).
        public var factor = 0.0
        /// `finishGradients` (solves).
        public var solve = 0.0
        /// The gathering of the ranks' `ownedSegments`.
        public var gather = 0.0
        public var total: Double { statistics + reduction + factor + solve + gather }
    }
    public private(set) var phases = Phases()
    /// Whether the algorithm's `finishGradients` has changed the summed gradients: the bench
    /// then reports the phases.
    public private(set) var transformsGradients = false
    /// Seconds the last step spent waiting on communication.
    public private(set) var communicationSeconds = 0.0
    /// Whether each step records its `timeline` (off: no clock is read for it).
    public var recordsTimeline = false
    /// The last step's phases on this rank, when `recordsTimeline` is on.
    public private(set) var timeline: StepTimeline?

    /// Micro-blocks of the global batch (and of the dreams) in `--reproducible` mode: each rank
    /// takes whole blocks, so the blocks — and their sums — do not depend on the world size.
    public static let microBlocks = 10

    /// The algorithms of `--algorithm`.
    public static func catalog(_ config: TrainingConfig, context: AlgorithmContext = AlgorithmContext()) -> AlgorithmFactory {
        { machine, batch, dreams in try AlgorithmCatalog.make(config.algorithm, machine: machine, batch: batch, dreams: dreams, context: context) }
    }

    /// What the catalog's algorithms take from the run: with `--active-sampling`, the
    /// training data as the first pool and the rule.
    static func context(_ config: TrainingConfig, train: Matrix) throws -> AlgorithmContext {
        let stepsPerEpoch = max(train.rows / config.batch, 1)
        guard let spec = config.activeSampling else { return AlgorithmContext(stepsPerEpoch: stepsPerEpoch) }
        let rule: PatternRule
        do { rule = try PatternRule(spec: spec) } catch let e as DataError {
            throw ConfigError(path: "command line", field: "active-sampling", e.message)
        }
        return AlgorithmContext(data: train, rule: rule.accepts, stepsPerEpoch: stepsPerEpoch)
    }

    public init(config: TrainingConfig, machine: HelmholtzMachine, train: Matrix, labels: [Int]? = nil, comm: Communicator,
                fault: FaultInjection? = nil, algorithm make: AlgorithmFactory? = nil) throws {
        guard config.batch <= train.rows else {
            throw ConfigError(path: config.data, field: "batch", "the global batch \(config.batch) is larger than the \(train.rows) training examples")
        }
        let M = Trainer.microBlocks, smallest = min(config.batch, config.dreams)
        if config.reproducible {
            guard smallest >= M, comm.size <= M else {
                throw ConfigError(path: "command line", field: "reproducible", "--reproducible splits the batch and the dreams into \(M) micro-blocks: both must be at least \(M), and the world size (\(comm.size)) at most \(M)")
            }
        } else {
            guard smallest >= comm.size else {
                throw ConfigError(path: "command line", field: "batch", "the global batch and dreams (\(config.batch), \(config.dreams)) must be at least the world size \(comm.size)")
            }
        }
        if let fault, fault.rank >= comm.size {
            throw ConfigError(path: "environment", field: FaultInjection.variable, "rank \(fault.rank) is outside the world of \(comm.size) ranks: the fault would never fire")
        }
        self.config = config
        self.machine = machine
        self.train = train
        self.labels = labels
        self.comm = comm
        self.fault = fault
        let localBatch = (config.batch + comm.size - 1) / comm.size
        let localDreams = (config.dreams + comm.size - 1) / comm.size
        x = Matrix(rows: localBatch, cols: machine.widths[0])
        do {
            algorithm = try (make ?? Trainer.catalog(config, context: Trainer.context(config, train: train)))(machine, localBatch, localDreams)
        } catch let error as AlgorithmCatalog.Unavailable {
            throw ConfigError(path: "command line", field: "algorithm", "\(error)")
        }
        algorithm.prepare(TrainingWorld(rank: comm.rank, size: comm.size, globalBatch: config.batch, globalDreams: config.dreams))
        optimizer = config.optimizer == .sgd
            ? SGD(count: machine.store.count, learningRate: Float(config.lr), momentum: Float(config.momentum))
            : Adam(count: machine.store.count, learningRate: Float(config.lr))
        gradients = Exchange.gradients(of: machine)
        reducer = config.reproducible ? ExactReducer(comm: comm, microBlocks: M) : PlainReducer(comm: comm)
        stepsPerEpoch = train.rows / config.batch
        totalSteps = config.steps ?? (config.epochs ?? 1) * stepsPerEpoch
        schedule = LearningRateSchedule(shape: config.lrSchedule, base: config.lr, final: config.lrFinal,
                                        warmupSteps: config.warmupSteps, totalSteps: config.lrDecaySteps ?? totalSteps)
    }

    public var epoch: Int { step / stepsPerEpoch }
    public var samplesSeen: Int { step * config.batch }

    /// One training step; returns the means over the global batch and dreams of
    /// (importance-sampled bound on log p(x), log q(h′ | x′) of the dreams).
    @discardableResult
    public func runStep() throws -> (wakeBound: Double, sleepLogQ: Double, freeEnergy: Double?) {
        if epoch != orderEpoch {
            order = DataOrder.permutation(count: train.rows, seed: config.seed, epoch: epoch)
            orderEpoch = epoch
        }
        if fault?.fires(.throw, rank: comm.rank, step: step) == true {
            throw TrainingError(step: step, message: "injected fault (\(FaultInjection.variable))")
        }
        if fault?.fires(.crash, rank: comm.rank, step: step) == true { kill(getpid(), SIGKILL) }
        communicationSeconds = 0
        phases = Phases()
        timeline = recordsTimeline ? StepTimeline(step: step) : nil
        for i in [0, 1, 3, 4] { statistics[i] = 0 }
        // Values are checked before they travel when a rank can be named (or a block's are folded).
        let checkLocally = reducer.isExact || comm.size > 1
        var exchanges: [Exchange] = []
        reducer.begin()
        for part in reducer.shares(batch: config.batch, dreams: config.dreams) {
            machine.store.zeroGradients()
            var share = self.share(examples: part.examples, dreams: part.dreams)
            statistics[0] += phase(.wake) { algorithm.wake(share) }
            if let f = algorithm.wakeFreeEnergy { statistics[3] += f } else { statistics[4] += 1 }
            if fault?.fires(.nan, rank: comm.rank, step: step) == true { machine.store.gradients.data[0] = .nan }
            if reducer.overlapsSleep {
                let early = algorithm.exchanges(step: step)
                if comm.size > 1 { try checkFinite(early.filter { $0.timing == .duringSleep }, summed: false) }
                let pending = try phase(.startExchange) { try timed { try reducer.afterWake(early) } }
                share.progress = { _ = try? pending?.test() }
            }
            statistics[1] += phase(.sleep) { algorithm.sleep(share) }
            phase(.statistics) { clock(\.statistics) { algorithm.statistics(share) } }
            exchanges = algorithm.exchanges(step: step)
            if checkLocally { try checkFinite(exchanges, summed: false) }
            try phase(.absorb) { try failing { try reducer.absorb(exchanges) } }
        }
        try phase(.reduce) { try failing { try timed { try reducer.finish(exchanges, timings: [.duringSleep, .afterPhases]) } } }
        if exchanges.contains(where: { $0.timing == .statistics }) {
            try phase(.reduceStatistics) {
                try failing { try clock(\.reduction) { try timed { try reducer.finish(exchanges, timings: [.statistics]) } } }
            }
        }
        try phase(.factor) { try failing { try clock(\.factor) { try algorithm.afterExchange(step: step) } } }
        statistics[2] = hm_preemption_signal() != 0 ? Double(hm_preemption_signal()) : 0
        try phase(.stepSums) { try timed { try comm.allreduceSum(statistics.pointer, count: 5) } }
        if statistics[2] > 0 { stopSignal = hm_preemption_signal() != 0 ? hm_preemption_signal() : Int32(SIGUSR1) }
        try checkFinite(exchanges, summed: true)
        // Every rank holds the same sums; with a split, each computes its part, then all gather.
        let changed = phase(.solve) { clock(\.solve) { algorithm.finishGradients(step: step) } }
        try phase(.gather) { try clock(\.gather) { try timed { try segments.run(algorithm, comm: comm) } } }
        transformsGradients = transformsGradients || changed
        if changed { try checkFinite(gradients, summed: true, transformed: true) }
        optimizer.learningRate = Float(schedule.rate(atStep: step))
        phase(.optimizer) { optimizer.step(parameters: machine.store.values, gradients: machine.store.gradients) }
        timeline?.close()
        step += 1
        return (statistics[0] / Double(config.batch), statistics[1] / Double(config.dreams),
                statistics[4] > 0 ? nil : statistics[3] / Double(config.batch))
    }

    /// The share of the step for the given global example and dream ranges, x filled.
    func share(examples: Range<Int>, dreams: Range<Int>) -> StepShare {
        let first = (step % stepsPerEpoch) * config.batch
        x.setRows(examples.count)
        for (r, i) in examples.enumerated() { x.row(r).update(from: train.row(order[first + i]), count: x.cols) }
        var share = StepShare(x: x, firstExample: examples.lowerBound, globalBatch: config.batch, dreams: dreams.count,
                              firstDream: dreams.lowerBound, globalDreams: config.dreams, step: step, seed: config.seed)
        share.labels = labels.map { y in examples.map { y[order[first + $0]] } }
        return share
    }

    /// An algorithm's or a reducer's own failure, tied to the step.
    func failing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as AlgorithmStateError {
            throw TrainingError(step: step, message: e.description)
        } catch let e as FixedPointOverflow {
            throw TrainingError(step: step, message: e.message)
        }
    }

    @discardableResult
    func timed<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = Date()
        defer { communicationSeconds += Date().timeIntervalSince(t0) }
        return try body()
    }

    /// Runs one phase of the step, on the timeline when one is recorded.
    func phase<T>(_ p: StepPhase, _ body: () throws -> T) rethrows -> T {
        guard let start = timeline?.now() else { return try body() }
        defer { timeline?.add(p, from: start) }
        return try body()
    }

    func clock<T>(_ part: WritableKeyPath<Phases, Double>, _ body: () throws -> T) rethrows -> T {
        let t0 = Date()
        defer { phases[keyPath: part] += Date().timeIntervalSince(t0) }
        return try body()
    }

    /// A NaN or infinity in a gradient stops the run; it is never applied.
    func checkFinite(_ exchanges: [Exchange], summed: Bool, transformed: Bool = false) throws {
        for e in exchanges where e.timing != .statistics {
            guard case .floats(let p, let n) = e.payload, hm_has_nonfinite(p, Int64(n)) != 0 else { continue }
            let i = (0..<n).first { !p[$0].isFinite } ?? 0
            let what = transformed ? "final (\(algorithm.name)-transformed) " : summed ? "summed " : ""
            throw TrainingError(step: step, message: "the \(what)\(e.label(i)) is not finite\(summed ? "" : " on rank \(comm.rank)"); the step was not applied")
        }
    }

    /// Mean importance-sampled log-likelihood of `data` with K samples, split across ranks.
    public func evaluate(_ data: Matrix, samples: Int) throws -> Double {
        let mine = evenShare(of: data.rows, rank: comm.rank, size: comm.size)
        let part = Matrix(view: data.row(mine.lowerBound), rows: mine.count, cols: data.cols, owner: data)
        let lls = ImportanceLogLikelihood(samples: samples, seed: config.seed ^ 0x5EED)
            .logLikelihoods(machine, data: part, firstIndex: mine.lowerBound)
        var sum = [lls.reduce(0, +)]
        try sum.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: 1) }
        return sum[0] / Double(data.rows)
    }
}

public struct TrainingError: Error, CustomStringConvertible {
    public let step: Int
    public let message: String
    public var description: String { "step \(step): \(message)" }
}
