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
/// The paper fits ∇Φ_l(g_l) on T_{l+1} and ∇g_lᵀS_l on T_l; here the whole layer gradient is
/// fitted on T_l, which the Markov property makes equivalent in the limit of many dreams.
/// Every rank draws the same S dreams (global indices 0..<S), so every rank fits the same
/// regressions with no communication; only the gradients are summed.
public final class DDCWakeSleep: TrainingAlgorithm {
    public let name = "ddc"
    public let machine: HelmholtzMachine
    let featureCount: Int
    let recognitionFeatureCount: Int
    let lambda: Double
    var dreams = 0
    var sleeper: SleepPhase?
    var fitted: Fit?

    /// One step's regressions.
    struct Fit {
        let step: Int
        /// Φ_l for l = 1…L (index l − 1), [S, K + 1].
        let phi: [[Double]]
        let readouts: [RidgeFactor]
        /// Φ_lᵀ1.
        let phiSums: [[Double]]
        /// C_l, [M + 1, K + 1].
        let recognition: [[Double]]
        /// Φ_1ᵀZ_1 [K + 1, w1], Φ_lᵀ(log p of layer l's dreams), Φ_1ᵀ(log p(0 | z_1) of the dreams).
        let phiZ1: [Double]
        let phiLogP: [[Double]]
        let phiLogP0: [Double]
        /// ∇ log p(z_l | z_{l+1}) per dream as each layer's delta (the prior's for l = L),
        /// and the observation layer's ∇ log p(0 | z_1): the same for every share of the step.
        let deltas: [Matrix]
        let observationDelta: Matrix
    }

    var features: [RandomFeatures] = []
    /// The step's deltas reweighted for one share (one per latent layer, then the observation's).
    var scaled: [Matrix] = []
    var recognitionFeatures: RandomFeatures?
    var seed: UInt64?

    public init(machine: HelmholtzMachine, dreams: Int, features: Int, recognitionFeatures: Int, ridge: Double) {
        precondition(features >= 1 && recognitionFeatures >= 1 && ridge > 0, "ddc: features and ridge λ must be positive")
        self.machine = machine
        self.dreams = dreams
        featureCount = features
        recognitionFeatureCount = recognitionFeatures
        lambda = ridge
    }

    /// Every rank dreams the global number of dreams.
    public func prepare(_ world: TrainingWorld) { dreams = world.globalDreams }

    public var summary: String? {
        "ddc: \(featureCount) random features per latent layer, \(recognitionFeatureCount) of x for the recognition regression, ridge λ \(lambda), every rank fits on all \(dreams) dreams"
    }

    func setUp(seed: UInt64) {
        guard self.seed != seed else { return }
        self.seed = seed
        let w = machine.widths
        features = (1...machine.depth).map { RandomFeatures(width: w[$0], count: featureCount, seed: seed, tag: UInt32($0)) }
        recognitionFeatures = RandomFeatures(width: w[0], count: recognitionFeatureCount, seed: seed, tag: 0)
        sleeper = SleepPhase(machine: machine, dreams: dreams)
        let layers = (1...machine.depth).map { $0 == machine.depth ? machine.prior : machine.generative[$0] } + [machine.generative[0]]
        scaled = layers.map { Matrix(rows: dreams, cols: $0.deltaWidth) }
    }

