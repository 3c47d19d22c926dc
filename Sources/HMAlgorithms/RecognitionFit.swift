import HMCore

/// Fits the recognition network q to a frozen generative model p by the sleep phase alone,
/// q ← argmax_q E_{(h, x) ~ p}[log q(h | x)], with Adam on fresh dreams each step.
///
/// Why: an algorithm that trains no sampleable q (`ddc`) can then be scored like the others,
/// by importance sampling with this q as the proposal. Whatever q is, the estimate
/// E[log p̂(x)] is a lower bound on log p(x) (Jensen), tight as q → p(h | x); so the figure is
/// reported as what it is — a bound, and one that depends on how well q was fitted.
public enum RecognitionFit {
    /// Runs `steps` sleep steps of `dreams` dreams each (the sleep stream of `seed`, step t)
    /// and returns the mean log q(h′ | x′) of the last step's dreams. Only the recognition
    /// parameters move: the generative gradients stay 0, so Adam leaves them as they are.
    @discardableResult
    public static func fit(_ machine: HelmholtzMachine, steps: Int, dreams: Int, learningRate: Float, seed: UInt64) -> Double {
        let sleep = SleepPhase(machine: machine, dreams: dreams)
        let adam = Adam(count: machine.store.count, learningRate: learningRate)
        var last = 0.0
        for t in 0..<steps {
            machine.store.zeroGradients()
            sleep.dream(count: dreams, stream: RandomStream(key: seed, purpose: .sleep, step: t), firstDream: 0)
            last = sleep.accumulateRecognitionGradient(weight: 1 / Float(dreams)) / Double(dreams)
            adam.step(parameters: machine.store.values, gradients: machine.store.gradients)
        }
        return last
    }
}
