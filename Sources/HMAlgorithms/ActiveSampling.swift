import HMCore

/// Whether each pattern (a row of 0/1 values, above 0.5 counting as 1) obeys a rule: the
/// test of active sampling, given by the engine (it may run a user's program, so it can fail).
public typealias PatternTest = ([[Float]]) throws -> [Bool]

/// Active sampling (Liu 2023): fine-tuning in which the machine learns only from what obeys a
/// rule and feeds its accepted fantasies back to itself. Around the wake phase of `ws` or
/// `rws`, each step:
///
///     x_b  ~ Uniform(pool)                      b < B (global index b keys the draw)
///     wake(x)                                    the inner algorithm's wake phase
///     for each dream slot d < D:                 (h′, x′) ~ p, candidates c = 0, 1, … < tries
///         (h′, x′)_d = the first candidate whose x′ passes the rule (none: the slot is empty)
///     sleep-q on the accepted (h′, x′), each weighted 1 / (number accepted)
///     pool ← pool + the accepted x′              after the step, on every rank alike
///
/// Every rank draws every slot's candidates (keyed by global slot and candidate index), so
/// the pool is the same on every rank without communication and does not depend on the
/// world size; a rank's sleep gradient is that of the accepted fantasies of its own slots.
/// The pool starts as the training data; its additions and the counts are the checkpointed
/// state. The draws use the parameters at the start of the step (the paper's notebook draws
/// the fantasy after the wake update; at its learning rate 0.01 the difference is one step).
public final class ActiveSampling: TrainingAlgorithm {
    let inner: TrainingAlgorithm
    public var machine: HelmholtzMachine { inner.machine }
    /// The inner algorithm's: a resume checks it, and the rule is a setting of the run.
    public var name: String { inner.name }
    let rule: PatternTest
    let tries: Int
    let width: Int
    /// The training data's rows, then every accepted fantasy, in the data layer's coding.
    public private(set) var pool: [Float]
    let dataCount: Int
    /// Candidates drawn at once (the notebook's ten).
    static let round = 10
    let candidates: SleepPhase
    /// The step's accepted fantasies, every layer, in slot order, and their slots.
    var fantasies: [Matrix] = []
    var slots: [Int] = []
    /// The sleep phase of a share: its slots' accepted fantasies.
    let chosen: SleepPhase
    let x: Matrix
    var drawnStep = -1
    var seed: UInt64 = 0
    var world = TrainingWorld(globalBatch: 1, globalDreams: 1)
    var ruleError: String?
    /// Totals of the run: candidates drawn, fantasies accepted, slots left empty.
    public private(set) var candidatesDrawn: Int64 = 0
    public private(set) var accepted: Int64 = 0
    public private(set) var emptySlots: Int64 = 0

    public init(inner: TrainingAlgorithm, pool data: Matrix, batch: Int, dreams: Int, rule: @escaping PatternTest, tries: Int) {
        self.inner = inner
        self.rule = rule
        self.tries = tries
        let machine = inner.machine
        width = machine.widths[0]
        precondition(data.cols == width, "pool of width \(data.cols) for \(width) visible units")
        pool = Array(UnsafeBufferPointer(start: data.data, count: data.count))
        dataCount = data.rows
        candidates = SleepPhase(machine: machine, dreams: Self.round)
        chosen = SleepPhase(machine: machine, dreams: dreams)
        x = Matrix(rows: batch, cols: width)
    }

    public var poolCount: Int { pool.count / width }

    public func prepare(_ world: TrainingWorld) {
        self.world = world
        inner.prepare(world)
        // Every rank keeps all of a step's accepted fantasies.
        fantasies = machine.widths.map { Matrix(rows: world.globalDreams, cols: $0) }
    }

    public func wake(_ s: StepShare) -> Double {
        seed = s.seed
        let n = poolCount, stream = RandomStream(key: s.seed, purpose: .pool, step: s.step)
        x.setRows(s.x.rows)
        var u: Float = 0
        for r in 0..<x.rows {
            stream.uniforms(tag: 0, index: s.firstExample + r, into: &u, count: 1)
            let i = min(Int(Double(u) * Double(n)), n - 1)
            pool.withUnsafeBufferPointer { x.row(r).update(from: $0.baseAddress! + i * width, count: width) }
        }
        var share = s
        share.x = x
        return inner.wake(share)
    }

    public var wakeFreeEnergy: Double? { inner.wakeFreeEnergy }