    /// The sleep phase's regressions for `step`, on S dreams of every rank's common stream.
    func fit(step: Int, seed: UInt64) -> Fit {
        if let f = fitted, f.step == step, self.seed == seed { return f }
        setUp(seed: seed)
        let sleep = sleeper!, L = machine.depth, S = dreams, w = machine.widths
        sleep.dream(count: S, stream: RandomStream(key: seed, purpose: .sleep, step: step), firstDream: 0)
        let psi = recognitionFeatures!(sleep.dream[0], rows: S), M = recognitionFeatures!.dimension
        let recognitionFactor = RidgeFactor(gram: Dense.transposedProduct(psi, psi, k: S, m: M, n: M), n: M, lambda: lambda)
        var phi: [[Double]] = [], readouts: [RidgeFactor] = [], sums: [[Double]] = [], recognition: [[Double]] = [], logPs: [[Double]] = []
        var deltas: [Matrix] = []
        for l in 1...L {
            let t = features[l - 1](sleep.dream[l], rows: S), K = features[l - 1].dimension
            var c = Dense.transposedProduct(psi, t, k: S, m: M, n: K)
            recognitionFactor.solve(&c, columns: K)
            phi.append(t)
            recognition.append(c)
            readouts.append(RidgeFactor(gram: Dense.transposedProduct(t, t, k: S, m: K, n: K), n: K, lambda: lambda))
            sums.append(Dense.transposedProduct(t, [Double](repeating: 1, count: S), k: S, m: K, n: 1))
            // log p(z_l | z_{l+1}) of each dream (the prior's for l = L), for the bound.
            let logP = DoubleBuffer(S)
            logP.zero(S)
            let layer = l == L ? machine.prior : machine.generative[l]
            let delta = Matrix(rows: S, cols: layer.deltaWidth)
            layer.score(pre: sleep.pPre[l], preEvery: l == L ? S : 1, value: sleep.dream[l], valueEvery: 1, rows: S,
                        delta: delta, logProb: logP.pointer)
            deltas.append(delta)
            logPs.append(Dense.transposedProduct(t, (0..<S).map { logP[$0] }, k: S, m: K, n: 1))
        }
        let K1 = features[0].dimension
        let z1 = (0..<(S * w[1])).map { Double(sleep.dream[1].data[$0]) }
        let zero = Matrix(rows: S, cols: w[0]), logP0 = DoubleBuffer(S), delta0 = Matrix(rows: S, cols: machine.generative[0].deltaWidth)
        logP0.zero(S)
        machine.generative[0].score(pre: sleep.pPre[0], preEvery: 1, value: zero, valueEvery: 1, rows: S, delta: delta0, logProb: logP0.pointer)
        let f = Fit(step: step, phi: phi, readouts: readouts, phiSums: sums, recognition: recognition,
                    phiZ1: Dense.transposedProduct(phi[0], z1, k: S, m: K1, n: w[1]),
                    phiLogP: logPs, phiLogP0: Dense.transposedProduct(phi[0], (0..<S).map { logP0[$0] }, k: S, m: K1, n: 1),
                    deltas: deltas, observationDelta: delta0)
        fitted = f
        return f
    }

    /// r_l(x) = ψ(x)ᵀC_l for every latent layer, [B, K + 1] each.
    func moments(_ x: Matrix, _ f: Fit) -> [[Double]] {
        let psi = recognitionFeatures!(x, rows: x.rows), M = recognitionFeatures!.dimension
        return (0..<machine.depth).map { Dense.product(psi, f.recognition[$0], m: x.rows, k: M, n: features[$0].dimension) }
    }

    public func wake(_ s: StepShare) -> Double {
        let f = fit(step: s.step, seed: s.seed)
        return wake(s.x, moments: moments(s.x, f), fit: f, weight: 1 / Double(s.globalBatch))
    }

