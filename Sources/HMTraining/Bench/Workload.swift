import HMAlgorithms
import HMCore

/// The benchmark workloads (docs/command-line.md, `bench`): B1 is binarized-MNIST shapes
/// 784-200-200-10 with rws, K = 5, batch 100, 100 dreams, Adam 1e-3; B2 is B1 with nrws; B3 is
/// B1 with layers 784-1000-500-250-10.
public struct Workload: Sendable {
    public let name: String
    public let layers: [Int]
    public let algorithm: AlgorithmName
    public let samples: Int
    public let batch: Int
    public let dreams: Int

    public static let all: [String: Workload] = [
        "b1": Workload(name: "b1", layers: [784, 200, 200, 10], algorithm: .rws, samples: 5, batch: 100, dreams: 100),
        "b2": Workload(name: "b2", layers: [784, 200, 200, 10], algorithm: .nrws, samples: 5, batch: 100, dreams: 100),
        "b3": Workload(name: "b3", layers: [784, 1000, 500, 250, 10], algorithm: .rws, samples: 5, batch: 100, dreams: 100),
    ]

    /// The run's configuration (Adam 1e-3, float32), with `algorithm` overridden if given; K
    /// applies only to algorithms that draw importance samples, as in `train`.
    public func config(algorithm: AlgorithmName? = nil, data: String) throws -> TrainingConfig {
        let a = algorithm ?? self.algorithm
        var given: [(key: String, input: OptionInput, source: String)] = [
            ("data", .text(data), "workload"), ("layers", .text(layers.map(String.init).joined(separator: ",")), "workload"),
            ("algorithm", .text(a.rawValue), "workload"), ("batch", .text("\(batch)"), "workload"),
            ("dreams", .text("\(dreams)"), "workload"), ("optimizer", .text("adam"), "workload"),
            ("lr", .text("0.001"), "workload"), ("steps", .text("1"), "workload"),
        ]
        if a.usesImportanceSamples { given.append(("samples", .text("\(samples)"), "workload")) }
        return try TrainingOptions.resolve(given)
    }
}