    public func sleep(_ s: StepShare) -> Double {
        seed = s.seed
        draw(step: s.step)
        guard !slots.isEmpty else { return 0 }
        let mine = slots.indices.filter { (s.firstDream..<(s.firstDream + s.dreams)).contains(slots[$0]) }
        for (l, m) in chosen.dream.enumerated() {
            m.setRows(mine.count)
            for (r, i) in mine.enumerated() { m.row(r).update(from: fantasies[l].row(i), count: m.cols) }
        }
        chosen.progress = s.progress
        return chosen.accumulateRecognitionGradient(weight: 1 / Float(slots.count))
    }

    /// The step's fantasies, once per step: for every global slot, candidates in rounds until
    /// one passes or `tries` are spent.
    func draw(step: Int) {
        guard drawnStep != step else { return }
        drawnStep = step
        slots = []
        let stream = RandomStream(key: seed, purpose: .sleep, step: step)
        let kind = machine.model.layers[0].kind
        for d in 0..<world.globalDreams {
            var tried = 0
            while tried < tries {
                let n = min(Self.round, tries - tried)
                candidates.dream(count: n, stream: stream, firstDream: d * tries + tried)
                let patterns = (0..<n).map { kind.decode(Array(UnsafeBufferPointer(start: candidates.dream[0].row($0), count: width))) }
                let passes: [Bool]
                do { passes = try rule(patterns) } catch {
                    ruleError = "\(error)"
                    return
                }
                if let j = passes.firstIndex(of: true) {
                    let row = slots.count
                    for (l, m) in fantasies.enumerated() {
                        m.setRows(row + 1)
                        m.row(row).update(from: candidates.dream[l].row(j), count: m.cols)
                    }
                    slots.append(d)
                    candidatesDrawn += Int64(tried + j + 1)
                    break
                }
                tried += n
            }
            if tried >= tries { candidatesDrawn += Int64(tries); emptySlots += 1 }
        }
    }

    public func exchanges(step: Int) -> [Exchange] { inner.exchanges(step: step) }

    /// The accepted fantasies join the pool, once per step, after every share has learned.
    public func afterExchange(step: Int) throws {
        draw(step: step)
        if let ruleError {
            self.ruleError = nil
            drawnStep = -1
            throw AlgorithmStateError(field: "active-sampling", "the rule failed: \(ruleError)")
        }
        try inner.afterExchange(step: step)
        for i in slots.indices { pool.append(contentsOf: UnsafeBufferPointer(start: fantasies[0].row(i), count: width)) }
        accepted += Int64(slots.count)
    }

    public var counters: [String: Double] {
        ["active_pool": Double(poolCount), "active_accepted": Double(accepted), "active_candidates": Double(candidatesDrawn),
         "active_empty_slots": Double(emptySlots)]
    }

    public var state: [StateTensor] {
        let added = Array(pool[(dataCount * width)...])
        return inner.state + [
            StateTensor(name: "active.pool", shape: [added.count / width, width], values: .float32(added)),
            StateTensor(name: "active.counts", shape: [3], values: .int64([candidatesDrawn, accepted, emptySlots])),
        ]
    }

    public func restore(_ state: [String: StateTensor]) throws {
        try inner.restore(state)
        guard let added = state["active.pool"], let counts = state["active.counts"] else {
            throw AlgorithmStateError(field: "active.pool", "the checkpoint has no active-sampling state (it was not trained with --active-sampling); start a new run with --init-from instead")
        }
        guard case .float32(let rows) = added.values, added.shape.count == 2, added.shape[1] == width else {
            throw AlgorithmStateError(field: "active.pool", "expected float32 [N, \(width)], found shape \(added.shape)")
        }
        let signed = machine.model.layers[0].kind.isSigned
        guard rows.allSatisfy({ signed ? $0 == 1 || $0 == -1 : $0 == 0 || $0 == 1 }) else {
            throw AlgorithmStateError(field: "active.pool", "expected \(signed ? "±1" : "0/1") states")
        }
        guard case .int64(let c) = counts.values, c.count == 3, c.allSatisfy({ $0 >= 0 }), c[1] == Int64(added.shape[0]) else {
            throw AlgorithmStateError(field: "active.counts", "expected 3 counts ≥ 0 (candidates, accepted = the pool's \(added.shape[0]) additions, empty slots)")
        }
        pool = Array(pool[..<(dataCount * width)]) + rows
        (candidatesDrawn, accepted, emptySlots) = (c[0], c[1], c[2])
        drawnStep = -1
    }

    public var summary: String? {
        let base = inner.summary.map { $0 + "; " } ?? ""
        return base + "active sampling: pool of \(poolCount) patterns (\(dataCount) of the data), the first of up to \(tries) fantasies per dream that passes the rule"
    }
}
