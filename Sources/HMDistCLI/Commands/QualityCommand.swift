import ArgumentParser
import Foundation
import HMAlgorithms
import HMCheckpoint
import HMCore
import HMData
import HMReport
import HMTraining

/// `hm-dist quality`: how good and how varied a model's samples are (issue 14), measured
/// against the training set: nearest-neighbour Hamming distance, training copies, distinct
/// samples, and with `--classifier` the classifier's confidence and label histogram; with
/// `--mmd` the MMD to the held-out split. `--samples-file` measures samples already drawn (or
/// the data itself, as a reference) instead of a checkpoint's.
struct QualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quality", abstract: "Sample quality and diversity measures of a checkpoint's samples.")

    @Option(help: "Run directory, its checkpoints/ directory, or one step-N/ directory.") var checkpoint: String?
    @Option(name: .customLong("samples-file"), help: "An IDX file of 0/1 samples (as `sample --format idx` writes) to measure instead of a checkpoint's.") var samplesFile: String?
    @Option(help: "Data spec of the training set (default: the checkpoint's, else the classifier's).") var data: String?
    @Option(help: "none, threshold or stochastic (default: as in training, else the classifier's).") var binarize: String?
    @Option(help: "Number of samples (default 1000; with --samples-file, all of them).") var count: Int?
    @Option(help: "A label classifier written by `hm-dist classifier`.") var classifier: String?
    @Option(help: "Seed of the draws (as in `sample`) and of the MMD's subset of data points.") var seed: UInt64 = 1
    @Option(help: "sample (draws of x, default) or threshold (E[x | h1] > 0.5).") var visible = "sample"
    @Flag(help: "Also the MMD between the samples and as many points of the test split (else valid, else train).") var mmd = false
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        try reportingErrors("quality") {
            guard (checkpoint == nil) != (samplesFile == nil) else {
                throw ConfigError(path: "command line", field: "checkpoint", "expected one of --checkpoint and --samples-file")
            }
            if let count, count <= 0 { throw ConfigError(path: "command line", field: "count", "expected a positive integer, found \(count)") }
            guard visible == "sample" || visible == "threshold" else {
                throw ConfigError(path: "command line", field: "visible", "expected sample or threshold (the measures need 0/1 samples), found \(visible)")
            }
            let loadedClassifier = try classifier.map(ClassifierFile.read)
            let stored = try checkpoint.map(CheckpointReader.load)
            let config = stored?.manifest.config
            guard let spec = data ?? config?["data"]?.stringValue ?? loadedClassifier?.info.data else {
                throw ConfigError(path: "command line", field: "data", "expected --data SPEC: the training set to measure the samples against")
            }
            let bin = binarize ?? config?["binarize"]?.stringValue ?? loadedClassifier?.info.binarize ?? "none"
            guard let binarization = Binarization(rawValue: bin) else {
                throw ConfigError(path: "command line", field: "binarize", "expected none, threshold or stochastic, found \(bin)")
            }
            let dataset = try DataSource.load(spec: spec, binarize: binarization, spikes: stored.map(ModelCheckpoint.spikeBinning) ?? SpikeBinning())
            let samples: Matrix, source: String
            if let stored {
                let machine = try ModelCheckpoint.machine(from: stored)
                let n = count ?? 1000
                let tiles = try Dreams.tiles(machine, checkpoint: stored, count: n, seed: seed, draws: visible == "sample", threshold: visible == "threshold")
                samples = Matrix(rows: n, cols: machine.widths[0], values: tiles.flatMap { $0 })
                source = stored.directory
                guard SampleQuality.isBinary(samples) else {
                    throw ConfigError(path: source, field: "visible", "the model's samples are not 0/1 (a real-valued data layer); pass --visible threshold")
                }
            } else {
                samples = try Self.readSamples(samplesFile!, count: count)
                source = samplesFile!
            }
            guard samples.cols == dataset.width else {
                throw ConfigError(path: source, field: "width", "the samples have \(samples.cols) pixels, the data \(spec) \(dataset.width)")
            }
            if let c = loadedClassifier?.classifier, c.width != dataset.width {
                throw ConfigError(path: classifier!, field: "width", "the classifier takes \(c.width) pixels, the data \(spec) has \(dataset.width)")
            }
            let training = Matrix(rows: dataset.trainCount, cols: dataset.width, values: dataset.train)
            let quality = SampleQuality(samples: samples, training: training, classifier: loadedClassifier?.classifier)
            var discrepancy: (estimate: MaximumMeanDiscrepancy.Estimate, split: Dataset.Split)?
            if mmd {
                let split = [Dataset.Split.test, .valid, .train].first { dataset.split($0) != nil }!
                let x = Matrix(rows: dataset.count(of: split), cols: dataset.width, values: dataset.split(split)!)
                let points = try EvalCommand.mmdPoints(x, count: samples.rows, seed: seed)
                let firstSamples = Matrix(view: samples.data, rows: points.rows, cols: samples.cols, owner: samples)
                discrepancy = (MaximumMeanDiscrepancy.estimate(firstSamples, points), split)
            }
            if json {
                var record: [String: Any] = [
                    "count": quality.count, "distinct": quality.distinct, "training_copies": quality.trainingCopies,
                    "training_copy_fraction": quality.trainingCopyFraction, "nearest_hamming_mean": quality.nearestHammingMean,
                    "source": source, "data": spec, "training_count": training.rows, "visible": stored == nil ? "file" : visible,
                ]
                if let labels = quality.labels {
                    record["classifier_confidence_mean"] = labels.meanConfidence
                    record["label_histogram"] = labels.counts
                    record["label_entropy"] = labels.entropy
                    record["label_entropy_max"] = labels.maximumEntropy
                }
                if let discrepancy {
                    record["mmd"] = discrepancy.estimate.mmd2
                    record["mmd_standard_error"] = discrepancy.estimate.standardError
                    record["mmd_bandwidth"] = discrepancy.estimate.bandwidth
                    record["mmd_split"] = discrepancy.split.rawValue
                }
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print(String(format: "%d samples of %@ against the %d training rows of %@: %d distinct, %d copies of a training row (%.4f); nearest training row %.3f pixels away on average",
                             quality.count, source, training.rows, spec, quality.distinct, quality.trainingCopies, quality.trainingCopyFraction, quality.nearestHammingMean))
                if let labels = quality.labels {
                    print(String(format: "classifier: mean confidence %.4f; label entropy %.4f nats of at most %.4f; histogram %@",
                                 labels.meanConfidence, labels.entropy, labels.maximumEntropy, labels.counts.map(String.init).joined(separator: " ")))
                }
                if let d = discrepancy {
                    print(String(format: "MMD² (unbiased, Gaussian kernel, bandwidth %.4g): %.6f ± %.6f s.e., against %d points of the %@ split",
                                 d.estimate.bandwidth, d.estimate.mmd2, d.estimate.standardError, samples.rows, d.split.rawValue))
                }
            }
        }
    }

    /// The first `count` (default all) samples of an IDX file of shape [N, …], every value 0 or 1.
    static func readSamples(_ path: String, count: Int?) throws -> Matrix {
        let array = try IDXArray.read(path: path)
        guard array.shape.count >= 2, array.shape[0] > 0 else {
            throw DataError(path: path, field: "header", "expected samples of shape [N, rows, cols] or [N, pixels], found shape \(array.shape)")
        }
        let width = array.shape.dropFirst().reduce(1, *), n = min(count ?? array.shape[0], array.shape[0])
        let values = Array(array.floats()[..<(n * width)])
        if let bad = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw DataError(path: path, field: "data", "expected 0/1 samples, found \(values[bad]) (item \(bad / width), pixel \(bad % width)); threshold them first (sample --visible threshold)")
        }
        return Matrix(rows: n, cols: width, values: values)
    }
}
