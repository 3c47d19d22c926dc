import HMCore

/// Which solver a layer's (F_i + αI)⁻¹ uses.
public enum FisherSolverKind: String, Sendable, Equatable {
    /// Accumulate the d×d blocks, factor each (units · (N·d²/2 + d³/3)).
    case direct
    /// N×N systems through one Gram matrix per layer (units · N³/3), for N < d.
    case woodbury
}

/// How the preconditioner picks a layer's solver.
public enum FisherSolverPolicy: Sendable, Equatable {
    /// Woodbury when the layer's sample count N is below fanIn + 1, direct otherwise.
    case automatic
    case always(FisherSolverKind)
}

/// The Fisher samples of one conditional layer: sample r has parent state `parents[r]` and
/// pre-activation `pre[r / every]`, and counts with weight `rowWeights[r]` (1 if nil).
/// For the prior no samples are needed: its Fisher σ'(logit) is exact.
public struct FisherSamples {
    public var parents: Matrix
    public var pre: Matrix
    public var every: Int
    public var rowWeights: UnsafePointer<Float>?
    /// The number of samples over all ranks, which decides the solver (all ranks must choose
    /// alike); this rank's `count` if nil.
    public var globalCount: Int?

    public init(parents: Matrix, pre: Matrix, every: Int = 1, rowWeights: UnsafePointer<Float>? = nil,
                globalCount: Int? = nil) {
        self.parents = parents
        self.pre = pre
        self.every = every
        self.rowWeights = rowWeights
        self.globalCount = globalCount
    }

    public var count: Int { parents.rows }
}

/// The natural-gradient step of `nws` / `nrws`: g ← (F + αI)⁻¹ g on every layer's gradient
/// in `machine.store.gradients`, F the exact block-diagonal Fisher of the sigmoid belief
/// network (one block per unit over its incoming weights and bias; docs/training.md):
/// - the top prior: scalar blocks F = σ'(logit), exact, no samples;
/// - `generative.l`, p(h_l | h_{l+1}): F_i = E[c_i h̃h̃ᵀ], h̃ = [h_{l+1}; 1];
/// - `recognition.l`, q(h_{l+1} | h_l): F_i = E[c_i h̃h̃ᵀ], h̃ = [h_l; 1];
/// each expectation over the samples the caller passes (`NaturalWakeSleep` says which).
/// c comes from the layer's `fisherWeights`, so nothing here knows the distribution.
///
/// A second recognition term (`wakeGradients`): a gradient laid out like the recognition
/// tensors, kept apart from the store's and preconditioned by its own blocks,
/// `recognition.l.wake` — nrws's wake-q term, whose Fisher is taken under the data, while the
/// store's recognition gradient (the sleep-q term) gets the blocks under the dreams.
///
/// Two stages, so that ranks can sum the direct layers' blocks between them:
/// `accumulate` (direct layers: `FisherBlocks` sums; Woodbury layers: keep the samples), then
/// `factor`; `update` does both. `apply` may then be called for any number of gradients.
public final class NaturalPreconditioner: CustomStringConvertible {
    /// One layer's choice, for the log.
    public struct Plan: Sendable, Equatable, CustomStringConvertible {
        public let name: String
        public let kind: FisherSolverKind
        public let samples: Int
        public let dimension: Int
        public let units: Int
        /// True for the prior (its Fisher is exact, not estimated).
        public let exact: Bool

        public var description: String {
            if exact { return "\(name) exact σ'(logit) (\(units) units)" }
            let rel = samples < dimension ? "<" : "≥"
            return "\(name) \(kind.rawValue) (N = \(samples) \(rel) d = \(dimension), \(units) units)"
        }
    }

    /// One head (`FisherHead`) of one layer: what is preconditioned with its own blocks.
    struct Layer {
        let name: String
        let layer: ConditionalLayer
        let head: FisherHead
        let units: Int
        let fanIn: Int
        let weightGradient: Matrix?
        let biasGradient: Matrix
        /// False for the second recognition term's layers, whose gradients are `wakeGradients`.
        var inStore = true
        /// Which of `accumulate`'s samples it is estimated from (generative, then recognition,
        /// then wake layers); nil when its Fisher is exact: the prior's, or a constant without
        /// parents (a per-unit log-variance).
        var samples: Int?
    }

