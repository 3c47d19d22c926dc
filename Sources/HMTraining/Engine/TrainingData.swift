import Foundation
import HMCore
import HMData

/// The data of a run, loaded once and shared read-only by the ranks of an in-process world.
public struct TrainingData: @unchecked Sendable {
    public let dataset: Dataset
    public let train: Matrix
    /// The `--eval-split` (valid or test) the estimates are taken on, if the data has it.
    public let held: Matrix?
    /// `--standardize`'s statistics, applied to `train` and `held`.
    public let standardization: Standardization?
    /// With `--goal-cycles`: each training example's label, −1 where `--labelled-fraction`
    /// leaves it out (`Self.labelled`); nil otherwise.
    public let trainLabels: [Int]?

    public init(_ config: TrainingConfig) throws {
        let real = config.layers?.first?.kind.isContinuous ?? false
        if config.standardize && !real {
            throw ConfigError(path: "command line", field: "standardize", "standardises a real-valued data layer: expected a first layer WIDTH:gaussian or WIDTH:gaussian-hetero")
        }
        let d = try DataSource.load(spec: config.data, binarize: config.binarize, real: real, spikes: config.spikes)
        dataset = d
        let s = config.standardize ? try Standardization.fit(d.train, width: d.width, imageShape: d.imageShape, source: config.data) : nil
        standardization = s
        func values(_ v: [Float]) -> [Float] { s?.apply(to: v) ?? v }
        train = Matrix(rows: d.trainCount, cols: d.width, values: values(d.train))
        let split = Dataset.Split(rawValue: config.evalSplit.rawValue) ?? .valid
        held = d.split(split).map { Matrix(rows: d.count(of: split), cols: d.width, values: values($0)) }
        // In the data layer's coding: ±1 units (`--states pm1`) take the 0/1 data as ±1.
        let kind = config.model(dataWidth: d.width, imageShape: [d.imageShape.rows, d.imageShape.cols]).layers[0].kind
        for m in [train, held].compactMap({ $0 }) { kind.encode(m.data, count: m.count) }
        trainLabels = try Self.goalLabels(config, dataset: d)
        if held == nil && config.evalSplit == .test {
            throw ConfigError(path: config.data, field: "eval-split", "test: the data has no test split")
        }
    }

    /// The train split's labels for a goal layer: present, within its width, and kept for the
    /// labelled fraction (index i is labelled when u_i < F, u_i keyed by (seed, purpose goal, i)).
    static func goalLabels(_ config: TrainingConfig, dataset d: Dataset) throws -> [Int]? {
        guard config.algorithm.goalCycles != nil else { return nil }
        guard let labels = d.labels(of: .train) else {
            throw ConfigError(path: config.data, field: "goal-cycles", "the goal is clamped to the labels: expected an IDX file whose name contains labels beside the train images (train-labels, …-train-labels)")
        }
        let goals = config.model(dataWidth: d.width, imageShape: [d.imageShape.rows, d.imageShape.cols]).widths.last!
        if let row = labels.firstIndex(where: { !(0..<goals).contains($0) }) {
            throw ConfigError(path: config.data, field: "labels", "row \(row): label \(labels[row]) is outside the goal layer's 0..<\(goals)")
        }
        let stream = RandomStream(key: config.seed, purpose: .goal, step: 0)
        var u: Float = 0
        return labels.enumerated().map { i, y in
            guard config.labelledFraction < 1 else { return y }
            stream.uniforms(tag: stream.tag(.generative, layer: 0xFFFE), index: i, into: &u, count: 1)
            return Double(u) < config.labelledFraction ? y : -1
        }
    }
}
