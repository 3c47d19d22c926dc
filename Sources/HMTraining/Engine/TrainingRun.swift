import Foundation
import HMCheckpoint
import HMAlgorithms
import HMComm
import HMCore
import HMData
import HMPlatform

/// One `train` invocation on one rank: model, optional resume, the step loop with its
/// metrics, held-out estimates and checkpoints, and the final model.
public struct TrainingRun {
    public let config: TrainingConfig
    public let comm: Communicator
    public let data: TrainingData
    public let fault: FaultInjection?
    /// The algorithm of the run (default: `--algorithm`'s).
    public let makeAlgorithm: AlgorithmFactory?
    /// A checkpoint of a smaller machine (fewer top units) that a new run starts from: its
    /// parameters are copied where the shapes overlap (`--grow`'s stages).
    public var widenFrom: String?
    /// Called on rank 0 every `--report-every` steps and at the end, to refresh the run's
    /// report page. A hook rather than a call: the report reads runs back through the engine's
    /// own types (checkpoints, config, data), so it depends on the engine, never the reverse.
    public var refreshReport: (() -> Void)?

    public init(config: TrainingConfig, comm: Communicator, data: TrainingData, fault: FaultInjection? = nil,
                algorithm: AlgorithmFactory? = nil) {
        self.config = config
        self.comm = comm
        self.data = data
        self.fault = fault
        makeAlgorithm = algorithm
    }

    /// The exit status of a run stopped by SIGUSR1/SIGTERM after committing a checkpoint:
    /// launch scripts requeue on it (sysexits' EX_TEMPFAIL).
    public static let preemptedStatus: Int32 = 75

    var isLeader: Bool { comm.rank == 0 }

    /// Prints on rank 0 only; the text is not even built on the other ranks.
    func say(_ text: @autoclosure () -> String) { if isLeader { print(text()); fflush(stdout) } }

    /// How a run ended: at its last step, or early on a preemption signal after checkpointing.
    public enum Outcome: Sendable { case finished, preempted(signal: Int32) }

    public func run() throws -> Outcome { try execute().outcome }

