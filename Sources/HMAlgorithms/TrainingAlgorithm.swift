import HMCore

/// What one rank computes in one step: its share of the global batch and of the dreams.
/// Global indices key the random draws, so a share's numbers do not depend on the world size.
public struct StepShare {
    /// This rank's data points, [B_local, w0].
    public var x: Matrix
    /// Index of x's first row within the step's global batch.
    public var firstExample: Int
    public var globalBatch: Int
    public var dreams: Int
    public var firstDream: Int
    public var globalDreams: Int
    public var step: Int
    public var seed: UInt64
    /// Called between the sleep phase's layers: lets a caller move a non-blocking reduction
    /// of the wake gradients along while the sleep phase computes (MPI progresses a
    /// collective only inside MPI calls).
    public var progress: () -> Void = {}

    public init(x: Matrix, firstExample: Int, globalBatch: Int, dreams: Int, firstDream: Int,
                globalDreams: Int, step: Int, seed: UInt64) {
        self.x = x
        self.firstExample = firstExample
        self.globalBatch = globalBatch
        self.dreams = dreams
        self.firstDream = firstDream
        self.globalDreams = globalDreams
        self.step = step
        self.seed = seed
    }
}

/// Sums over this rank's share, to be summed across ranks and divided by the global counts.
public struct StepStatistics: Sendable {
    /// Σ_b log (1/K) Σ_k w_bk: the importance-sampled bound on log p(x) (K = 1: the ELBO sample).
    public var wakeBound = 0.0
    /// Σ_d log q(h′_d | x′_d) over the dreams: the sleep phase's objective.
    public var sleepLogQ = 0.0

    public init(wakeBound: Double = 0, sleepLogQ: Double = 0) {
        self.wakeBound = wakeBound
        self.sleepLogQ = sleepLogQ
    }
}

/// A wake-sleep-family algorithm. It adds this rank's share of the step's gradient — already
/// divided by the global batch and dream counts, so that the sum over ranks is the mean — to
/// `machine.store.gradients`. The two phases are separate so that a caller can overlap the
/// wake gradients' reduction with the sleep phase. It touches neither MPI nor files.
public protocol TrainingAlgorithm: AnyObject {
    var name: String { get }
    var machine: HelmholtzMachine { get }
    func wake(_ share: StepShare) -> Double
    func sleep(_ share: StepShare) -> Double
}

extension TrainingAlgorithm {
    public func accumulateGradients(_ share: StepShare) -> StepStatistics {
        StepStatistics(wakeBound: wake(share), sleepLogQ: sleep(share))
    }
}

extension ImportanceSampler {
    /// Wake-p: Σ_r weight_r ∇ log p(x, h_r) into the generative gradients.
    func accumulateGenerativeGradient(weights: UnsafePointer<Float>) {
        let L = machine.depth
        pDelta[L].scaleRows(by: weights)
        machine.prior.accumulateGradient(delta: pDelta[L], input: nil)
        for l in 0..<L {
            pDelta[l].scaleRows(by: weights)
            machine.generative[l].accumulateGradient(delta: pDelta[l], input: h[l + 1])
        }
    }
}
