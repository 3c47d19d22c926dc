import HMCore

/// The DDC Helmholtz machine (Vértes & Sahani, NeurIPS 2018): the posterior of each latent
/// layer l is represented by r_l(x) ≈ E_q[T_l(z_l) | x], the expectations of fixed random
/// features T_l (`RandomFeatures`), and every expectation the generative gradient needs is a
/// linear read-out of those moments, fitted on dreams.
///
/// Each step (docs/training.md: `ddc`):
///
/// 1. **Sleep.** S dreams (z_L, …, z_1, x) ~ p. Recognition: a ridge regression of T_l(z_l)
///    on random features ψ(x) of the dreamed x, r_l(x) = C_lᵀψ(x) (closed form per step; its
///    minimiser is E_p[T_l(z_l) | x]). Read-outs: with Φ_l = T_l(Z_l) [S, K_l + 1] and
///    G_l = Φ_lᵀΦ_l + λI, the ridge prediction of any function f of the dreams at moments r
///    is a linear smoother, αᵀr = Σ_s a_s(r) f(z^s), a(r) = Φ_l G_l⁻¹ r, normalised so that
///    Σ_s a_s = 1 (the read-out of a constant is that constant).
/// 2. **Wake.** For each data point x_b: a_b = a(r_l(x_b)). Because the posterior of z_{l+1}
///    given z_l does not depend on x (the chain x ← z_1 ← z_2 …), E[f(z_l, z_{l+1}) | x] is a
///    function of z_l's posterior alone, so the whole gradient of log p(z_l | z_{l+1}) is read
///    out from T_l: Σ_b Σ_s a^l_bs ∇ log p(z_l^s | z_{l+1}^s) = Σ_s w^l_s ∇ log p(z^s_l | z^s_{l+1})
///    with w^l = Σ_b a^l_b — the dreams' own gradients, reweighted (one GEMM per layer, no
///    read-out of the size of θ). The prior reads out from T_L. The observation layer keeps
///    the data's own statistic: for a layer whose log p(x | z) − log p(0 | z) is affine in z
///    (Bernoulli, categorical, homoscedastic Gaussian) the expectation of that difference's
///    gradient is its value at ẑ_b = Σ_s a^1_bs z_1^s, and the gradient is that plus
///    Σ_s w^1_s ∇_θ log p(0 | z_1^s) (for Bernoulli units, x_b ⊗ [ẑ_b; 1] plus it). With r the exact posterior moments and features that span the
///    functions of each z_l, this is the exact gradient of the free energy.
///
/// The paper fits ∇Φ_l(g_l) on T_{l+1} and ∇g_lᵀS_l on T_l; by default (`DDCSplit.layer`) the
/// whole layer gradient is fitted on T_l, which the Markov property makes equivalent in the
/// limit of many dreams. `DDCSplit.paper` splits each latent layer's delta at the reference
/// state z° of its units (sufficient statistic 0): δ(z°), a function of z_{l+1} alone (−σ(a)
/// for Bernoulli units), is read out with the weights of T_{l+1} (for the prior, a constant:
/// weight B/S per dream), δ(z_l) − δ(z°) with those of T_l. The observation layer is split so
/// under both: its δ(0) part is read out from T_1.
/// Every rank draws the same S dreams (global indices 0..<S), so every rank fits the same
/// regressions with no communication; only the gradients are summed.
public final class DDCWakeSleep: TrainingAlgorithm {
    public let name = "ddc"
    /// The moments are regressed afresh each step; the machine's recognition network is not trained.
    public let trainsRecognition = false
    public let machine: HelmholtzMachine
    let featureCount: Int
    let recognitionFeatureCount: Int
    let lambda: Double
    let split: DDCSplit
    let featureType: DDCFeatureType
    var dreams = 0
    var sleeper: SleepPhase?
    var fitted: DDCFit?
    var features: [RandomFeatures] = []
    var recognitionFeatures: RandomFeatures?
    var seed: UInt64?
    /// The step's deltas reweighted for one share (one per latent layer, then the observation's).
    var scaled: [Matrix] = []
    /// Wake workspaces, grown to the largest share: ψ(x), ψ(x)ᵀHᵀ, per layer Qᵀ = the points'
    /// smoother coefficients [B, K] and the dreams' weights w^l [S] (then B/S for the prior's constant).
    let psiX = Workspace(), psiH = Workspace(), totals = Workspace(), sums = Workspace(), zHat = Workspace()
    var q: [Workspace] = [], weights: [Workspace] = []
    var observationTerm: ObservationTerm?
    var readoutSeconds = 0.0