    /// The run, and its final held-out estimate (when the data has the split).
    public func execute() throws -> (outcome: Outcome, heldOut: Double?) {
        let data = self.data.dataset, train = self.data.train, held = self.data.held, split = config.evalSplit.rawValue
        let model = config.model(dataWidth: data.width, imageShape: [data.imageShape.rows, data.imageShape.cols])
        let widths = model.widths
        guard widths[0] == data.width else {
            throw ConfigError(path: config.data, field: "layers", "the first width must be the data's \(data.width) pixels (\(data.imageShape)), found \(widths[0])")
        }
        if let problem = model.problem { throw ConfigError(path: "command line", field: "layers", problem) }
        let hosts = try hostRanks()  // a collective: every rank takes part
        let mine = hosts.first { $0.ranks.contains(comm.rank) }!
        let memory = MemoryCheck(config: config, model: model, worldSize: comm.size)
        if let problem = try agree(memory.problem(ranksHere: mine.ranks.count, host: mine.host, available: MachineMemory.available())) {
            throw ConfigError(path: "command line", field: "layers", problem)
        }
        let machine = HelmholtzMachine(model)
        if isLeader {
            switch config.initialization {
            case .normal:
                let (means, variances) = Self.columnMoments(train)
                machine.initialize(seed: config.seed, pixelMeans: means, pixelVariances: variances)
            case .zero: machine.store.values.fill(0)
            }
        }
        // A resume restores the run's own parameters: the start it was made from is not needed.
        if let source = config.initFrom, resumePath(checkpoints: config.runDir.map { $0 + "/checkpoints" }) == nil {
            // Every rank reads the same verified checkpoint, so all fail alike or none does.
            let checkpoint = try CheckpointReader.load(source)
            let stored = try ModelCheckpoint.machine(from: checkpoint)
            guard stored.model.layers == model.layers else {
                throw ConfigError(path: checkpoint.directory, field: "init-from", "the checkpoint has layers \(Self.layerText(stored.model)), the run asks for \(Self.layerText(model))")
            }
            machine.copyParameters(from: stored)
            say("initialised from \(checkpoint.directory) (step \(checkpoint.manifest.step)): parameters only, the optimizer starts afresh")
        }
        if let source = widenFrom, resumePath(checkpoints: config.runDir.map { $0 + "/checkpoints" }) == nil {
            let checkpoint = try CheckpointReader.load(source)
            machine.copyOverlapping(from: try ModelCheckpoint.machine(from: checkpoint))
            say("grown from \(checkpoint.directory): its parameters, and the new units' initial ones")
        }
        try comm.broadcast(UnsafeMutableRawPointer(machine.store.values.data),
                           bytes: machine.store.count * MemoryLayout<Float>.stride, root: 0)
        let trainer = try Trainer(config: config, machine: machine, train: train, labels: self.data.trainLabels, comm: comm,
                                  fault: fault, algorithm: makeAlgorithm)

        let runDir = try config.runDir.map(RunDirectory.init)
        let resumed = try resume(trainer, runDir: runDir)
        if isLeader { try runDir?.writeConfig(config) }
        let metrics = try MetricsLog(path: isLeader ? runDir?.metrics : nil, append: resumed)
        let architecture = ModelCheckpoint.architecture(model)
        // The manifest names the algorithm that ran (one of `--algorithm`'s, or a library user's).
        var recorded = ConfigFile.json(config)
        if case .object(var o) = recorded { o["algorithm"] = .string(trainer.algorithm.name); recorded = .object(o) }

        say("hm-dist train: \(trainer.algorithm.name) on \(data.name) (\(data.trainCount) train, \(data.validCount) valid, \(data.width) pixels), layers \(model.layers.map { $0.kind == .bernoulli ? "\($0.width)" : "\($0.width):\($0.kind.rawValue)" }.joined(separator: "-"))\(config.algorithm.name.usesImportanceSamples ? ", K = \(config.algorithm.samples)" : ""), batch \(config.batch), \(config.dreams) dreams, \(config.optimizer.rawValue) lr \(config.lr)")
        let hostText = hosts.map { "\($0.host) (\($0.ranks.count == 1 ? "rank" : "ranks") \($0.ranks.map(String.init).joined(separator: ",")))" }
            .joined(separator: ", ")
        say("world size \(comm.size)\(config.reproducible ? " (reproducible: \(Trainer.microBlocks) fixed micro-blocks, fixed-point sums)" : ""); hosts: \(hostText); BLAS per rank: \(BLASKernel.info)")
        say("\(trainer.totalSteps) steps (\(trainer.stepsPerEpoch) per epoch)" + (resumed ? ", resuming at step \(trainer.step)" : ""))
        if let summary = trainer.algorithm.summary { say(summary) }
        if isLeader, let runDir {
            try runDir.writeRunInfo(worldSize: comm.size, hosts: hosts, blas: "\(BLASKernel.info)",
                                    algorithm: trainer.algorithm.name, log: trainer.algorithm.summary)
        }

        let saver = runDir.map {
            ShardedSave(comm: comm, writer: CheckpointWriter(checkpointsDirectory: $0.checkpoints, compressionLevel: config.zstdLevel),
                        keep: config.keep, fault: fault)
        }
        let start = Date()
        func save() throws {
            guard let saver, let runDir else { return }
            // A run resumed at its final step has nothing new to save.
            if CheckpointReader.committedSteps(in: runDir.checkpoints).contains(where: { $0.step == trainer.step }) { return }
            let info = CheckpointInfo(step: trainer.step, epoch: trainer.epoch, samplesSeen: trainer.samplesSeen,
                                      config: recorded, architecture: architecture)
            let tensors = ModelCheckpoint.tensors(machine, optimizer: trainer.optimizer, state: trainer.algorithm.state)
                + ModelCheckpoint.tensors(self.data.standardization).map(SavedTensor.tensor)
            // The tensors are views of the buffers: they must outlive the save, unchanged.
            let cost = try withExtendedLifetime((machine, trainer)) { try saver.save(info, tensors: tensors) }
            metrics.write(["step": trainer.step, "epoch": trainer.epoch, "time": Date().timeIntervalSince(start),
                           "checkpoint_seconds": cost.committedAfter, "checkpoint_bytes": cost.totalBytes,
                           "checkpoint_rank_mb_per_second": Double(cost.bytesWritten) / 1e6 / cost.seconds])
            say(String(format: "checkpoint step %d: %.2f MB in %d shard%@, committed in %.3f s", trainer.step,
                       Double(cost.totalBytes) / 1e6, comm.size, comm.size == 1 ? "" : "s", cost.committedAfter))
        }

        var watch = DivergenceWatch()
        /// Stops the run (or warns, with `--on-divergence continue`) on the watch's verdict,
        /// before anything of the diverged run is saved.
        func judge(_ verdict: (inout DivergenceWatch) -> String?) throws {
            guard let problem = try agree(verdict(&watch)) else { return }
            let last = runDir.flatMap { CheckpointReader.committedSteps(in: $0.checkpoints).last?.directory }
            switch config.onDivergence {
            case .continue: say("warning: step \(trainer.step): training has diverged: \(problem); going on (--on-divergence continue)")
            case .stop:
                throw TrainingError(step: trainer.step, message: "training has diverged: \(problem). Stopped without saving; the last good checkpoint is \(last ?? "none (no checkpoint was saved)"). Lower --lr, or pass --on-divergence continue to go on regardless")
            }
        }

        let progress = Progress(), firstStep = trainer.step
        var windowStart = Date(), windowSteps = 0, bound = 0.0, waited = 0.0
        var lastHeld: Double?
        while trainer.step < trainer.totalSteps {
            let (wake, sleep, free) = try trainer.runStep()
            bound = wake
            windowSteps += 1
            waited += trainer.communicationSeconds
            let s = trainer.step
            watch.add(bound: wake, step: s)
            let logNow = s % config.logEvery == 0 || s == trainer.totalSteps
            let evalNow = config.evalEvery > 0 && s % config.evalEvery == 0 && held != nil
            if logNow || evalNow {
                let now = Date()
                let window = now.timeIntervalSince(windowStart)
                let rate = Double(windowSteps * config.batch) / window
                var record: [String: Any] = ["step": s, "epoch": trainer.epoch, "time": now.timeIntervalSince(start),
                                             "points_per_second": rate, "wake_bound": wake, "sleep_log_q": sleep,
                                             "comm_wait_seconds_per_step": waited / Double(windowSteps),
                                             "comm_wait_fraction": waited / window]
                if let free { record["free_energy"] = free }
                if !trainer.schedule.isConstant { record["lr"] = trainer.schedule.rate(atStep: s - 1) }
                for (k, v) in trainer.algorithm.counters { record[k] = v }
                if evalNow, let held {
                    let ll = try trainer.evaluate(held, samples: config.evalSamples)
                    lastHeld = ll
                    record["\(split)_log_likelihood"] = ll
                    record["\(split)_samples"] = config.evalSamples
                }
                metrics.write(record)
                try judge { $0.checkBound() }
                if evalNow, let ll = lastHeld, trainer.algorithm.trainsRecognition { try judge { $0.check(heldOut: ll, split: split) } }
                if isLeader && logNow {
                    progress.report(step: s, firstStep: firstStep, total: trainer.totalSteps, epoch: trainer.epoch, rate: rate, bound: bound,
                                    elapsed: now.timeIntervalSince(start), final: s == trainer.totalSteps)
                }
                windowStart = Date()
                windowSteps = 0
                waited = 0
            }
            if isLeader, config.reportEvery > 0, s % config.reportEvery == 0, s < trainer.totalSteps { refreshReport?() }
            if let signal = trainer.stopSignal, s < trainer.totalSteps {
                say("signal \(signal) received: checkpointing at step \(s) and exiting for requeue (status \(Self.preemptedStatus))")
                try judge { $0.checkBound() }
                try save()
                return (.preempted(signal: signal), nil)
            }
            if config.checkpointEvery > 0 && s % config.checkpointEvery == 0 && s < trainer.totalSteps {
                try judge { $0.checkBound() }
                try save()
            }
        }
        try judge { $0.checkBound() }
        // The final estimate is judged before the final save, so a diverged model is not saved.
        let evaluatedLast = config.evalEvery > 0 && trainer.step % config.evalEvery == 0 && lastHeld != nil
        let finalHeld = try held.flatMap { evaluatedLast ? lastHeld : try trainer.evaluate($0, samples: config.evalSamples) }
        if let ll = finalHeld, !evaluatedLast, trainer.algorithm.trainsRecognition { try judge { $0.check(heldOut: ll, split: split) } }
        try save()
        if let ll = finalHeld {
            if !evaluatedLast {
                metrics.write(["step": trainer.step, "epoch": trainer.epoch, "time": Date().timeIntervalSince(start),
                               "\(split)_log_likelihood": ll, "\(split)_samples": config.evalSamples])
            }
            let units = self.data.standardization.map { String(format: "; standardised data: %.3f nats in the data's own units", ll + $0.logJacobian) } ?? ""
            say(String(format: "held-out (\(split)) log-likelihood: %.3f nats (importance-sampled, K = %d%@)", ll, config.evalSamples, units)
                + (trainer.algorithm.trainsRecognition ? "" : "; \(trainer.algorithm.name) does not train the recognition network this proposal comes from, so this says little of the model: use eval --exact, --mmd or --fit-recognition"))
        }
        if let runDir { say("model: \(runDir.checkpoints)") }
        if isLeader, config.reportEvery > 0 { refreshReport?() }
        return (.finished, finalHeld)
    }

