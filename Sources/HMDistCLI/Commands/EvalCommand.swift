import ArgumentParser
import Foundation
import HMAlgorithms
import HMCheckpoint
import HMCore
import HMData
import HMPlatform
import HMTraining

/// `hm-dist eval`: the importance-sampled (or, for small models, exact) log-likelihood of a
/// stored model on a data split.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Log-likelihood of a checkpoint on a data split.")

    @Option(help: "Run directory, its checkpoints/ directory, or one step-N/ directory.") var checkpoint: String
    @Option(help: "Data spec (default: the data the model was trained on).") var data: String?
    @Option(help: "none, threshold or stochastic (default: as in training).") var binarize: String?
    @Option(help: "train, valid or test.") var split = "test"
    @Option(help: "Importance samples K per data point.") var samples = 5000
    @Flag(help: "Exact log p(x) by enumerating every latent state (small models only).") var exact = false
    @Option(help: "Evaluate only the first N points of the split.") var limit: Int?
    @Option(help: "Evaluate a fixed random subset of N points of the split (chosen by --subset-seed, kept in the split's order): a representative sample where the split's order is not (MNIST's test split puts its easier half first).") var subset: Int?
    @Option(name: .customLong("subset-seed"), help: "Seed of --subset's choice.") var subsetSeed: UInt64 = 1
    @Option(help: "Seed of the importance samples.") var seed: UInt64 = 1
    @Flag(name: .customLong("free-energy"), help: "Also the free energy E_q[log q(h|x) − log p(x,h)] per point, from the importance samples.") var freeEnergy = false
    @Option(help: "Also the MMD between N model samples and N points of the split (a random subset when it is larger).") var mmd: Int?
    @Option(name: .customLong("fit-recognition"), help: "First fit the recognition network to the frozen generative model by this many sleep steps (for ddc, which trains none; the estimate is a lower bound).") var fitRecognition: Int?
    @Option(name: .customLong("fit-dreams"), help: "Dreams per step of --fit-recognition.") var fitDreams = 100
    @Option(name: .customLong("fit-lr"), help: "Adam learning rate of --fit-recognition.") var fitLR: Float = 1e-3
    @Flag(name: .customLong("goal-accuracy"), help: "Also the accuracy of q(g | x) against the split's labels (a categorical goal layer on top).") var goalAccuracy = false
    @Option(help: "Threads, each scoring its share of the points.") var threads = 1
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        try reportingErrors("eval") {
            let ckpt = try CheckpointReader.load(checkpoint)
            let machine = try ModelCheckpoint.machine(from: ckpt)
            let config = ckpt.manifest.config
            let spec = data ?? config["data"]?.stringValue ?? "digits"
            let bin = binarize ?? config["binarize"]?.stringValue ?? "none"
            guard let binarization = Binarization(rawValue: bin) else {
                throw ConfigError(path: "command line", field: "binarize", "expected none, threshold or stochastic, found \(bin)")
            }
            let real = machine.model.layers[0].kind.isContinuous
            // Spike data is cut into windows as in training.
            let spikes = ModelCheckpoint.spikeBinning(ckpt)
            let dataset = try DataSource.load(spec: spec, binarize: real ? .none : binarization, real: real, spikes: spikes)
            let standardization = try ModelCheckpoint.standardization(ckpt, width: machine.widths[0])
            guard dataset.width == machine.widths[0] else {
                throw ConfigError(path: spec, field: "data", "the model has \(machine.widths[0]) visible units, the data \(dataset.width) pixels")
            }
            var values = try dataset.split(named: split)
            if let standardization { values = standardization.apply(to: values) }
            var count = values.count / dataset.width
            if let limit, limit < count { count = max(limit, 0); values = Array(values[0..<(count * dataset.width)]) }
            if let subset {
                guard limit == nil else { throw ConfigError(path: "command line", field: "subset", "give --subset or --limit, not both") }
                guard subset > 0 else { throw ConfigError(path: "command line", field: "subset", "expected a positive integer, found \(subset)") }
                if subset < count {
                    let chosen = DataOrder.permutation(count: count, seed: subsetSeed, epoch: 0).prefix(subset).sorted()
                    values = chosen.flatMap { values[($0 * dataset.width)..<(($0 + 1) * dataset.width)] }
                    count = subset
                }
            }
            guard samples > 0, threads > 0 else {
                throw ConfigError(path: "command line", field: samples > 0 ? "threads" : "samples", "expected a positive integer")
            }
            let x = Matrix(rows: count, cols: dataset.width, values: values)
            machine.model.layers[0].kind.encode(x.data, count: x.count)   // ±1 units take the data as ±1
            let started = Date()
            var lls: [Double], free: [Double]?
            BLASKernel.setThreads(1)
            var fittedLogQ: Double?
            if let fitRecognition {
                guard fitRecognition > 0, fitDreams > 0, fitLR > 0, fitLR.isFinite else {
                    throw ConfigError(path: "command line", field: fitRecognition > 0 ? (fitDreams > 0 ? "fit-lr" : "fit-dreams") : "fit-recognition",
                                      "expected a positive number")
                }
                fittedLogQ = RecognitionFit.fit(machine, steps: fitRecognition, dreams: fitDreams, learningRate: fitLR, seed: seed)
            }
            if exact {
                lls = try ExactLogLikelihood.logLikelihoods(machine, data: x)
                free = freeEnergy ? Self.importance(machine, x, samples: samples, seed: seed, threads: threads).free : nil
            } else {
                (lls, free) = Self.importance(machine, x, samples: samples, seed: seed, threads: threads)
                if !freeEnergy { free = nil }
            }
            let freeMean = free.map { $0.reduce(0, +) / Double(max(count, 1)) }
            let goal = try goalAccuracy ? Self.accuracyOfGoals(machine, x, dataset: dataset, split: split, spec: spec, seed: seed) : nil
            let discrepancy = try mmd.map { try Self.mmd(machine, x, samples: $0, seed: seed) }
            let mean = lls.reduce(0, +) / Double(max(count, 1))
            let sd = (lls.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(count - 1, 1))).squareRoot()
            let seconds = Date().timeIntervalSince(started)
            // With --standardize, log_likelihood is the density of the standardised data the model
            // was trained on; the data's own units add the Jacobian.
            let dataUnits = standardization.map { mean + $0.logJacobian }
            if json {
                var record: [String: Any] = [
                    "log_likelihood": mean, "count": count, "method": exact ? "exact" : "importance",
                    "samples": exact ? 0 : samples, "split": split, "data": spec, "checkpoint": ckpt.directory,
                    "step": ckpt.manifest.step, "standard_error": sd / Double(max(count, 1)).squareRoot(), "seconds": seconds,
                ]
                record["standardized"] = standardization != nil
                if subset != nil { record["subset"] = count; record["subset_seed"] = subsetSeed }
                if let fittedLogQ {
                    record["recognition_fit_steps"] = fitRecognition!
                    record["recognition_fit_log_q"] = fittedLogQ
                }
                if let dataUnits { record["log_likelihood_data_units"] = dataUnits }
                if let goal { record["goal_accuracy"] = goal }
                if let free, let freeMean {
                    record["free_energy"] = freeMean
                    let sd = (free.map { ($0 - freeMean) * ($0 - freeMean) }.reduce(0, +) / Double(max(count - 1, 1))).squareRoot()
                    record["free_energy_standard_error"] = sd / Double(max(count, 1)).squareRoot()
                }
                if let discrepancy {
                    record["mmd"] = discrepancy.estimate.mmd2
                    record["mmd_standard_error"] = discrepancy.estimate.standardError
                    record["mmd_bandwidth"] = discrepancy.estimate.bandwidth
                    record["mmd_samples"] = discrepancy.samples
                }
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
            } else {
                let how = exact ? "exact" : "importance-sampled, K = \(samples)" + (fittedLogQ == nil ? "" : ", q fitted by \(fitRecognition!) sleep steps: a lower bound")
                print(String(format: "log-likelihood: %.4f nats per data point (± %.4f s.e.; %@; %d points of the %@ split of %@; step %d; %.1f s)",
                             mean, sd / Double(max(count, 1)).squareRoot(), how, count, split, spec, ckpt.manifest.step, seconds))
                if let goal { print(String(format: "goal accuracy: %.4f (argmax of q(g | x) against the %@ labels, K = 100)", goal, split)) }
                if let dataUnits { print(String(format: "standardised data: %.4f nats per data point in the data's own units", dataUnits)) }
                if let freeMean {
                    print(String(format: "free energy: %.4f nats per data point (E_q[log q − log p(x, h)], K = %d samples per point; ≥ −log p(x))", freeMean, samples))
                }
                if let d = discrepancy {
                    print(String(format: "MMD² (unbiased, Gaussian kernel, bandwidth %.4g): %.6f ± %.6f s.e., %d model samples against %d points",
                                 d.estimate.bandwidth, d.estimate.mmd2, d.estimate.standardError, d.samples, d.samples))
                }
            }
        }
    }

    /// MMD² between n draws of x from the model (dreams of the generate stream) and n points
    /// of `x` (`mmdPoints`).
    static func mmd(_ machine: HelmholtzMachine, _ x: Matrix, samples: Int, seed: UInt64) throws -> (estimate: MaximumMeanDiscrepancy.Estimate, samples: Int) {
        guard samples >= 2 else { throw ConfigError(path: "command line", field: "mmd", "expected at least 2 samples, found \(samples)") }
        let points = try mmdPoints(x, count: samples, seed: seed)
        let n = points.rows
        let sleep = SleepPhase(machine: machine, dreams: n)
        sleep.dream(count: n, stream: RandomStream(key: seed, purpose: .generate, step: 1), firstDream: 0)
        return (MaximumMeanDiscrepancy.estimate(sleep.dream[0], points), n)
    }

    /// The data side of the MMD: `count` rows of `x`, all of them when there are at most
    /// `count`, else a random subset (the shuffle stream of `seed`), since a split may be sorted
    /// by class; at least 2.
    static func mmdPoints(_ x: Matrix, count: Int, seed: UInt64) throws -> Matrix {
        let n = min(count, x.rows)
        guard n >= 2 else { throw ConfigError(path: "command line", field: "mmd", "the split has \(x.rows) points; the MMD needs at least 2") }
        let chosen = Array(DataOrder.permutation(count: x.rows, seed: seed, epoch: 0).prefix(n))
        let points = Matrix(rows: n, cols: x.cols)
        for (r, i) in chosen.enumerated() { points.row(r).update(from: x.row(i), count: x.cols) }
        return points
    }

    /// Points split across threads; the draws are keyed by global point index, so the result
    /// does not depend on the thread count.
    static func importance(_ machine: HelmholtzMachine, _ x: Matrix, samples: Int, seed: UInt64, threads: Int) -> (lls: [Double], free: [Double]) {
        let estimator = ImportanceLogLikelihood(samples: samples, seed: seed)
        let results = ResultSlots(threads), free = ResultSlots(threads)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = x.rows * t / threads, hi = x.rows * (t + 1) / threads
            let part = Matrix(view: x.row(lo), rows: hi - lo, cols: x.cols, owner: x)
            let e = estimator.estimates(machine, data: part, firstIndex: lo)
            results.set(t, e.logLikelihoods)
            free.set(t, e.freeEnergies)
        }
        return (results.joined, free.joined)
    }
}