    public init(machine: HelmholtzMachine, dreams: Int, features: Int, recognitionFeatures: Int, ridge: Double,
                split: DDCSplit = .layer, featureType: DDCFeatureType = .sigmoid) {
        precondition(features >= 1 && recognitionFeatures >= 1 && ridge > 0, "ddc: features and ridge λ must be positive")
        self.machine = machine
        self.featureType = featureType
        self.dreams = dreams
        featureCount = features
        recognitionFeatureCount = recognitionFeatures
        lambda = ridge
        self.split = split
    }

    /// Every rank dreams the global number of dreams.
    public func prepare(_ world: TrainingWorld) { dreams = world.globalDreams }

    public var summary: String? {
        "ddc: \(featureCount) random features per latent layer, \(recognitionFeatureCount) of x for the recognition regression, ridge λ \(lambda), \(split.rawValue) split, every rank fits on all \(dreams) dreams"
    }

    /// Seconds in the fit's parts (`dreams`, `features`, `regressions`, `scores`; `fit`, their
    /// sum) and in the wake's read-out besides it (`readout`).
    public var partSeconds: [String: Double] {
        var parts = fitted?.seconds ?? [:]
        parts["fit"] = parts.values.reduce(0, +)
        parts["readout"] = readoutSeconds
        return parts
    }

    func setUp(seed: UInt64) {
        guard self.seed != seed else { return }
        self.seed = seed
        let w = machine.widths, L = machine.depth
        features = (1...L).map { RandomFeatures(width: w[$0], count: featureCount, seed: seed, tag: UInt32($0), type: featureType) }
        recognitionFeatures = RandomFeatures(width: w[0], count: recognitionFeatureCount, seed: seed, tag: 0)
        sleeper = SleepPhase(machine: machine, dreams: dreams)
        fitted = DDCFit(machine: machine, dreams: dreams, features: featureCount + 1, recognitionFeatures: recognitionFeatureCount + 1,
                        split: split)
        let layers = (1...L).map { $0 == L ? machine.prior : machine.generative[$0] } + [machine.generative[0]]
        scaled = layers.map { Matrix(rows: dreams, cols: $0.deltaWidth) }
        q = (0..<L).map { _ in Workspace() }
        weights = (0...L).map { _ in Workspace() }
    }

    /// The sleep phase's regressions for `step`, on S dreams of every rank's common stream.
    func fit(step: Int, seed: UInt64) -> DDCFit {
        setUp(seed: seed)
        let f = fitted!
        if f.step == step { return f }
        let t0 = ContinuousClock.now
        sleeper!.dream(count: dreams, stream: RandomStream(key: seed, purpose: .sleep, step: step), firstDream: 0)
        f.seconds["dreams"]! += elapsed(since: t0)
        f.refit(machine, sleep: sleeper!, psiFeatures: recognitionFeatures!, features: features, lambda: lambda)
        f.step = step
        return f
    }

    /// r_l(x) = ψ(x)ᵀC_l for every latent layer, [B, K + 1] each (for the tests).
    func moments(_ x: Matrix, _ f: DDCFit) -> [[Double]] {
        let psi = recognitionFeatures!(x, rows: x.rows), M = f.M
        return (1...machine.depth).map { Dense.product(psi, f.recognitionCoefficients(layer: $0), m: x.rows, k: M, n: f.K) }
    }