    /// Restores parameters, optimizer and position from a checkpoint when `--resume` asks.
    /// Returns whether it did.
    func resume(_ trainer: Trainer, runDir: RunDirectory?) throws -> Bool {
        guard let path = resumePath(checkpoints: runDir?.checkpoints) else { return false }
        let loadStarted = Date()
        let (checkpoint, skipped) = try CheckpointReader.loadNewestValid(path)
        for problem in skipped { say("resume: skipped \(problem)") }
        // Newer steps that failed verification are moved aside (never deleted), so that this
        // run can commit those steps again.
        if isLeader {
            let checkpoints = (checkpoint.directory as NSString).deletingLastPathComponent
            for bad in CheckpointReader.committedSteps(in: checkpoints) where bad.step > checkpoint.manifest.step
                && skipped.contains(where: { $0.path.hasPrefix(bad.directory) }) {
                let aside = bad.directory + ".rejected"
                guard rename(bad.directory, aside) == 0 else {
                    throw ConfigError(path: bad.directory, field: "resume", "failed verification and cannot be moved aside to \(aside)")
                }
                say("resume: moved \(bad.directory) aside to \(aside)")
            }
        }
        try comm.barrier()
        let stored = try ModelCheckpoint.machine(from: checkpoint)
        guard stored.model.layers == trainer.machine.model.layers else {
            throw ConfigError(path: checkpoint.directory, field: "architecture.layers",
                              "the checkpoint has layers \(Self.layerText(stored.model)), the run asks for \(Self.layerText(trainer.machine.model))")
        }
        let storedAlgorithm = checkpoint.manifest.config["algorithm"]?.stringValue
        guard storedAlgorithm == trainer.algorithm.name else {
            throw ConfigError(path: checkpoint.directory, field: "config.algorithm",
                              "the checkpoint was trained with \(storedAlgorithm ?? "?"), the run asks for \(trainer.algorithm.name)")
        }
        try checkChanges(against: checkpoint)
        trainer.machine.copyParameters(from: stored)
        try ModelCheckpoint.restore(trainer.optimizer, machine: trainer.machine, from: checkpoint)
        do {
            try trainer.algorithm.restore(ModelCheckpoint.state(checkpoint, machine: trainer.machine))
        } catch let e as AlgorithmStateError {
            throw ConfigError(path: checkpoint.directory, field: e.field, e.message)
        }
        trainer.step = checkpoint.manifest.step
        say(String(format: "resumed from %@ (step %d, saved by %d rank%@; read and verified in %.3f s)", checkpoint.directory,
                   trainer.step, checkpoint.manifest.worldSize, checkpoint.manifest.worldSize == 1 ? "" : "s",
                   Date().timeIntervalSince(loadStarted)))
        return true
    }

