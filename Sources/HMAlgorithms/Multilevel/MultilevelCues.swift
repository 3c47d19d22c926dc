import HMCore

/// An algorithm whose wake phase is one importance-sampling pass that cues may clamp.
public protocol WakeSampled: TrainingAlgorithm {
    var sampler: ImportanceSampler { get }
}

extension WakeSleep: WakeSampled {}
extension ReweightedWakeSleep: WakeSampled {}
extension NaturalWakeSleep: WakeSampled {}

/// λ(t) = max(0, 1 − t / T): the probability that a point's hidden layers are clamped to its
/// cues at step t, from 1 at the first step to 0 after T steps (`--multilevel-epochs` epochs).
public struct CueSchedule: Sendable, Equatable {
    public let steps: Int
    public init(steps: Int) { self.steps = steps }
    public func lambda(step t: Int) -> Double {
        steps <= 0 ? 0 : max(0, 1 - Double(t) / Double(steps))
    }
}

/// Multi-level data representation (Ramos, Sa-Couto & Wichert), around the wake phase of ws,
/// rws or their natural variants. Each step:
///
///     λ = λ(step)
///     for each point b (global index keys the draw):
///         clamped_b = u_b < λ,  u_b ~ U(0, 1)
///         h_l = c_l(x_b) for every hidden layer l       if clamped_b (the cue pyramid)
///             ~ q(h_l | h_{l−1})                         otherwise
///     wake(x)        the inner algorithm's: wake-p on p(x, h) — on cue states the delta rule
///                    ∇ Σ_l log p(c_l | c_{l+1}); q learns nothing from the clamped points …
///     wake-q on cues (--multilevel-recognition): + (1/B) Σ_{b clamped} ∇ Σ_l log q(c_{l+1} | c_l)
///     sleep          unchanged
///
/// λ is a function of the step and the draws are keyed by (step, point), so there is no state:
/// a resumed run and any world size clamp the same points to the same cues. The wake bound
/// of a clamped point is log p(x, c), a looser bound than the others' while λ > 0.
public final class MultilevelCues: TrainingAlgorithm {
    let inner: WakeSampled
    public var machine: HelmholtzMachine { inner.machine }
    public var name: String { inner.name }
    public let pyramid: CuePyramid
    public let schedule: CueSchedule
    let trainRecognition: Bool
    /// cues[l]: [B, w_l] for l = 0...L; cues[0] holds the clamped points' x.
    let cues: [Matrix]
    /// states[l − 1]: [B, w_l], every point's row (the clamped ones' cues): the sampler's clamp.
    let states: [Matrix]
    let pre: [Matrix]
    let delta: [Matrix]
    let logQ: DoubleBuffer
    let scale: Matrix
    var lastLambda = 0.0
    var lastClamped = 0.0

    public init(inner: WakeSampled, pyramid: CuePyramid, schedule: CueSchedule, trainRecognition: Bool, batch: Int) {
        self.inner = inner
        self.pyramid = pyramid
        self.schedule = schedule
        self.trainRecognition = trainRecognition
        let m = inner.machine
        cues = m.widths.map { Matrix(rows: batch, cols: $0) }
        states = m.widths.dropFirst().map { Matrix(rows: batch, cols: $0) }
        pre = m.recognition.map { Matrix(rows: batch, cols: $0.preWidth) }
        delta = m.recognition.map { Matrix(rows: batch, cols: $0.deltaWidth) }
        logQ = DoubleBuffer(batch)
        scale = Matrix(rows: 1, cols: batch)
    }

    public func wake(_ s: StepShare) -> Double {
        let lambda = schedule.lambda(step: s.step)
        lastLambda = lambda
        guard lambda > 0 else { lastClamped = 0; return inner.wake(s) }
        let B = s.x.rows, L = machine.depth
        let stream = RandomStream(key: s.seed, purpose: .cue, step: s.step)
        var clamped = [Bool](repeating: false, count: B)
        var u: Float = 0
        for b in 0..<B {
            stream.uniforms(tag: stream.tag(.generative, layer: 0), index: s.firstExample + b, into: &u, count: 1)
            clamped[b] = Double(u) < lambda
        }
        // The clamped points' cues, packed: row i of cues[l] is the i-th clamped point's.
        let points = clamped.indices.filter { clamped[$0] }
        for l in 0...L { cues[l].setRows(points.count) }
        for (i, b) in points.enumerated() {
            cues[0].row(i).update(from: s.x.row(b), count: s.x.cols)
            pyramid.cues(of: s.x.row(b), into: (1...L).map { cues[$0].row(i) }) { level, n, out in
                stream.uniforms(tag: stream.tag(.generative, layer: level), index: s.firstExample + b, into: out, count: n)
            }
        }
        // The sampler's clamp holds a row for every point of the share.
        for (l, m) in zip(1...L, states) {
            m.setRows(B)
            for (i, b) in points.enumerated() { m.row(b).update(from: cues[l].row(i), count: m.cols) }
        }
        inner.sampler.clamp = WakeClamp(clamped: clamped, states: states, recognitionLearns: false)
        let bound = inner.wake(s)
        inner.sampler.clamp = nil
        if trainRecognition && !points.isEmpty { accumulateRecognitionOnCues(count: points.count, weight: 1 / Float(s.globalBatch)) }
        lastClamped = Double(points.count) / Double(max(B, 1))
        return bound
    }

    /// Wake-q on the cue pairs: weight · Σ_i ∇ Σ_l log q(c_{l+1} | c_l) of the packed points.
    func accumulateRecognitionOnCues(count n: Int, weight: Float) {
        scale.setRows(1)
        for i in 0..<n { scale.data[i] = weight }
        logQ.zero(n)
        for (l, q) in machine.recognition.enumerated() {
            pre[l].setRows(n)
            delta[l].setRows(n)
            q.preactivation(cues[l], into: pre[l])
            q.score(pre: pre[l], preEvery: 1, value: cues[l + 1], valueEvery: 1, rows: n, delta: delta[l], logProb: logQ.pointer)
            delta[l].scaleRows(by: scale.data)
            q.accumulateGradient(delta: delta[l], input: cues[l])
        }
    }

    public var wakeFreeEnergy: Double? { inner.wakeFreeEnergy }
    public func prepare(_ world: TrainingWorld) { inner.prepare(world) }
    public func sleep(_ s: StepShare) -> Double { inner.sleep(s) }
    public func statistics(_ s: StepShare) { inner.statistics(s) }
    public func exchanges(step: Int) -> [Exchange] { inner.exchanges(step: step) }
    public func afterExchange(step: Int) throws { try inner.afterExchange(step: step) }
    public func finishGradients(step: Int) -> Bool { inner.finishGradients(step: step) }
    public func ownedSegments(rank: Int) -> [UnsafeMutableBufferPointer<Float>]? { inner.ownedSegments(rank: rank) }
    public var state: [StateTensor] { inner.state }
    public func restore(_ state: [String: StateTensor]) throws { try inner.restore(state) }
    public var summary: String? { inner.summary }
    /// λ of the last step and the fraction of this rank's points it clamped.
    public var counters: [String: Double] {
        inner.counters.merging(["multilevel_lambda": lastLambda, "multilevel_clamped": lastClamped]) { a, _ in a }
    }
    public var partSeconds: [String: Double] { inner.partSeconds }
    public var trainsRecognition: Bool { inner.trainsRecognition }
}