    public func wake(_ s: StepShare) -> Double {
        let f = fit(step: s.step, seed: s.seed)
        let t0 = ContinuousClock.now
        let B = s.x.rows, px = psiX.pointer(B * f.M)
        recognitionFeatures!(s.x, rows: B, into: px)
        // Qᵀ_l = ψ(x)ᵀHᵀE_l = r_l(x)ᵀG_l⁻¹.
        let ph = psiH.pointer(B * f.S)
        f.psiH(px, rows: B, into: ph)
        for l in 0..<f.L { Float64Linear.gemm(ph, f.e[l].pointer, m: B, n: f.K, k: f.S, into: q[l].pointer(B * f.K)) }
        let estimate = readOut(s.x, fit: f, weight: 1 / Double(s.globalBatch))
        readoutSeconds += elapsed(since: t0)
        return estimate
    }

    /// The wake phase at given moments r_l(x_b) (exact ones in the tests): adds `weight` ·
    /// the read-out gradient and returns Σ_b of the read-out of E_q[log p(x_b, z)].
    func wake(_ x: Matrix, moments r: [[Double]], fit f: DDCFit, weight: Double) -> Double {
        for l in 0..<f.L {
            let qt = q[l].pointer(x.rows * f.K)
            r[l].withUnsafeBufferPointer { qt.update(from: $0.baseAddress!, count: x.rows * f.K) }
            f.readouts[l].solveRows(qt, rows: x.rows)
        }
        return readOut(x, fit: f, weight: weight)
    }

    /// The read-out from the points' Qᵀ_l (in `q`): a_b = Φ_l q_b / (1ᵀΦ_l q_b), w^l = Σ_b a_b.
    func readOut(_ x: Matrix, fit f: DDCFit, weight: Double) -> Double {
        let sleep = sleeper!, L = f.L, S = f.S, K = f.K, B = x.rows, w1 = machine.widths[1]
        let t = totals.pointer(B), v = sums.pointer(K), zh = zHat.pointer(B * w1)
        for l in 0..<L {
            let qt = q[l].pointer(B * K)
            Float64Linear.gemv(qt, m: B, n: K, f.phiSums[l].pointer, into: t)
            for b in 0..<B { t[b] = 1 / t[b] }
            Float64Linear.gemv(qt, transpose: true, m: B, n: K, t, into: v)
            Float64Linear.gemv(f.phi[l].pointer, m: S, n: K, v, into: weights[l].pointer(S))
            if l == 0 {
                // ẑ_b = Σ_s a_bs z_1^s = (q_bᵀ Φ_1ᵀZ_1) / (1ᵀΦ_1 q_b).
                Float64Linear.gemm(qt, f.phiZ1.pointer, m: B, n: w1, k: K, into: zh)
                for b in 0..<B { for j in 0..<w1 { zh[b * w1 + j] *= t[b] } }
            }
        }
        let constant = weights[L].pointer(S)
        constant.update(repeating: Double(B) / Double(S), count: S)
        var estimate = 0.0
        for l in 1...L {
            let layer = l == L ? machine.prior : machine.generative[l], wl = weights[l - 1].pointer(S)
            estimate += dot(wl, f.logP[l - 1].pointer, S)
            if split == .paper {
                let upper = weights[l].pointer(S)
                estimate += dot(upper, f.logRef[l - 1].pointer, S)
                reweight(scaled[l - 1], f.deltas[l - 1], wl, plus: f.deltaRef[l - 1], upper, scale: weight)
            } else {
                reweight(scaled[l - 1], f.deltas[l - 1], wl, scale: weight)
            }
            layer.accumulateGradient(delta: scaled[l - 1], input: l == L ? nil : sleep.dream[l + 1])
        }
        // The observation layer: E_q[∇ log p(x_b | z) − ∇ log p(0 | z)] at ẑ_b (affine in z for
        // the kinds ddc takes), plus the dreams' ∇ log p(0 | z_1), reweighted.
        let w = weights[0].pointer(S)
        reweight(scaled[L], f.observationDelta, w, scale: weight)
        machine.generative[0].accumulateGradient(delta: scaled[L], input: sleep.dream[1])
        estimate += dot(w, f.logP0.pointer, S)
        return estimate + dataTerm(x, at: zh, weight: weight)
    }

