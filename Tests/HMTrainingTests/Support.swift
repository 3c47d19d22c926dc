import Foundation
import HMAlgorithms
import HMComm
import HMCore
import HMTraining

/// A configuration from option values, as the command line would give them.
func config(_ options: [String: String]) throws -> TrainingConfig {
    try TrainingOptions.resolve(options.sorted { $0.key < $1.key }.map { ($0.key, .text($0.value), "test") })
}

/// The small model the engine tests train: digits through 64-16-8, 20 points a step.
func small(_ algorithm: String, steps: Int = 12, extra: [String: String] = [:]) throws -> TrainingConfig {
    try config(["data": "digits", "layers": "64,16,8", "batch": "20", "algorithm": algorithm, "steps": "\(steps)",
                "seed": "3", "log-every": "1000", "fisher-every": "3"].merging(extra) { $1 })
}

let digits = try! TrainingData(small("rws"))

/// Trains `config` for its steps on `ranks` in-process ranks through the engine alone and
/// returns every rank's final parameters.
func trainDirectly(_ c: TrainingConfig, ranks: Int, algorithm: AlgorithmFactory? = nil) throws -> [[Float]] {
    try InProcessWorld.run(size: ranks) { comm in
        let machine = HelmholtzMachine(c.model(dataWidth: 64, imageShape: [8, 8]))
        if comm.rank == 0 { machine.initialize(seed: c.seed) }
        try comm.broadcast(UnsafeMutableRawPointer(machine.store.values.data), bytes: machine.store.count * 4, root: 0)
        let trainer = try Trainer(config: c, machine: machine, train: digits.train, comm: comm, algorithm: algorithm)
        while trainer.step < trainer.totalSteps { try trainer.runStep() }
        return machine.store.values.array
    }
}

/// Runs `TrainingRun` (checkpoints, resume, metrics) on `ranks` in-process ranks.
@discardableResult
func run(_ c: TrainingConfig, ranks: Int, algorithm: AlgorithmFactory? = nil, fault: FaultInjection? = nil) throws -> TrainingRun.Outcome {
    try InProcessWorld.run(size: ranks) { comm in
        try TrainingRun(config: c, comm: comm, data: digits, fault: fault, algorithm: algorithm).run()
    }[0]
}

/// A fault on an early step: a resumed run that really resumes never reaches it.
let failsBeforeTheResumePoint = FaultInjection(rank: 0, step: 2, kind: .throw)
