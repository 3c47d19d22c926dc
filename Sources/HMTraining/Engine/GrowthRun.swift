import Foundation
import HMCheckpoint
import HMComm
import HMCore

/// `train --grow` (de Sa, deCharms & Merzenich 1997): the top layer grown a few units at a
/// time while the held-out log-likelihood improves.
///
///     stage 0: no hidden units — independent units at the training marginals (exact)
///     stage k: top width k·u, started from stage k − 1's parameters (new units initialised
///              as a fresh machine's), trained for the run's steps; kept if its held-out
///              estimate beats the best so far by more than the threshold, else growth stops
///
/// Each stage is a run of its own, `RUN/grow/stage-KK`, with its own checkpoints: a stage
/// resumes exactly, on any world size, like any run, and the decisions are made again from
/// the stages' (deterministic) final estimates. The growth log goes to `RUN/metrics.jsonl`
/// and `RUN/growth.json`; the kept stage's checkpoints are copied to `RUN/checkpoints`.
public struct GrowthRun {
    public let config: TrainingConfig
    public let comm: Communicator
    public let data: TrainingData
    public let fault: FaultInjection?

    public init(config: TrainingConfig, comm: Communicator, data: TrainingData, fault: FaultInjection? = nil) {
        self.config = config
        self.comm = comm
        self.data = data
        self.fault = fault
    }

    func say(_ text: String) { if comm.rank == 0 { print(text); fflush(stdout) } }

    public func run() throws -> TrainingRun.Outcome {
        let d = data.dataset
        let model = config.model(dataWidth: d.width, imageShape: [d.imageShape.rows, d.imageShape.cols])
        guard let runPath = config.runDir else {
            throw ConfigError(path: "command line", field: "grow", "needs --run-dir: each stage is a run of its own under RUN/grow/")
        }
        guard let held = data.held else {
            throw ConfigError(path: config.data, field: "grow", "needs a held-out split to decide which units to keep")
        }
        guard model.layers[0].kind == .bernoulli else {
            throw ConfigError(path: "command line", field: "grow", "grows machines over binary data (a bernoulli data layer), found \(model.layers[0].kind.rawValue)")
        }
        if case .path = config.resume {
            throw ConfigError(path: "command line", field: "resume", "--grow resumes its stages itself: expected --resume auto or never")
        }
        let top = model.layers.count - 1, most = model.layers[top].width, u = config.growUnits
        guard u <= most else {
            throw ConfigError(path: "command line", field: "grow-units", "\(u) units a stage, but the top layer of --layers has \(most)")
        }
        let runDir = try RunDirectory(runPath)
        if comm.rank == 0 { try runDir.writeConfig(config) }
        let logged = Self.loggedStages(runDir.metrics)
        let metrics = try MetricsLog(path: comm.rank == 0 ? runDir.metrics : nil, append: true)
        var stages: [[String: Any]] = []
        func log(_ record: [String: Any]) {
            stages.append(record)
            if !logged.contains(record["grow_stage"] as! Int) { metrics.write(record) }
        }

        let baseline = Self.independentLogLikelihood(train: data.train, held: held)
        say(String(format: "grow stage 0: no hidden units (independent, exact): held-out %.4f nats", baseline))
        log(["grow_stage": 0, "hidden_units": 0, "held_out_log_likelihood": baseline, "kept": true])
        var best = (stage: 0, ll: baseline)
        var k = 1
        while k * u <= most {
            var c = config
            c.layers = model.layers
            c.layers![top] = LayerDescription(width: k * u, kind: model.layers[top].kind, role: model.layers[top].role)
            c.runDir = Self.stageDirectory(runPath, k)
            var stage = TrainingRun(config: c, comm: comm, data: data, fault: fault)
            if best.stage > 0 { stage.widenFrom = Self.stageDirectory(runPath, best.stage) }
            say("grow stage \(k): \(k * u) top units")
            let (outcome, heldOut) = try stage.execute()
            if case .preempted = outcome { return outcome }
            let ll = heldOut!, kept = ll - best.ll > config.growThreshold
            say(String(format: "grow stage %d: held-out %.4f nats, %+.4f on the best (stage %d): %@", k, ll, ll - best.ll, best.stage,
                       kept ? "kept" : "not kept; growth stops"))
            log(["grow_stage": k, "hidden_units": k * u, "held_out_log_likelihood": ll, "gain": ll - best.ll, "kept": kept])
            guard kept else { break }
            best = (k, ll)
            k += 1
        }
        let units = best.stage * u
        if comm.rank == 0 {
            try Self.publish(best.stage == 0 ? nil : Self.stageDirectory(runPath, best.stage) + "/checkpoints", to: runDir.checkpoints)
            let summary: [String: Any] = ["kept_stage": best.stage, "kept_units": units, "held_out_log_likelihood": best.ll,
                                          "threshold": config.growThreshold, "stages": stages]
            let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .prettyPrinted])
            try DurableFile.write([UInt8](json), to: runPath + "/growth.json")
        }
        try comm.barrier()
        say(best.stage == 0 ? "grow: no hidden unit improved on the independent model by more than \(config.growThreshold) nats; no model saved"
                            : "grow: kept \(units) top units (stage \(best.stage)); model: \(runDir.checkpoints)")
        return .finished
    }

    static func stageDirectory(_ run: String, _ k: Int) -> String { run + String(format: "/grow/stage-%02d", k) }

    /// The stages already in the run's log (a resumed growth does not log them twice).
    static func loggedStages(_ path: String) -> Set<Int> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["grow_stage"] as? Int
        })
    }

    /// The kept stage's checkpoints become the run's own (`RUN/checkpoints`), replacing an
    /// earlier growth's only once the copy is complete.
    static func publish(_ source: String?, to destination: String) throws {
        let fm = FileManager.default
        let staging = destination + ".staging"
        try? fm.removeItem(atPath: staging)
        if let source { try fm.copyItem(atPath: source, toPath: staging) }
        try? fm.removeItem(atPath: destination)
        if source != nil { try fm.moveItem(atPath: staging, toPath: destination) }
    }

    /// Mean log-likelihood of `held` under independent Bernoulli units at the training
    /// split's marginals (clamped to [1e-3, 1 − 1e-3], as the data layer's initial biases).
    static func independentLogLikelihood(train: Matrix, held: Matrix) -> Double {
        let p = TrainingRun.columnMoments(train).means.map { min(max(Double($0), 1e-3), 1 - 1e-3) }
        var total = 0.0
        for r in 0..<held.rows { for j in 0..<held.cols { total += held[r, j] > 0.5 ? log(p[j]) : log(1 - p[j]) } }
        return total / Double(max(held.rows, 1))
    }
}