    /// out[s] = (a_s·x[s] + b_s·y[s]) · scale, in float32.
    func reweight(_ out: Matrix, _ x: Matrix, _ a: UnsafePointer<Double>, plus y: Matrix? = nil, _ b: UnsafePointer<Double>? = nil,
                  scale: Double) {
        let n = out.cols
        for s in 0..<out.rows {
            let o = out.row(s), xs = x.row(s), ax = Float(a[s] * scale)
            if let y, let b {
                let ys = y.row(s), by = Float(b[s] * scale)
                for j in 0..<n { o[j] = ax * xs[j] + by * ys[j] }
            } else {
                for j in 0..<n { o[j] = ax * xs[j] }
            }
        }
    }

    func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s += a[i] * b[i] }
        return s
    }

    /// Adds `weight` · Σ_b [∇ log p(x_b | ẑ_b) − ∇ log p(0 | ẑ_b)] to the observation layer's
    /// gradient and returns Σ_b [log p(x_b | ẑ_b) − log p(0 | ẑ_b)]: the posterior expectations
    /// of those differences, which are affine in z for Bernoulli (x·a), categorical and
    /// homoscedastic Gaussian ((2xμ − x²)/2σ²) layers.
    func dataTerm(_ x: Matrix, at zHat: UnsafePointer<Double>, weight: Double) -> Double {
        let observation = machine.generative[0], B = x.rows
        if (observationTerm?.capacity ?? -1) < B { observationTerm = ObservationTerm(observation, rows: B, zWidth: machine.widths[1]) }
        let o = observationTerm!
        o.use(rows: B)
        for i in 0..<o.z.count { o.z.data[i] = Float(zHat[i]) }
        observation.preactivation(o.z, into: o.pre)
        o.lx.zero(B)
        o.l0.zero(B)
        observation.score(pre: o.pre, preEvery: 1, value: x, valueEvery: 1, rows: B, delta: o.dx, logProb: o.lx.pointer)
        observation.score(pre: o.pre, preEvery: 1, value: o.zero, valueEvery: 1, rows: B, delta: o.d0, logProb: o.l0.pointer)
        for i in 0..<o.dx.count { o.dx.data[i] = Float(Double(o.dx.data[i] - o.d0.data[i]) * weight) }
        observation.accumulateGradient(delta: o.dx, input: o.z)
        return (0..<B).reduce(0) { $0 + o.lx[$1] - o.l0[$1] }
    }

    /// The regressions are refitted from each step's dreams: the recognition network of the
    /// machine is not trained, and there is no log q of the dreams to report.
    public func sleep(_ s: StepShare) -> Double { 0 }
}

/// The observation layer's read-out workspaces, for up to `capacity` points.
final class ObservationTerm {
    let capacity: Int
    let z: Matrix, pre: Matrix, dx: Matrix, d0: Matrix, zero: Matrix
    let lx: DoubleBuffer, l0: DoubleBuffer

    init(_ layer: ConditionalLayer, rows: Int, zWidth: Int) {
        capacity = rows
        z = Matrix(rows: rows, cols: zWidth)
        pre = Matrix(rows: rows, cols: layer.preWidth)
        dx = Matrix(rows: rows, cols: layer.deltaWidth)
        d0 = Matrix(rows: rows, cols: layer.deltaWidth)
        zero = Matrix(rows: rows, cols: layer.outWidth)
        lx = DoubleBuffer(rows)
        l0 = DoubleBuffer(rows)
    }

    func use(rows: Int) {
        for m in [z, pre, dx, d0, zero] { m.setRows(rows) }
    }
}

/// Row-major float64 products of the tests' read-outs.
enum Dense {
    /// AB: A is m × k, B is k × n → m × n.
    static func product(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer {
            Float64Linear.gemm(a.baseAddress!, b.baseAddress!, m: m, n: n, k: k, into: $0.baseAddress!)
        } } }
        return c
    }
}
