import HMCore

/// How a goal-seeded dream's goal g* is drawn: uniformly over the goals, or from p(g).
public enum GoalDreams: String, CaseIterable, Sendable, Codable {
    case uniform, prior
}

/// Goal-seeded generation with cycle consistency (Li 2025, C²HM), around `ws` or `rws`, for a
/// machine whose top layer is a categorical goal g. This project's reading of the paper
/// (docs/training.md). Each step, every sampled state a stop-gradient:
///
///     wake     the inner algorithm's, with g clamped to the label where the point has one
///              (observed: rws's wake-q then trains q(y | h_{L−1}) with the importance weights)
///     sleep    g*_d ~ Uniform (or p(g));  (h̃, x̃) ~ p(· | g*) top down;  sleep-q on them
///     cycles   n = 1 … N, from the dream's trajectory h̃⁰ = (x̃⁰, h̃_1, …, g*):
///         ĥ_0 = x̃^{n−1};  ĥ_l ~ q(h_l | ĥ_{l−1}),  l = 1 … L−1          (inversion)
///         latent   + α_l ∇_q Σ_{l<L} log q(h̃^{n−1}_l | ĥ_{l−1})   each layer recognised from
///                                                               the recognised layer below
///         goal     + α_g ∇_q log q(g* | ĥ_{L−1})                  the seed recovered
///         content  + α_c ∇_p log p(x̃^{n−1} | ĥ_1)                 x̃ reconstructed
///         h̃^n_{L−1} ~ p(· | g*),  h̃^n_l ~ p(· | ĥ_{l+1}),  x̃^n ~ p(x | ĥ_1)   (re-simulation)
///
/// each term a mean over the dreams. Without labels and with N = 0 and g* from the prior, it
/// is the inner algorithm, bit for bit. Draws are keyed by (purpose goal, step, global dream,
/// cycle, layer), so the run does not depend on the world size or on where it was resumed.
public final class GoalSeeded: TrainingAlgorithm {
    let inner: WakeSampled
    public var machine: HelmholtzMachine { inner.machine }
    public var name: String { inner.name }
    public let cycles: Int
    let goalWeight: Float, latentWeight: Float, contentWeight: Float
    let seeding: GoalDreams
    /// The sleep phase (read-only: tests read its dreams).
    public let sleeper: SleepPhase
    /// The wake phase's clamped goals [B, G], and the dreams' goals g* [D, G].
    let labelled: Matrix
    let seeds: Matrix
    let uniform: Matrix
    /// A cycle's states: the trajectory h̃ it starts from (l = 0 … L), the next one, and the
    /// recognised ĥ (l = 0 … L − 1; ĥ_0 aliases x̃). Read-only: tests check the terms on them.
    public private(set) var trajectory: [Matrix]
    var next: [Matrix]
    public let recognised: [Matrix]
    let qPre: [Matrix], qDelta: [Matrix], pPre: [Matrix], pDelta: [Matrix]
    let logProb: DoubleBuffer
    let scale: Matrix

    public init(inner: WakeSampled, cycles: Int, goalWeight: Double, latentWeight: Double, contentWeight: Double,
                seeding: GoalDreams, batch: Int, dreams: Int) {
        self.inner = inner
        self.cycles = cycles
        self.goalWeight = Float(goalWeight)
        self.latentWeight = Float(latentWeight)
        self.contentWeight = Float(contentWeight)
        self.seeding = seeding
        let m = inner.machine, w = m.widths, L = m.depth
        sleeper = SleepPhase(machine: m, dreams: dreams)
        labelled = Matrix(rows: batch, cols: w[L])
        seeds = Matrix(rows: dreams, cols: w[L])
        uniform = Matrix(rows: 1, cols: m.prior.preWidth)
        trajectory = w.map { Matrix(rows: dreams, cols: $0) }
        next = w.map { Matrix(rows: dreams, cols: $0) }
        recognised = w.dropLast().map { Matrix(rows: dreams, cols: $0) }
        qPre = m.recognition.map { Matrix(rows: dreams, cols: $0.preWidth) }
        qDelta = m.recognition.map { Matrix(rows: dreams, cols: $0.deltaWidth) }
        pPre = m.generative.map { Matrix(rows: dreams, cols: $0.preWidth) }
        pDelta = m.generative.map { Matrix(rows: dreams, cols: $0.deltaWidth) }
        logProb = DoubleBuffer(dreams)
        scale = Matrix(rows: 1, cols: max(batch, dreams))
    }