    /// The entries of one layer's heads, named `name` + the head's suffix (+ `tail`).
    static func heads(_ name: String, _ layer: ConditionalLayer, prefix: String, samples: Int?, tail: String = "",
                      inStore: Bool = true, gradient: (String) -> Matrix) -> [Layer] {
        layer.fisherHeads.map { h in
            Layer(name: name + h.suffix + tail, layer: layer, head: h, units: layer.outWidth, fanIn: h.weight == nil ? 0 : layer.inWidth,
                  weightGradient: h.weight.map { gradient("\(prefix).\($0)") }, biasGradient: gradient("\(prefix).\(h.bias)"),
                  inStore: inStore, samples: h.weight == nil ? nil : samples)
        }
    }

    public let machine: HelmholtzMachine
    public var damping: Double
    public var policy: FisherSolverPolicy
    /// The last `accumulate`'s choice per layer: prior, generative 0..<L, recognition 0..<L.
    public private(set) var plans: [Plan] = []
    /// The direct layers' summed blocks after `accumulate` (incl. the prior's): the buffers
    /// ranks allreduce before `factor`.
    public private(set) var blocks: [FisherBlocks] = []
    let layers: [Layer]
    var pending: [Int: (parents: Matrix, weights: Matrix, rowWeights: [Float]?)] = [:]
    var blocksByLayer: [Int: FisherBlocks] = [:]
    var solvers: [FisherSolver?]

    /// The second recognition term's gradient (see above), or nil.
    public let wakeGradients: Matrix?

    public init(machine: HelmholtzMachine, damping: Double, policy: FisherSolverPolicy = .automatic,
                wakeGradients: Matrix? = nil) {
        self.machine = machine
        self.damping = damping
        self.policy = policy
        self.wakeGradients = wakeGradients
        let store = machine.store, L = machine.depth
        var layers = Self.heads("generative.prior", machine.prior, prefix: "generative.prior", samples: nil, gradient: store.gradient)
        for l in 0..<L {
            layers += Self.heads("generative.\(l)", machine.generative[l], prefix: "generative.\(l)", samples: l, gradient: store.gradient)
        }
        for l in 0..<L {
            layers += Self.heads("recognition.\(l)", machine.recognition[l], prefix: "recognition.\(l)", samples: L + l, gradient: store.gradient)
        }
        if let wake = wakeGradients {
            let origin = machine.recognitionOffset
            precondition(wake.count == store.count - origin, "wake gradients of \(wake.count) values, expected \(store.count - origin)")
            for l in 0..<L {
                layers += Self.heads("recognition.\(l)", machine.recognition[l], prefix: "recognition.\(l)", samples: 2 * L + l, tail: ".wake",
                                     inStore: false, gradient: { store.view($0, in: wake, origin: origin) })
            }
        }
        self.layers = layers
        solvers = Array(repeating: nil, count: layers.count)
    }

    /// Which part of the factoring and solving this rank does: each layer's units are split
    /// evenly (`evenShare`) over `size` ranks, and `factor` and `apply` work on this rank's
    /// units only, leaving the others' gradients as they were — the caller then gathers every
    /// rank's `solvedSegments` so that all hold the whole preconditioned gradient. Each unit's
    /// result is the same bits whichever rank computes it. (0, 1), a world of one, by default.
    public var share: (rank: Int, size: Int) = (0, 1)

    /// This rank's units of a layer of `units` units.
    public func owned(units: Int) -> Range<Int> { evenShare(of: units, rank: share.rank, size: share.size) }

    /// The gradient values rank `rank`'s solves produce, in a fixed order (the same on every
    /// rank): for every layer whose gradient is in the store, the weight rows of its units of
    /// that rank, then their biases. The `.wake` terms are not among them: `NaturalWakeSleep`
    /// adds them into the recognition gradients of the same units before the gathering.
    public func solvedSegments(rank: Int) -> [UnsafeMutableBufferPointer<Float>] {
        var out: [UnsafeMutableBufferPointer<Float>] = []
        for layer in layers where layer.inStore {
            let units = evenShare(of: layer.units, rank: rank, size: share.size)
            if let w = layer.weightGradient {
                out.append(UnsafeMutableBufferPointer(start: w.data + units.lowerBound * layer.fanIn, count: units.count * layer.fanIn))
            }
            out.append(UnsafeMutableBufferPointer(start: layer.biasGradient.data + units.lowerBound, count: units.count))
        }
        return out
    }

