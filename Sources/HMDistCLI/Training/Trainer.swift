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
    public let optimizer: Optimizer
    public let comm: Communicator
    let train: Matrix
    let x: Matrix
    let statistics = DoubleBuffer(2)
    var order: [Int] = []
    var orderEpoch = -1

    public let stepsPerEpoch: Int
    public let totalSteps: Int
    /// The next step to run (0-based); also the step field of its random draws.
    public var step = 0

    public init(settings: Settings, machine: HelmholtzMachine, train: Matrix, comm: Communicator) throws {
        guard settings.batch <= train.rows else {
            throw ConfigError(path: settings.data, field: "batch", "the global batch \(settings.batch) is larger than the \(train.rows) training examples")
        }
        guard settings.batch >= comm.size, settings.dreams >= comm.size else {
            throw ConfigError(path: "command line", field: "batch", "the global batch and dreams (\(settings.batch), \(settings.dreams)) must be at least the world size \(comm.size)")
        }
        self.settings = settings
        self.machine = machine
        self.train = train
        self.comm = comm
        let localBatch = (settings.batch + comm.size - 1) / comm.size
        let localDreams = (settings.dreams + comm.size - 1) / comm.size
        x = Matrix(rows: localBatch, cols: machine.widths[0])
        algorithm = try Trainer.algorithm(settings, machine: machine, batch: localBatch, dreams: localDreams)
        optimizer = settings.optimizer == "sgd"
            ? SGD(count: machine.store.count, learningRate: Float(settings.lr), momentum: Float(settings.momentum))
            : Adam(count: machine.store.count, learningRate: Float(settings.lr))
        stepsPerEpoch = train.rows / settings.batch
        totalSteps = settings.steps ?? (settings.epochs ?? 1) * stepsPerEpoch
    }

    static func algorithm(_ s: Settings, machine: HelmholtzMachine, batch: Int, dreams: Int) throws -> TrainingAlgorithm {
        switch s.algorithm {
        case .ws: return WakeSleep(machine: machine, batch: batch, dreams: dreams)
        case .rws: return ReweightedWakeSleep(machine: machine, batch: batch, samples: s.samples, dreams: dreams)
        case .nws, .nrws, .ddc:
            throw ConfigError(path: "command line", field: "algorithm", "\(s.algorithm.rawValue) is not available in this version; use ws or rws")
        }
    }

    public var epoch: Int { step / stepsPerEpoch }
    public var samplesSeen: Int { step * settings.batch }

    /// One training step; returns the means over the global batch and dreams of
    /// (importance-sampled bound on log p(x), log q(h′ | x′) of the dreams).
    @discardableResult
    public func runStep() throws -> (wakeBound: Double, sleepLogQ: Double) {
        let B = settings.batch, D = settings.dreams, rank = comm.rank, size = comm.size
        if epoch != orderEpoch {
            order = DataOrder.permutation(count: train.rows, seed: settings.seed, epoch: epoch)
            orderEpoch = epoch
        }
        let mine = DataOrder.share(of: B, rank: rank, size: size)
        let dreams = DataOrder.share(of: D, rank: rank, size: size)
        let first = (step % stepsPerEpoch) * B
        x.setRows(mine.count)
        for (r, i) in mine.enumerated() { x.row(r).update(from: train.row(order[first + i]), count: x.cols) }

        machine.store.zeroGradients()
        let share = StepShare(x: x, firstExample: mine.lowerBound, globalBatch: B, dreams: dreams.count,
                              firstDream: dreams.lowerBound, globalDreams: D, step: step, seed: settings.seed)
        statistics[0] = algorithm.wake(share)
        statistics[1] = algorithm.sleep(share)
        try comm.allreduceSum(machine.store.gradients.data, count: machine.store.count)
        try comm.allreduceSum(statistics.pointer, count: 2)
        try checkFinite()
        optimizer.step(parameters: machine.store.values, gradients: machine.store.gradients)
        step += 1
        return (statistics[0] / Double(B), statistics[1] / Double(D))
    }

    /// A NaN or infinity in the summed gradient stops the run; it is never applied.
    func checkFinite() throws {
        guard machine.store.gradients.hasNonFinite else { return }
        let bad = machine.store.entries.first { e in
            (0..<e.count).contains { !machine.store.gradients.data[e.offset + $0].isFinite }
        }
        throw TrainingError(step: step, message: "the summed gradient of \(bad?.name ?? "a tensor") is not finite; the step was not applied")
    }

    /// Mean importance-sampled log-likelihood of `data` with K samples, split across ranks.
    public func evaluate(_ data: Matrix, samples: Int) throws -> Double {
        let mine = DataOrder.share(of: data.rows, rank: comm.rank, size: comm.size)
        let part = Matrix(view: data.row(mine.lowerBound), rows: mine.count, cols: data.cols, owner: data)
        let lls = ImportanceLogLikelihood(samples: samples, seed: settings.seed ^ 0x5EED)
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
