import HMCore

/// One step's sleep-phase regressions of `ddc` (docs/training.md), in float64 storage that is
/// allocated once and refitted every step. With Ψ = ψ(x′) [S, M] the features of the dreamed
/// x, Φ_l = T_l(z_l) [S, K] and G = ΦᵀΦ + λI of each: H = Ψ G_ψ⁻¹ and E_l = Φ_l G_l⁻¹ (one
/// `dsyrk`, `dpotrf`, `dpotrs` each; with fewer dreams than features of x, H is the same
/// (ΨΨᵀ + λI)⁻¹Ψ, an S × S system instead of M × M). A data point's recognition coefficients
/// C_lᵀψ(x) followed by the read-out's G_l⁻¹ are then q = E_lᵀHψ(x): the wake forms
/// ψ(x)ᵀHᵀ [B, S] once and one product per layer, with no solve.
final class DDCFit {
    let S: Int, M: Int, K: Int, L: Int
    let split: DDCSplit
    var step = -1
    let psi: DoubleBuffer, h: DoubleBuffer
    /// Whether `h` holds Hᵀ [M, S] (the dual form, S < M) rather than H [S, M].
    let dual: Bool
    let recognition: RidgeFactor
    /// Per latent layer l = 1…L (index l − 1): Φ_l [S, K], G_l's factor, E_l [S, K], Φ_lᵀ1.
    let phi: [DoubleBuffer], readouts: [RidgeFactor], e: [DoubleBuffer], phiSums: [DoubleBuffer]
    /// Per latent layer: log p(z_l | z_{l+1}) of each dream (the prior's for l = L) and its
    /// delta. With the `paper` split, these are the differences from the reference state z°
    /// of the layer, whose own log p and delta are in `logRef` and `deltaRef`.
    let logP: [DoubleBuffer], deltas: [Matrix]
    let logRef: [DoubleBuffer], deltaRef: [Matrix]
    private let reference: [Matrix]
    /// Φ_1ᵀZ_1 [K, w_1], log p(0 | z_1) and ∇ log p(0 | z_1) of the dreams.
    let phiZ1: DoubleBuffer, logP0: DoubleBuffer, observationDelta: Matrix
    private let z1: DoubleBuffer, zero: Matrix
    /// Seconds spent so far: drawing the dreams, their features, the regressions, the scores.
    var seconds: [String: Double] = ["dreams": 0, "features": 0, "regressions": 0, "scores": 0]

    init(machine: HelmholtzMachine, dreams S: Int, features K: Int, recognitionFeatures M: Int, split: DDCSplit, dual: Bool? = nil) {
        let L = machine.depth, w = machine.widths
        self.S = S; self.M = M; self.K = K; self.L = L; self.split = split
        self.dual = dual ?? (S < M)
        psi = DoubleBuffer(S * M); h = DoubleBuffer(S * M)
        recognition = RidgeFactor(n: self.dual ? S : M)
        phi = (0..<L).map { _ in DoubleBuffer(S * K) }
        readouts = (0..<L).map { _ in RidgeFactor(n: K) }
        e = (0..<L).map { _ in DoubleBuffer(S * K) }
        phiSums = (0..<L).map { _ in DoubleBuffer(K) }
        logP = (0..<L).map { _ in DoubleBuffer(S) }
        let layers = (1...L).map { $0 == L ? machine.prior : machine.generative[$0] }
        deltas = layers.map { Matrix(rows: S, cols: $0.deltaWidth) }
        let paper = split == .paper
        logRef = paper ? (0..<L).map { _ in DoubleBuffer(S) } : []
        deltaRef = paper ? layers.map { Matrix(rows: S, cols: $0.deltaWidth) } : []
        // z°: the state whose sufficient statistic is 0 (all units off; −1 for ±1 units).
        reference = paper ? (1...L).map { l in
            let z = Matrix(rows: S, cols: w[l])
            if machine.model.layers[l].kind == .bernoulliPM1 { z.fill(-1) }
            return z
        } : []
        phiZ1 = DoubleBuffer(K * w[1]); logP0 = DoubleBuffer(S); z1 = DoubleBuffer(S * w[1])
        observationDelta = Matrix(rows: S, cols: machine.generative[0].deltaWidth)
        zero = Matrix(rows: S, cols: w[0])
    }

