import HMAlgorithms
import HMCore

/// A small algorithm of the tests' own, written against the contract alone: only the sleep
/// phase (q fitted to dreams of a fixed p), with a state tensor of its own — the dreams seen —
/// that a resume must bring back.
final class SleepOnly: TrainingAlgorithm {
    let name = "sleep-only"
    let machine: HelmholtzMachine
    let sleeper: SleepPhase
    var dreamsSeen: Int64 = 0
    var world = TrainingWorld(globalBatch: 1, globalDreams: 1)

    init(machine: HelmholtzMachine, dreams: Int) {
        self.machine = machine
        sleeper = SleepPhase(machine: machine, dreams: dreams)
    }

    func prepare(_ world: TrainingWorld) { self.world = world }

    func wake(_ share: StepShare) -> Double { 0 }

    func sleep(_ s: StepShare) -> Double {
        sleeper.progress = s.progress
        sleeper.dream(count: s.dreams, stream: RandomStream(key: s.seed, purpose: .sleep, step: s.step), firstDream: s.firstDream)
        return sleeper.accumulateRecognitionGradient(weight: 1 / Float(s.globalDreams))
    }

    /// Only the recognition gradients travel: p has none.
    func exchanges(step: Int) -> [Exchange] { [Exchange.gradients(of: machine)[1]] }

    func afterExchange(step: Int) throws { dreamsSeen += Int64(world.globalDreams) }

    var state: [StateTensor] { [StateTensor(name: "sleep-only.dreams", shape: [1], values: .int64([dreamsSeen]))] }

    func restore(_ state: [String: StateTensor]) throws {
        guard let n = state["sleep-only.dreams"]?.integers?.first else {
            throw AlgorithmStateError(field: "sleep-only.dreams", "missing")
        }
        dreamsSeen = n
    }
}
