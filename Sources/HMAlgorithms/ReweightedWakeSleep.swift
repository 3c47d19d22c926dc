import Foundation
import HMCore

/// Reweighted wake-sleep (Bornschein & Bengio 2015).
///
/// K samples h_k ~ q(h | x), log-weights log w_k = log p(x, h_k) − log q(h_k | x) and normalised
/// weights w̃_k = w_k / Σ_j w_j, all stop-gradients. Then
/// - wake-p:  Σ_k w̃_k ∇_p log p(x, h_k)   (self-normalised estimate of ∇ log p(x))
/// - wake-q:  Σ_k w̃_k ∇_q log q(h_k | x)  (moves q towards the posterior p(h | x))
/// - sleep-q: ∇_q log q(h′ | x′) on dreams (h′, x′) ~ p
/// The q update is the sum of the wake-q and sleep-q means.
public final class ReweightedWakeSleep: TrainingAlgorithm {
    public let name = "rws"
    public let machine: HelmholtzMachine
    public let K: Int
    /// The wake phase's pass (read-only: `nrws` reads its samples for the Fisher).
    public let sampler: ImportanceSampler
    /// The sleep phase (read-only: `nrws` reads its dreams for the Fisher).
    public let sleeper: SleepPhase
    /// w̃_bk / B_global per sample row.
    let weights: Matrix
    /// q(h1 | x)'s delta folded over each point's K samples: [B, w1].
    let firstDelta: Matrix
    public private(set) var wakeFreeEnergy: Double?
    let logW: DoubleBuffer

    public init(machine: HelmholtzMachine, batch: Int, samples K: Int, dreams: Int) {
        self.machine = machine
        self.K = K
        sampler = ImportanceSampler(machine: machine, batch: batch, samples: K)
        sleeper = SleepPhase(machine: machine, dreams: dreams)
        weights = Matrix(rows: 1, cols: batch * K)
        firstDelta = Matrix(rows: batch, cols: machine.recognition[0].deltaWidth)
        logW = DoubleBuffer(K)
    }

    public func wake(_ s: StepShare) -> Double {
        let L = machine.depth
        sampler.run(s.x, stream: RandomStream(key: s.seed, purpose: .wake, step: s.step),
                    firstExample: s.firstExample, withDeltas: true)
        var bound = 0.0
        for b in 0..<sampler.batch {
            for k in 0..<K { logW[k] = sampler.logWeight(b * K + k) }
            let norm = logSumExp(UnsafeBufferPointer(start: logW.pointer, count: K))  // log Σ_k w_k
            bound += norm - log(Double(K))
            for k in 0..<K {
                weights.data[b * K + k] = Float(exp(logW[k] - norm)) / Float(s.globalBatch)
            }
        }
        sampler.accumulateGenerativeGradient(weights: weights.data)      // wake-p
        for l in 1..<L {                                                  // wake-q
            sampler.qDelta[l].scaleRows(by: weights.data)
            machine.recognition[l].accumulateGradient(delta: sampler.qDelta[l], input: sampler.h[l])
        }
        firstDelta.setRows(sampler.batch)
        firstDelta.setWeightedGroupSum(of: sampler.qDelta[0], weights: weights.data, groupSize: K)
        machine.recognition[0].accumulateGradient(delta: firstDelta, input: s.x)
        wakeFreeEnergy = sampler.freeEnergySum
        return bound
    }

    public func sleep(_ s: StepShare) -> Double {
        sleeper.progress = s.progress
        sleeper.dream(count: s.dreams, stream: RandomStream(key: s.seed, purpose: .sleep, step: s.step),
                      firstDream: s.firstDream)
        return sleeper.accumulateRecognitionGradient(weight: 1 / Float(s.globalDreams))
    }
}