    /// Refits every regression on the dreams of `sleep` (S of them, drawn by the caller).
    func refit(_ machine: HelmholtzMachine, sleep: SleepPhase, psiFeatures: RandomFeatures, features: [RandomFeatures], lambda: Double) {
        var t0 = ContinuousClock.now
        psiFeatures(sleep.dream[0], rows: S, into: psi.pointer)
        for l in 1...L { features[l - 1](sleep.dream[l], rows: S, into: phi[l - 1].pointer) }
        seconds["features"]! += elapsed(since: t0)
        t0 = ContinuousClock.now
        if dual {
            for s in 0..<S { for m in 0..<M { h[m * S + s] = psi[s * M + m] } }
            recognition.refit(h.pointer, rows: M, lambda: lambda)
            recognition.solveRows(h.pointer, rows: M)
        } else {
            recognition.refit(psi.pointer, rows: S, lambda: lambda)
            h.pointer.update(from: psi.pointer, count: S * M)
            recognition.solveRows(h.pointer, rows: S)
        }
        for l in 0..<L {
            readouts[l].refit(phi[l].pointer, rows: S, lambda: lambda)
            e[l].pointer.update(from: phi[l].pointer, count: S * K)
            readouts[l].solveRows(e[l].pointer, rows: S)
            for k in 0..<K { phiSums[l][k] = 0 }
            for s in 0..<S { for k in 0..<K { phiSums[l][k] += phi[l][s * K + k] } }
        }
        let w1 = machine.widths[1]
        for i in 0..<(S * w1) { z1[i] = Double(sleep.dream[1].data[i]) }
        Float64Linear.gemm(phi[0].pointer, transposeA: true, z1.pointer, m: K, n: w1, k: S, into: phiZ1.pointer)
        seconds["regressions"]! += elapsed(since: t0)
        t0 = ContinuousClock.now
        for l in 1...L {
            let layer = l == L ? machine.prior : machine.generative[l], every = l == L ? S : 1
            logP[l - 1].zero(S)
            layer.score(pre: sleep.pPre[l], preEvery: every, value: sleep.dream[l], valueEvery: 1, rows: S,
                        delta: deltas[l - 1], logProb: logP[l - 1].pointer)
            guard split == .paper else { continue }
            logRef[l - 1].zero(S)
            layer.score(pre: sleep.pPre[l], preEvery: every, value: reference[l - 1], valueEvery: 1, rows: S,
                        delta: deltaRef[l - 1], logProb: logRef[l - 1].pointer)
            for s in 0..<S { logP[l - 1][s] -= logRef[l - 1][s] }
            let d = deltas[l - 1], r = deltaRef[l - 1]
            for i in 0..<d.count { d.data[i] -= r.data[i] }
        }
        logP0.zero(S)
        machine.generative[0].score(pre: sleep.pPre[0], preEvery: 1, value: zero, valueEvery: 1, rows: S,
                                    delta: observationDelta, logProb: logP0.pointer)
        seconds["scores"]! += elapsed(since: t0)
    }

    /// ψ(x)ᵀHᵀ [B, S] for ψ(x) [B, M].
    func psiH(_ psiX: UnsafePointer<Double>, rows B: Int, into out: UnsafeMutablePointer<Double>) {
        Float64Linear.gemm(psiX, h.pointer, transposeB: !dual, m: B, n: S, k: M, into: out)
    }

    /// C_l = HᵀΦ_l [M, K], the recognition coefficients: r_l(x) = ψ(x)ᵀC_l (for the tests).
    func recognitionCoefficients(layer l: Int) -> [Double] {
        var c = [Double](repeating: 0, count: M * K)
        c.withUnsafeMutableBufferPointer {
            Float64Linear.gemm(h.pointer, transposeA: !dual, phi[l - 1].pointer, m: M, n: K, k: S, into: $0.baseAddress!)
        }
        return c
    }
}
