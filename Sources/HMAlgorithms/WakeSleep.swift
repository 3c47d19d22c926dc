import HMCore

/// Classic wake-sleep (Hinton, Dayan, Frey & Neal 1995).
///
/// - wake-p: one sample h ~ q(h | x); ascend ∇_p log p(x, h), with h a stop-gradient sample.
/// - sleep-q: dreams (h′, x′) ~ p; ascend ∇_q log q(h′ | x′).
public final class WakeSleep: TrainingAlgorithm {
    public let name = "ws"
    public let machine: HelmholtzMachine
    /// The wake phase's pass (read-only: `nws` reads its samples for the Fisher).
    public let sampler: ImportanceSampler
    /// The sleep phase (read-only: `nws` reads its dreams for the Fisher).
    public let sleeper: SleepPhase
    let weights: Matrix
    public private(set) var wakeFreeEnergy: Double?

    public init(machine: HelmholtzMachine, batch: Int, dreams: Int) {
        self.machine = machine
        sampler = ImportanceSampler(machine: machine, batch: batch, samples: 1)
        sleeper = SleepPhase(machine: machine, dreams: dreams)
        weights = Matrix(rows: 1, cols: batch)
    }

    public func wake(_ s: StepShare) -> Double {
        sampler.run(s.x, stream: RandomStream(key: s.seed, purpose: .wake, step: s.step),
                    firstExample: s.firstExample, withDeltas: true)
        var bound = 0.0
        for b in 0..<sampler.batch {
            bound += sampler.logWeight(b)                 // log p(x, h) − log q(h | x), h ~ q
            weights.data[b] = 1 / Float(s.globalBatch)    // each point counts once in the mean
        }
        sampler.accumulateGenerativeGradient(weights: weights.data)
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