/// One result slot per thread, filled concurrently.
final class ResultSlots: @unchecked Sendable {
    private var slots: [[Double]]
    private let lock = NSLock()
    init(_ n: Int) { slots = Array(repeating: [], count: n) }
    func set(_ i: Int, _ v: [Double]) { lock.lock(); slots[i] = v; lock.unlock() }
    var joined: [Double] { slots.flatMap { $0 } }
}

/// Runs a command body; a thrown error is printed as `hm-dist <command>: error: …` and exits 1.
func reportingErrors(_ command: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch {
        FileHandle.standardError.write(Data("hm-dist \(command): error: \(error)\n".utf8))
        throw ExitCode.failure
    }

}

extension EvalCommand {
    /// The accuracy of q(g | x) on the first `x.rows` points of the split (K = 100 samples).
    static func accuracyOfGoals(_ machine: HelmholtzMachine, _ x: Matrix, dataset: Dataset, split: String, spec: String, seed: UInt64) throws -> Double {
        guard machine.model.kinds.last == .categorical else {
            throw ConfigError(path: "command line", field: "goal-accuracy", "the model's top layer is \(machine.model.kinds.last!.rawValue): expected a categorical goal layer")
        }
        guard let s = Dataset.Split(rawValue: split), let labels = dataset.labels(of: s) else {
            throw ConfigError(path: spec, field: "goal-accuracy", "the \(split) split has no labels: expected an IDX file whose name contains labels beside its images")
        }
        return GoalPosterior(samples: 100, seed: seed).accuracy(machine, data: x, labels: Array(labels.prefix(x.rows)))
    }
}
