import HMCore

/// The benchmark workloads of DESIGN §7.
public struct Workload: Sendable {
    public let name: String
    public let layers: [Int]
    public let algorithm: Settings.Algorithm
    public let samples: Int
    public let batch: Int
    public let dreams: Int

    public static let all: [String: Workload] = [
        "b1": Workload(name: "b1", layers: [784, 200, 200, 10], algorithm: .rws, samples: 5, batch: 100, dreams: 100),
        "b2": Workload(name: "b2", layers: [784, 200, 200, 10], algorithm: .nrws, samples: 5, batch: 100, dreams: 100),
        "b3": Workload(name: "b3", layers: [784, 1000, 500, 250, 10], algorithm: .rws, samples: 5, batch: 100, dreams: 100),
    ]

    /// The run settings of this workload (Adam 1e-3, float32), with `algorithm` overridden if given.
    public func settings(algorithm: Settings.Algorithm? = nil, data: String) throws -> Settings {
        var c = RunConfig()
        c.data = data
        c.layers = layers
        c.algorithm = (algorithm ?? self.algorithm).rawValue
        c.samples = (algorithm ?? self.algorithm) == .ws ? 1 : samples
        c.batch = batch
        c.dreams = dreams
        c.optimizer = "adam"
        c.lr = 1e-3
        c.steps = 1
        return try Settings(c)
    }
}
