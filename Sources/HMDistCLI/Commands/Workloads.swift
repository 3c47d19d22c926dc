import HMTraining

/// The workloads of `hm-dist bench` (docs/training.md): B1 is binarized-MNIST shapes
/// 784-200-200-10 with rws, K = 5, batch 100, 100 dreams; B2 is B1 with nrws; B3 is B1 with
/// layers 784-1000-500-250-10; B4 is 8×8 natural patches, 64:gaussian-100-50 (a Gaussian
/// observation layer over Bernoulli latents) with rws, K = 5, batch 100, 100 dreams.
extension Workload {
    static let all: [String: Workload] = [
        "b1": Workload(name: "b1", layers: ["784", "200", "200", "10"], algorithm: .rws, samples: 5, batch: 100, dreams: 100),
        "b2": Workload(name: "b2", layers: ["784", "200", "200", "10"], algorithm: .nrws, samples: 5, batch: 100, dreams: 100),
        "b4": Workload(name: "b4", layers: ["64:gaussian", "100", "50"], algorithm: .rws, samples: 5, batch: 100, dreams: 100),
        "b3": Workload(name: "b3", layers: ["784", "1000", "500", "250", "10"], algorithm: .rws, samples: 5, batch: 100, dreams: 100),
    ]
}
