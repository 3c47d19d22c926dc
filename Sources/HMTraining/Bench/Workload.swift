import HMAlgorithms
import HMCore

/// A benchmark workload: a model's shape, an algorithm and the step's sizes, trained with Adam
/// 1e-3 on float32 (the command line's B1, B2, B3: docs/training.md).
public struct Workload: Sendable {
    public let name: String
    /// `--layers` items, data first: a width, or WIDTH:KIND.
    public let layers: [String]
    public let algorithm: AlgorithmName
    public let samples: Int
    public let batch: Int
    public let dreams: Int

    public init(name: String, layers: [String], algorithm: AlgorithmName, samples: Int, batch: Int, dreams: Int) {
        self.name = name
        self.layers = layers
        self.algorithm = algorithm
        self.samples = samples
        self.batch = batch
        self.dreams = dreams
    }

    /// The width of the data layer.
    public var dataWidth: Int { Int(layers[0].prefix { $0 != ":" }) ?? 0 }
    /// Whether the data layer is real-valued.
    public var realData: Bool { layers[0].contains(":gaussian") }

    /// The run's configuration (Adam 1e-3, float32), with `algorithm` overridden if given and
    /// `extra` settings of `train` on top (an algorithm's own options); K applies only to algorithms that
    /// draw importance samples, as in `train`.
    public func config(algorithm: AlgorithmName? = nil, data: String, extra: [(key: String, value: String)] = []) throws -> TrainingConfig {
        let a = algorithm ?? self.algorithm
        var given: [(key: String, input: OptionInput, source: String)] = [
            ("data", .text(data), "workload"), ("layers", .text(layers.joined(separator: ",")), "workload"),
            ("algorithm", .text(a.rawValue), "workload"), ("batch", .text("\(batch)"), "workload"),
            ("dreams", .text("\(dreams)"), "workload"), ("optimizer", .text("adam"), "workload"),
            ("lr", .text("0.001"), "workload"), ("steps", .text("1"), "workload"),
        ]
        if a.usesImportanceSamples { given.append(("samples", .text("\(samples)"), "workload")) }
        given += extra.map { ($0.key, .text($0.value), "command line") }
        return try TrainingOptions.resolve(given)
    }
}
