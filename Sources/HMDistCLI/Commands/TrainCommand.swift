import ArgumentParser
import CKernels
import Foundation
import HMComm
import HMCore
import HMPlatform
import HMReport
import HMTraining

/// `hm-dist train`: every option comes from `TrainingOptions` (one declaration feeds the flag,
/// the YAML key, `config.yaml` and this help); a flag overrides the same key of `--config`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a Helmholtz machine.",
        discussion: "OPTIONS (each also a key of --config YAML, e.g. `checkpoint-every: 500`):\n"
            + TrainingOptions.all.map { o in
                "  --\(o.key)\(o.value.map { " \($0)" } ?? "")\n      \(o.help)"
            }.joined(separator: "\n"))

    @Option(help: "YAML file with the keys of the options below (flags win).") var config: String?
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The options below, e.g. --layers 784,200,200,10 --algorithm rws.", valueName: "option"))
    var options: [String] = []

    func run() throws {
        try reportingErrors("train") { try train() }
    }

    /// The flags as (key, value, source): `--key value`, `--key=value`, or `--flag`.
    static func flags(_ arguments: [String]) throws -> [(key: String, input: OptionInput, source: String)] {
        var out: [(key: String, input: OptionInput, source: String)] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            guard a.hasPrefix("--") else {
                throw ConfigError(path: "command line", field: a, "unexpected argument; options are --key value (see hm-dist train --help)")
            }
            let body = String(a.dropFirst(2))
            let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0]
            guard !key.isEmpty else {
                throw ConfigError(path: "command line", field: a, "expected an option name after --")
            }
            guard let option = TrainingOptions.option(key) else {
                throw ConfigError(path: "command line", field: "--\(key)", "is not an option of train; expected one of \(TrainingOptions.all.map { "--" + $0.key }.joined(separator: ", "))")
            }
            if option.value == nil {
                guard parts.count == 1 else { throw ConfigError(path: "command line", field: "--\(key)", "takes no value") }
                out.append((key, .text("true"), "command line"))
            } else if parts.count == 2 {
                out.append((key, .text(parts[1]), "command line"))
            } else {
                guard i + 1 < arguments.count else { throw ConfigError(path: "command line", field: "--\(key)", "expects a value (\(option.value!))") }
                i += 1
                out.append((key, .text(arguments[i]), "command line"))
            }
            i += 1
        }
        return out
    }

    /// Seconds from SIGUSR1/SIGTERM until the process ends even if it could not checkpoint
    /// (`HM_DIST_STOP_TIMEOUT`, default 25: below Slurm's default KillWait of 30 s).
    static var stopTimeout: UInt32 {
        ProcessInfo.processInfo.environment["HM_DIST_STOP_TIMEOUT"].flatMap(UInt32.init) ?? 25
    }

    func train() throws {
        hm_install_preemption_handlers(TrainCommand.stopTimeout)
        let fromFile = try config.map(ConfigFile.load(path:)) ?? []
        let settings = try TrainingOptions.resolve(fromFile + Self.flags(options))
        let fault = try FaultInjection.fromEnvironment()
        if settings.reportEvery > 0 && settings.runDir == nil {
            throw ConfigError(path: "command line", field: "report-every", "writes RUN/report.html: expected --run-dir too")
        }
        BLASKernel.setThreads(settings.threads)
        RowParallel.threads = settings.threads
        if let launcher = MPICommunicator.expectedWorldSize() {
            guard settings.ranks == 1 else {
                throw ConfigError(path: "command line", field: "ranks", "--ranks runs ranks as threads of one process; under \(launcher.source) use the launcher's rank count instead")
            }
            try trainUnderMPI(settings, fault: fault, expected: launcher)
        } else if settings.ranks > 1 {
            let data = try TrainingData(settings)
            let outcomes = try InProcessWorld.run(size: settings.ranks) { comm in
                try Self.run(settings, comm: comm, data: data, fault: fault)
            }
            try exit(outcomes[0])
        } else {
            try exit(Self.run(settings, comm: SingleProcessCommunicator(), data: try TrainingData(settings), fault: fault))
        }
    }

    /// Under mpirun/srun: a world-size mismatch is refused, and an error on any rank aborts
    /// the whole job with that rank's message (MPI_Abort), so nothing hangs.
    func trainUnderMPI(_ settings: TrainingConfig, fault: FaultInjection?, expected: (size: Int, source: String)) throws {
        let comm = try MPICommunicator()
        guard comm.size == expected.size else {
            comm.abort("the launcher asked for \(expected.size) ranks (\(expected.source)) but MPI reports a world of \(comm.size): is this an MPI-enabled launch (mpirun, or srun --mpi=pmix)?", code: 2)
        }
        let outcome: TrainingRun.Outcome
        do {
            outcome = try Self.run(settings, comm: comm, data: try TrainingData(settings), fault: fault)
        } catch {
            comm.abort("hm-dist train: error on rank \(comm.rank): \(error)", code: 1)
        }
        try comm.finalize()
        try exit(outcome)
    }

    /// One rank's run: a plain run, or `--grow`'s stages (whose page is refreshed at the end only).
    static func run(_ settings: TrainingConfig, comm: Communicator, data: TrainingData, fault: FaultInjection?) throws -> TrainingRun.Outcome {
        let refresh = reportRefresh(settings)
        guard !settings.grow else {
            let outcome = try GrowthRun(config: settings, comm: comm, data: data, fault: fault).run()
            if comm.rank == 0 { refresh?() }
            return outcome
        }
        var run = TrainingRun(config: settings, comm: comm, data: data, fault: fault)
        run.refreshReport = refresh
        return try run.run()
    }

    /// `--report-every`: rewrites `RUN/report.html` (atomically). A page that cannot be
    /// written is a warning, never the end of the training.
    static func reportRefresh(_ settings: TrainingConfig) -> (() -> Void)? {
        guard settings.reportEvery > 0, let dir = settings.runDir else { return nil }
        return {
            do { try Report.write([dir], to: dir + "/report.html") } catch {
                FileHandle.standardError.write(Data("hm-dist train: warning: report not refreshed: \(error)\n".utf8))
            }
        }
    }

    func exit(_ outcome: TrainingRun.Outcome) throws {
        if case .preempted = outcome { throw ExitCode(TrainingRun.preemptedStatus) }
    }
}