    /// For the log only: the Fisher decay ρ of the running average that `NaturalWakeSleep`
    /// keeps of the direct layers' blocks (0: none). Nothing here decays.
    public var fisherDecay: Double = 0

    /// One line naming every layer's solver (and, with a Fisher decay, which layers it averages).
    public var description: String {
        var line = "natural gradient, damping \(damping): " + plans.map(\.description).joined(separator: "; ")
        if fisherDecay > 0 {
            let direct = plans.filter { $0.kind == .direct && !$0.exact }.map(\.name)
            line += "; Fisher decay \(fisherDecay): running average of the direct layers' blocks ("
                + (direct.isEmpty ? "none" : direct.joined(separator: ", "))
                + "); Woodbury layers use each recompute step's samples, the prior is exact"
        }
        return line
    }

    /// The solver a layer of N samples and dimension d gets under `policy`.
    public func kind(samples: Int, dimension: Int) -> FisherSolverKind {
        switch policy {
        case .automatic: return samples < dimension ? .woodbury : .direct
        case .always(let k): return k
        }
    }

    /// Stage 1: the Fisher weights of every layer's samples (`generative[l]` for
    /// p(h_l | h_{l+1}), `recognition[l]` for q(h_{l+1} | h_l), `wake[l]` for the second
    /// recognition term — required exactly when there is one); direct layers sum their blocks
    /// afresh, Woodbury layers keep a copy of the samples.
    public func accumulate(generative: [FisherSamples], recognition: [FisherSamples], wake: [FisherSamples]? = nil) {
        let L = machine.depth
        precondition(generative.count == L && recognition.count == L, "Fisher samples for \(L) layers each")
        precondition((wake != nil) == (wakeGradients != nil) && (wake?.count ?? L) == L,
                     "wake-term Fisher samples for \(L) layers exactly when there is a wake term")
        plans = []
        blocks = []
        pending = [:]
        blocksByLayer = [:]
        solvers = Array(repeating: nil, count: layers.count)

        let samples = generative + recognition + (wake ?? [])
        for (index, layer) in layers.enumerated() {
            guard let k = layer.samples else {
                // Exact: one "sample" of weight 1 — the prior's c at its own pre-activation (a
                // softmax prior keeps p itself, for its coupled solve), or the head's constant.
                let weights = Matrix(rows: 1, cols: layer.units)
                if let c = layer.head.constant { weights.fill(c) } else {
                    let pre = Matrix(rows: 1, cols: layer.layer.preWidth)
                    layer.layer.preactivation(nil, into: pre)
                    if layer.head.softmax { layer.layer.mean(pre: pre, into: weights) } else {
                        layer.layer.fisherWeights(pre: pre, every: 1, rows: 1, into: weights)
                    }
                }
                let b = FisherBlocks(units: layer.units, fanIn: 0, name: layer.name)
                b.accumulate(parents: nil, weights: weights)
                blocksByLayer[index] = b
                blocks.append(b)
                plans.append(Plan(name: layer.name, kind: .direct, samples: 1, dimension: 1, units: layer.units, exact: true))
                continue
            }
            let s = samples[k], n = s.count
            precondition(s.parents.cols == layer.fanIn, "\(layer.name): parents of width \(s.parents.cols), fan-in \(layer.fanIn)")
            precondition(s.pre.cols == layer.layer.preWidth, "\(layer.name): pre-activations of width \(s.pre.cols)")
            let weights = Matrix(rows: n, cols: layer.units)
            if let c = layer.head.constant { weights.fill(c) } else { layer.layer.fisherWeights(pre: s.pre, every: s.every, rows: n, into: weights) }
            let global = s.globalCount ?? n
            let kind = self.kind(samples: global, dimension: layer.fanIn + 1)
            plans.append(Plan(name: layer.name, kind: kind, samples: global, dimension: layer.fanIn + 1,
                              units: layer.units, exact: false))
            switch kind {
            case .direct:
                let b = FisherBlocks(units: layer.units, fanIn: layer.fanIn, name: layer.name)
                b.accumulate(parents: s.parents, weights: weights, rowWeights: s.rowWeights)
                blocksByLayer[index] = b
                blocks.append(b)
            case .woodbury:
                let parents = Matrix(rows: n, cols: layer.fanIn)
                if n > 0 { parents.data.update(from: s.parents.data, count: n * layer.fanIn) }
                let rho = s.rowWeights.map { Array(UnsafeBufferPointer(start: $0, count: n)) }
                pending[index] = (parents, weights, rho)
            }
        }
    }