    /// Where `--resume` continues from: its path, or with `auto` the run's `checkpoints/` when
    /// it holds a committed step; nil: a fresh start.
    func resumePath(checkpoints: String?) -> String? {
        switch config.resume {
        case .never: return nil
        case .auto: return checkpoints.flatMap { CheckpointReader.committedSteps(in: $0).isEmpty ? nil : $0 }
        case .path(let p): return p
        }
    }

    /// A resume must continue the run the checkpoint records: every setting that changes the
    /// trajectory must be the checkpoint's, unless `--allow-changes` names it. Settings the
    /// checkpoint does not record (an older version's) are not compared.
    func checkChanges(against checkpoint: Checkpoint) throws {
        guard case .object(let now) = ConfigFile.json(config) else { return }
        let then = checkpoint.manifest.config
        var changed: [String] = []
        for key in TrainingConfig.trajectoryKeys where !config.allowChanges.contains(key) {
            guard let old = then[key] else { continue }
            let new = now[key] ?? .null
            if !Self.same(old, new) { changed.append("\(key) \(CheckpointSummary.compact(new)) (the checkpoint's: \(CheckpointSummary.compact(old)))") }
        }
        guard changed.isEmpty else {
            let keys = changed.map { String($0.prefix { $0 != " " }) }.joined(separator: ",")
            throw ConfigError(path: checkpoint.directory, field: "config",
                              "resuming would change the run's trajectory: \(changed.joined(separator: "; ")); pass --allow-changes \(keys) to resume anyway, or start a new run")
        }
    }