    /// The wake phase at given moments r_l(x_b) (exact ones in the tests): adds `weight` ·
    /// the read-out gradient and returns Σ_b of the read-out of E_q[log p(x_b, z)].
    func wake(_ x: Matrix, moments r: [[Double]], fit f: Fit, weight: Double) -> Double {
        let sleep = sleeper!, L = machine.depth, S = dreams, B = x.rows, w = machine.widths
        var estimate = 0.0
        var zHat: [Double] = []
        for l in 1...L {
            let K = features[l - 1].dimension
            // Q = (G⁻¹ Rᵀ)ᵀ, rows normalised so that each point's smoother weights sum to 1.
            var q = [Double](repeating: 0, count: K * B)
            for b in 0..<B { for k in 0..<K { q[k * B + b] = r[l - 1][b * K + k] } }
            f.readouts[l - 1].solve(&q, columns: B)
            var v = [Double](repeating: 0, count: K)
            var rows: [[Double]] = []
            for b in 0..<B {
                var row = (0..<K).map { q[$0 * B + b] }
                let total = zip(row, f.phiSums[l - 1]).reduce(0) { $0 + $1.0 * $1.1 }
                row = row.map { $0 / total }
                for k in 0..<K { v[k] += row[k] }
                rows.append(row)
            }
            estimate += zip(v, f.phiLogP[l - 1]).reduce(0) { $0 + $1.0 * $1.1 }
            // w^l = Φ_l v, the dreams' weights; their gradients of log p(z_l | z_{l+1}) reweighted.
            let dreamWeights = Dense.product(f.phi[l - 1], v, m: S, k: K, n: 1).map { Float($0 * weight) }
            let layer = l == L ? machine.prior : machine.generative[l], delta = scaled[l - 1]
            delta.copy(from: f.deltas[l - 1])
            delta.scaleRows(by: dreamWeights)
            layer.accumulateGradient(delta: delta, input: l == L ? nil : sleep.dream[l + 1])
            if l == 1 {
                // The observation layer: E_q[∇ log p(x_b | z) − ∇ log p(0 | z)] at ẑ_b (affine in z for
                // the kinds ddc takes), plus the dreams' ∇ log p(0 | z_1), reweighted.
                zHat = Dense.product(rows.flatMap { $0 }, f.phiZ1, m: B, k: K, n: w[1])
                let observation = machine.generative[0], d0 = scaled[L]
                d0.copy(from: f.observationDelta)
                d0.scaleRows(by: dreamWeights)
                observation.accumulateGradient(delta: d0, input: sleep.dream[1])
                estimate += zip(v, f.phiLogP0).reduce(0) { $0 + $1.0 * $1.1 }
                estimate += dataTerm(x, at: Matrix(rows: B, cols: w[1], values: zHat.map(Float.init)), weight: weight)
            }
        }
        return estimate
    }

    /// Adds `weight` · Σ_b [∇ log p(x_b | ẑ_b) − ∇ log p(0 | ẑ_b)] to the observation layer's
    /// gradient and returns Σ_b [log p(x_b | ẑ_b) − log p(0 | ẑ_b)]: the posterior expectations
    /// of those differences, which are affine in z for Bernoulli (x·a), categorical and
    /// homoscedastic Gaussian ((2xμ − x²)/2σ²) layers.
    func dataTerm(_ x: Matrix, at zHat: Matrix, weight: Double) -> Double {
        let observation = machine.generative[0], B = x.rows
        let pre = Matrix(rows: B, cols: observation.preWidth)
        observation.preactivation(zHat, into: pre)
        let dx = Matrix(rows: B, cols: observation.deltaWidth), d0 = Matrix(rows: B, cols: observation.deltaWidth)
        let lx = DoubleBuffer(B), l0 = DoubleBuffer(B)
        lx.zero(B)
        l0.zero(B)
        observation.score(pre: pre, preEvery: 1, value: x, valueEvery: 1, rows: B, delta: dx, logProb: lx.pointer)
        observation.score(pre: pre, preEvery: 1, value: Matrix(rows: B, cols: x.cols), valueEvery: 1, rows: B, delta: d0, logProb: l0.pointer)
        for i in 0..<dx.count { dx.data[i] = Float(Double(dx.data[i] - d0.data[i]) * weight) }
        observation.accumulateGradient(delta: dx, input: zHat)
        return (0..<B).reduce(0) { $0 + lx[$1] - l0[$1] }
    }

    /// The regressions are refitted from each step's dreams: the recognition network of the
    /// machine is not trained, and there is no log q of the dreams to report.
    public func sleep(_ s: StepShare) -> Double { 0 }
}
