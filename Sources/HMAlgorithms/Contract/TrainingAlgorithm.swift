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
    /// Called between the sleep phase's layers: lets the engine move a non-blocking reduction
    /// of the wake gradients along while the sleep phase computes (MPI progresses a
    /// collective only inside MPI calls).
    public var progress: () -> Void = {}
    /// The label of each point of x where the data has labels and the point's is given, −1
    /// where it is not; nil: no labels (goal-seeded generation clamps its goal to them).
    public var labels: [Int]?

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

/// Where a rank stands in a data-parallel run, and the global sizes of every step.
public struct TrainingWorld: Sendable, Equatable {
    public var rank: Int
    public var size: Int
    public var globalBatch: Int
    public var globalDreams: Int

    public init(rank: Int = 0, size: Int = 1, globalBatch: Int, globalDreams: Int) {
        self.rank = rank
        self.size = size
        self.globalBatch = globalBatch
        self.globalDreams = globalDreams
    }
}

/// A wake-sleep-family algorithm: the contract between an algorithm and the training engine.
/// It touches neither MPI nor files; the engine names no algorithm.
///
/// One step, as the engine runs it on every rank:
///
///     for each share of the step this rank computes (one; or, exactly reduced, its micro-blocks):
///         zero machine.store.gradients
///         wake(share)          // [buffers due `.duringSleep` may now travel]
///         sleep(share)
///         statistics(share)
///         [each exchange of exchanges(step:) now holds this share's part]
///     sum / gather every exchange across ranks
///     afterExchange(step:)     // every rank holds the same buffers: e.g. factor a Fisher
///     finishGradients(step:)   // e.g. precondition; this rank's `ownedSegments` only,
///     [gather every rank's segments]           // when the algorithm splits the work
///     optimizer step on machine.store.gradients
///
/// Gradients are added, already divided by the global batch and dream counts, so that the sum
/// over ranks is the mean. Every hook but `wake`, `sleep` and `exchanges` has a default that
/// does nothing.
public protocol TrainingAlgorithm: AnyObject {
    var name: String { get }
    var machine: HelmholtzMachine { get }
    /// Once, before the first step (and before `restore`).
    func prepare(_ world: TrainingWorld)
    /// The wake phase of a share; returns Σ over its points of the bound on log p(x).
    func wake(_ share: StepShare) -> Double
    /// After `wake`: Σ over the share's points of the free energy E_q[log q − log p(x, h)]
    /// as its samples estimate it; nil for an algorithm without a sampleable q.
    var wakeFreeEnergy: Double? { get }
    /// The sleep phase of a share; returns Σ over its dreams of log q(h′ | x′).
    func sleep(_ share: StepShare) -> Double
    /// Statistics of the share after both phases (a Fisher on the steps that recompute it).
    func statistics(_ share: StepShare)
    /// What must be combined across ranks at step `step`: asked after a share's wake phase
    /// (for the `.duringSleep` buffers) and after its statistics; the same list (same kinds
    /// and sizes) for every share of a step. Default: the machine's gradients.
    func exchanges(step: Int) -> [Exchange]
    /// After the exchanges: local work every rank does alike on the same numbers.
    func afterExchange(step: Int) throws
    /// Turns the summed gradients into the step's update direction (in place); returns
    /// whether it changed them (the engine then checks them again for finiteness).
    func finishGradients(step: Int) -> Bool
    /// The gradient values rank `rank` computes in `finishGradients` when the ranks split that
    /// work, fixed for the run; the engine gathers them to every rank. nil: no split.
    func ownedSegments(rank: Int) -> [UnsafeMutableBufferPointer<Float>]?
    /// State that a resumed run needs besides the parameters and the optimizer.
    var state: [StateTensor] { get }
    /// Restores `state` (every tensor of the checkpoint that is not a parameter or the
    /// optimizer's, by name). Throws `AlgorithmStateError` when it does not fit.
    func restore(_ state: [String: StateTensor]) throws
    /// A line for the log, or nil.
    var summary: String? { get }
    /// Figures of the algorithm's own for every metrics record (e.g. active sampling's pool size).
    var counters: [String: Double] { get }
    /// Seconds spent so far in the algorithm's own named parts of its steps (e.g. `ddc`'s
    /// regressions), for the bench; empty when it keeps none.
    var partSeconds: [String: Double] { get }
    /// Whether it trains the machine's recognition network. When it does not (`ddc`), a
    /// held-out estimate with that network as the proposal says little about the model: the
    /// engine reports it but does not judge divergence on it.
    var trainsRecognition: Bool { get }
}

extension TrainingAlgorithm {
    public func prepare(_ world: TrainingWorld) {}
    public var wakeFreeEnergy: Double? { nil }
    public func statistics(_ share: StepShare) {}
    public func exchanges(step: Int) -> [Exchange] { Exchange.gradients(of: machine) }
    public func afterExchange(step: Int) throws {}
    public func finishGradients(step: Int) -> Bool { false }
    public func ownedSegments(rank: Int) -> [UnsafeMutableBufferPointer<Float>]? { nil }
    public var state: [StateTensor] { [] }
    public func restore(_ state: [String: StateTensor]) throws {}
    public var summary: String? { nil }
    public var counters: [String: Double] { [:] }
    public var partSeconds: [String: Double] { [:] }
    public var trainsRecognition: Bool { true }

    /// Both phases of one share, in a world of one.
    public func accumulateGradients(_ share: StepShare) -> StepStatistics {
        StepStatistics(wakeBound: wake(share), sleepLogQ: sleep(share))
    }
}

/// Saved state that does not fit the algorithm: names the tensor and what was expected.
public struct AlgorithmStateError: Error, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
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