    /// Equal config; numbers compare by value (1 and 1.0 alike).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        // A seed above Int.max: written as a string now, read back as a double from older manifests.
        case (.string(let x), .double(let y)), (.double(let y), .string(let x)): return Double(x) == y
        default: return a == b
        }
    }

    /// One verdict for every rank: a problem any rank sees stops them all at the same step.
    func agree(_ verdict: String?) throws -> String? {
        guard comm.size > 1 else { return verdict }
        var flag = [verdict == nil ? 0.0 : 1.0]
        try flag.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: 1) }
        return verdict ?? (flag[0] > 0 ? "another rank saw it first (see its message)" : nil)
    }

    /// The ranks of each host, in rank order, from every rank's host name.
    func hostRanks() throws -> [(host: String, ranks: [Int])] {
        let width = 64
        var mine = [UInt8](repeating: 0, count: width)
        for (i, b) in comm.hostName.utf8.prefix(width - 1).enumerated() { mine[i] = b }
        var all = [UInt8](repeating: 0, count: width * comm.size)
        try mine.withUnsafeBytes { m in
            try all.withUnsafeMutableBytes { try comm.allgather(m.baseAddress!, bytes: width, into: $0.baseAddress!) }
        }
        var ranks: [(String, [Int])] = []
        for r in 0..<comm.size {
            let name = String(decoding: all[(r * width)..<(r * width + width)].prefix { $0 != 0 }, as: UTF8.self)
            if let i = ranks.firstIndex(where: { $0.0 == name }) { ranks[i].1.append(r) } else { ranks.append((name, [r])) }
        }
        return ranks.map { (host: $0.0, ranks: $0.1) }
    }

    /// "[64, 200, 10]", with kinds where a layer is not Bernoulli ("64:gaussian") and roles
    /// other than data and latent ("10 (goal)").
    static func layerText(_ m: ModelDescription) -> String {
        "[" + m.layers.map { l in
            "\(l.width)" + (l.kind == .bernoulli ? "" : ":\(l.kind.rawValue)") + (l.role == .data || l.role == .latent ? "" : " (\(l.role.rawValue))")
        }.joined(separator: ", ") + "]"
    }

    /// Per-pixel means and variances of the rows of `m`.
    static func columnMoments(_ m: Matrix) -> (means: [Float], variances: [Float]) {
        var sum = [Double](repeating: 0, count: m.cols), squares = sum
        for r in 0..<m.rows { for j in 0..<m.cols { let v = Double(m[r, j]); sum[j] += v; squares[j] += v * v } }
        let n = Double(max(m.rows, 1))
        return (sum.map { Float($0 / n) }, zip(sum, squares).map { s, q in Float(max(q / n - (s / n) * (s / n), 0)) })
    }
}
