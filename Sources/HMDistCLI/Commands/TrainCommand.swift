import ArgumentParser
import CKernels
import Foundation
import HMCheckpoint
import HMComm
import HMCore
import HMData

/// `hm-dist train`: the flags of DESIGN §6; each overrides the same key of `--config`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a Helmholtz machine.")

    @Option(help: "YAML file with the same keys as these flags (flags win).") var config: String?
    @Option(help: "IDX directory or images file, or a built-in set: digits, bars, bars:N.") var data: String?
    @Option(help: "Real-valued data to 0/1: none, threshold or stochastic.") var binarize: String?
    @Option(help: "Layer widths, data first, e.g. 784,200,200,10.") var layers: String?
    @Option(help: "ws, rws, nws or nrws (ddc in a later version).") var algorithm: String?
    @Option(help: "Importance samples K per data point (rws).") var samples: Int?
    @Option(help: "Global batch size (split across ranks).") var batch: Int?
    @Option(help: "Dreams per step for the sleep phase (default: the batch size).") var dreams: Int?
    @Option(help: "adam or sgd (with momentum).") var optimizer: String?
    @Option(help: "Learning rate.") var lr: Double?
    @Option(help: "SGD momentum.") var momentum: Double?
    @Option(help: "Total epochs.") var epochs: Int?
    @Option(help: "Total steps (instead of epochs).") var steps: Int?
    @Option(help: "Seed of every random draw of the run.") var seed: UInt64?
    @Option(name: .customLong("run-dir"), help: "Directory of the run: config.yaml, metrics.jsonl, checkpoints/.") var runDir: String?
    @Option(name: .customLong("checkpoint-every"), help: "Save a checkpoint every S steps (0: only at the end).") var checkpointEvery: Int?
    @Option(help: "Committed checkpoints kept.") var keep: Int?
    @Option(help: "never, auto (newest good checkpoint of --run-dir) or a checkpoint path.") var resume: String?
    @Option(help: "Ranks as threads of this process (single-node test mode).") var ranks: Int?
    @Option(help: "BLAS threads per rank.") var threads: Int?
    @Flag(help: "World-size-independent results, bit for bit.") var reproducible = false
    @Option(name: .customLong("eval-every"), help: "Estimate the validation log-likelihood every S steps (0: only at the end).") var evalEvery: Int?
    @Option(name: .customLong("eval-samples"), help: "Importance samples for the validation estimate.") var evalSamples: Int?
    @Option(name: .customLong("eval-split"), help: "valid or test: the split of those estimates (default valid).") var evalSplit: String?
    @Option(name: .customLong("log-every"), help: "Progress line and metrics record every S steps.") var logEvery: Int?
    @Option(name: .customLong("zstd-level"), help: "zstd level of checkpoint shards (default 1).") var zstdLevel: Int?
    @Option(help: "nws/nrws: damping α of the solve (F + αI)⁻¹g (default 0.01).") var damping: Double?
    @Option(name: .customLong("damping-final"), help: "nws/nrws: α at the end of the damping schedule (default: --damping, constant).") var dampingFinal: Double?
    @Option(name: .customLong("damping-steps"), help: "nws/nrws: steps over which α moves geometrically from --damping to --damping-final.") var dampingSteps: Int?
    @Option(name: .customLong("fisher-every"), help: "nws/nrws: recompute the Fisher statistics and factors every k steps (default 10).") var fisherEvery: Int?
    @Option(name: .customLong("fisher-decay"), help: "nws/nrws: running average of the direct layers' Fisher blocks, ρ·previous + new on each recompute (0 ≤ ρ < 1; default 0: off).") var fisherDecay: Double?

    func run() throws {
        try reportingErrors("train") { try train() }
    }

    var flags: RunConfig {
        get throws {
            var c = RunConfig()
            c.data = data; c.binarize = binarize; c.algorithm = algorithm; c.samples = samples
            c.batch = batch; c.dreams = dreams; c.optimizer = optimizer; c.lr = lr; c.momentum = momentum
            c.epochs = epochs; c.steps = steps; c.seed = seed; c.runDir = runDir
            c.checkpointEvery = checkpointEvery; c.keep = keep; c.resume = resume; c.ranks = ranks
            c.threads = threads; c.reproducible = reproducible ? true : nil; c.evalEvery = evalEvery
            c.evalSamples = evalSamples; c.evalSplit = evalSplit; c.logEvery = logEvery; c.zstdLevel = zstdLevel
            c.damping = damping; c.dampingFinal = dampingFinal; c.dampingSteps = dampingSteps; c.fisherEvery = fisherEvery; c.fisherDecay = fisherDecay
            if let layers {
                let widths = layers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !widths.contains(nil) else {
                    throw ConfigError(path: "command line", field: "layers", "expected comma-separated widths like 784,200,200,10, found \(layers)")
                }
                c.layers = widths.map { $0! }
            }
            return c
        }
    }

    /// The exit status of a run stopped by SIGUSR1/SIGTERM after committing a checkpoint:
    /// launch scripts requeue on it (sysexits' EX_TEMPFAIL).
    static let preemptedStatus: Int32 = 75

    /// Seconds from SIGUSR1/SIGTERM until the process ends even if it could not checkpoint
    /// (`HM_DIST_STOP_TIMEOUT`, default 25: below Slurm's default KillWait of 30 s).
    static var stopTimeout: UInt32 {
        ProcessInfo.processInfo.environment["HM_DIST_STOP_TIMEOUT"].flatMap(UInt32.init) ?? 25
    }

    func train() throws {
        hm_install_preemption_handlers(TrainCommand.stopTimeout)
        let fromFile = try config.map(RunConfig.load(path:)) ?? RunConfig()
        let settings = try Settings(fromFile.overridden(by: flags), source: config ?? "command line")
        let fault = try FaultInjection.fromEnvironment()
        BLASKernel.setThreads(settings.threads)
        if let launcher = MPICommunicator.expectedWorldSize() {
            guard settings.ranks == 1 else {
                throw ConfigError(path: "command line", field: "ranks", "--ranks runs ranks as threads of one process; under \(launcher.source) use the launcher's rank count instead")
            }
            try trainUnderMPI(settings, fault: fault, expected: launcher)
        } else if settings.ranks > 1 {
            let data = try TrainingData(settings)
            let outcomes = try InProcessWorld.run(size: settings.ranks) { comm in
                try TrainingRun(settings: settings, comm: comm, data: data, fault: fault).run()
            }
            try exit(outcomes[0])
        } else {
            try exit(TrainingRun(settings: settings, comm: SingleProcessCommunicator(), data: try TrainingData(settings), fault: fault).run())
        }
    }

    /// Under mpirun/srun: a world-size mismatch is refused, and an error on any rank aborts
    /// the whole job with that rank's message (MPI_Abort), so nothing hangs.
    func trainUnderMPI(_ settings: Settings, fault: FaultInjection?, expected: (size: Int, source: String)) throws {
        let comm = try MPICommunicator()
        guard comm.size == expected.size else {
            comm.abort("the launcher asked for \(expected.size) ranks (\(expected.source)) but MPI reports a world of \(comm.size): is this an MPI-enabled launch (mpirun, or srun --mpi=pmix)?", code: 2)
        }
        let outcome: TrainingRun.Outcome
        do {
            outcome = try TrainingRun(settings: settings, comm: comm, data: try TrainingData(settings), fault: fault).run()
        } catch {
            comm.abort("hm-dist train: error on rank \(comm.rank): \(error)", code: 1)
        }
        try comm.finalize()
        try exit(outcome)
    }

    func exit(_ outcome: TrainingRun.Outcome) throws {
        if case .preempted = outcome { throw ExitCode(TrainCommand.preemptedStatus) }
    }
}