    public func wake(_ s: StepShare) -> Double {
        guard let labels = s.labels else { return inner.wake(s) }
        let L = machine.depth, B = s.x.rows
        labelled.setRows(B)
        labelled.fill(0)
        for b in 0..<B where labels[b] >= 0 { labelled[b, labels[b]] = 1 }
        inner.sampler.clamp = WakeClamp(clamped: (0..<B).map { labels[$0] >= 0 },
                                        states: Array(repeating: nil, count: L - 1) + [labelled], recognitionLearns: true)
        defer { inner.sampler.clamp = nil }
        return inner.wake(s)
    }

    public func sleep(_ s: StepShare) -> Double {
        let D = s.dreams, L = machine.depth
        let goals = RandomStream(key: s.seed, purpose: .goal, step: s.step)
        var top: Matrix?
        if seeding == .uniform {
            seeds.setRows(D)
            machine.prior.sample(pre: uniform, every: max(D, 1), into: seeds, stream: goals,
                                 tag: goals.tag(.generative, layer: 0xFFFF), firstIndex: s.firstDream)
            top = seeds
        }
        sleeper.progress = s.progress
        sleeper.dream(count: D, stream: RandomStream(key: s.seed, purpose: .sleep, step: s.step), firstDream: s.firstDream, top: top)
        let logQ = sleeper.accumulateRecognitionGradient(weight: 1 / Float(s.globalDreams))
        if cycles > 0 {
            for l in 0...L { trajectory[l].setRows(D); trajectory[l].copy(from: sleeper.dream[l]) }
            for n in 0..<cycles {
                cycle(n, dreams: D, first: s.firstDream, weight: 1 / Float(s.globalDreams), stream: goals)
                s.progress()
            }
        }
        return logQ
    }

    /// Cycle n on the trajectory in `trajectory`; leaves the re-simulated one there.
    func cycle(_ n: Int, dreams D: Int, first: Int, weight: Float, stream: RandomStream) {
        let L = machine.depth, tag = (n + 1) << 8
        let goal = trajectory[L]
        // Inversion, with the latent and goal terms on the way up.
        var below = trajectory[0]
        for l in 0..<L {
            let q = machine.recognition[l]
            qPre[l].setRows(D)
            qDelta[l].setRows(D)
            q.preactivation(below, into: qPre[l])
            q.score(pre: qPre[l], preEvery: 1, value: trajectory[l + 1], valueEvery: 1, rows: D, delta: qDelta[l], logProb: logProb.pointer)
            accumulate(q, delta: qDelta[l], input: below, weight: (l == L - 1 ? goalWeight : latentWeight) * weight)
            guard l < L - 1 else { break }
            recognised[l + 1].setRows(D)
            q.sample(pre: qPre[l], every: 1, into: recognised[l + 1], stream: stream,
                     tag: stream.tag(.recognition, layer: tag | l), firstIndex: first)
            below = recognised[l + 1]
        }
        // Content term and re-simulation, each layer from its recognised parent (the top: g*).
        let last = n == cycles - 1
        for l in (0..<L).reversed() {
            let p = machine.generative[l], parent = l == L - 1 ? goal : recognised[l + 1]
            pPre[l].setRows(D)
            p.preactivation(parent, into: pPre[l])
            if l == 0 {
                pDelta[0].setRows(D)
                p.score(pre: pPre[0], preEvery: 1, value: trajectory[0], valueEvery: 1, rows: D, delta: pDelta[0], logProb: logProb.pointer)
                accumulate(p, delta: pDelta[0], input: parent, weight: contentWeight * weight)
            }
            if !last {
                next[l].setRows(D)
                p.sample(pre: pPre[l], every: 1, into: next[l], stream: stream, tag: stream.tag(.generative, layer: tag | l), firstIndex: first)
            }
        }
        if !last { for l in 0..<L { swap(&trajectory[l], &next[l]) } }
    }

    func accumulate(_ layer: ConditionalLayer, delta: Matrix, input: Matrix, weight: Float) {
        guard weight != 0 else { return }
        scale.setRows(1)
        for i in 0..<delta.rows { scale.data[i] = weight }
        delta.scaleRows(by: scale.data)
        layer.accumulateGradient(delta: delta, input: input)
    }

    /// A parameter's gradient sums wake-p, wake-q, sleep-q and each cycle's weighted terms.
    public func exchanges(step: Int) -> [Exchange] {
        Exchange.gradients(of: machine, terms: 3 + Double(cycles) * Double(goalWeight + latentWeight + contentWeight))
    }

    public var wakeFreeEnergy: Double? { inner.wakeFreeEnergy }
    public func prepare(_ world: TrainingWorld) { inner.prepare(world) }
    public var state: [StateTensor] { inner.state }
    public func restore(_ state: [String: StateTensor]) throws { try inner.restore(state) }
}