    /// The samples each Woodbury layer keeps after `accumulate`, by layer name: parents
    /// [N, fanIn] and Fisher weights [N, units]. Across ranks these are what to allgather (far
    /// smaller than the blocks a direct layer would allreduce), then `setWoodburySamples`.
    public var woodburySamples: [(name: String, parents: Matrix, weights: Matrix)] {
        pending.keys.sorted().map { (layers[$0].name, pending[$0]!.parents, pending[$0]!.weights) }
    }

    /// Replaces a Woodbury layer's samples (e.g. by the samples of all ranks, gathered in
    /// global order), before `factor`.
    public func setWoodburySamples(name: String, parents: Matrix, weights: Matrix, rowWeights: [Float]? = nil) {
        guard let index = layers.firstIndex(where: { $0.name == name }), pending[index] != nil else {
            preconditionFailure("\(name) is not a Woodbury layer of this update")
        }
        let layer = layers[index]
        precondition(parents.cols == layer.fanIn && weights.cols == layer.units && parents.rows == weights.rows
                     && (rowWeights == nil || rowWeights!.count == parents.rows), "\(name): Woodbury sample shapes")
        pending[index] = (parents, weights, rowWeights)
    }

    /// Stage 2: factors every layer's F_i + αI.
    public func factor() throws {
        for (index, layer) in layers.enumerated() {
            let mine = owned(units: layer.units)
            if let b = blocksByLayer[index] {
                solvers[index] = layer.head.softmax && layer.samples == nil
                    ? SoftmaxSolver(blocks: b, damping: damping, owned: mine)
                    : try DirectSolver(blocks: b, damping: damping, owned: mine)
            } else if let p = pending[index] {
                if let rho = p.rowWeights {
                    solvers[index] = try rho.withUnsafeBufferPointer {
                        try WoodburySolver(parents: p.parents, weights: p.weights, rowWeights: $0.baseAddress,
                                           damping: damping, name: layer.name, owned: mine)
                    }
                } else {
                    solvers[index] = try WoodburySolver(parents: p.parents, weights: p.weights, damping: damping,
                                                        name: layer.name, owned: mine)
                }
            }
        }
        pending = [:]
    }

    public func update(generative: [FisherSamples], recognition: [FisherSamples], wake: [FisherSamples]? = nil) throws {
        accumulate(generative: generative, recognition: recognition, wake: wake)
        try factor()
    }

    /// g ← (F + αI)⁻¹ g on every layer's gradient in `machine.store.gradients` (and, with a
    /// second recognition term, in `wakeGradients`), in place — on this rank's units (`share`).
    public func apply() {
        for (index, layer) in layers.enumerated() {
            guard let solver = solvers[index] else { preconditionFailure("\(layer.name): Fisher not factored") }
            solver.solve(weight: layer.weightGradient, bias: layer.biasGradient)
        }
    }

    /// The generative layers' Fisher samples from a sleep phase's dreams:
    /// p(h_l | h_{l+1}) from (dream[l + 1], pPre[l]).
    public static func generativeSamples(_ sleep: SleepPhase) -> [FisherSamples] {
        (0..<sleep.machine.depth).map { FisherSamples(parents: sleep.dream[$0 + 1], pre: sleep.pPre[$0]) }
    }

    /// The recognition layers' Fisher samples from a sleep phase's dreams:
    /// q(h_{l+1} | h_l) from (dream[l], qPre[l]) (after its recognition gradient).
    public static func recognitionSamples(_ sleep: SleepPhase) -> [FisherSamples] {
        (0..<sleep.machine.depth).map { FisherSamples(parents: sleep.dream[$0], pre: sleep.qPre[$0]) }
    }

    /// The recognition layers' Fisher samples from a wake pass on data `x` (h ~ q):
    /// q(h_1 | x) from (x, qPre[0]) — one row per data point, its K samples share it — and
    /// q(h_{l+1} | h_l) from (h[l], qPre[l]), one row per sample.
    public static func recognitionSamples(_ sampler: ImportanceSampler, data x: Matrix) -> [FisherSamples] {
        (0..<sampler.machine.depth).map {
            $0 == 0 ? FisherSamples(parents: x, pre: sampler.qPre[0])
                : FisherSamples(parents: sampler.h[$0], pre: sampler.qPre[$0])
        }
    }
}
