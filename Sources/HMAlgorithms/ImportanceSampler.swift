import HMCore

/// The wake phase's forward computation for B data points with K samples each:
/// h ~ q(h | x) layer by layer upwards, then log q(h | x) and log p(x, h) for every sample,
/// and, when asked, each layer's ∂ log / ∂ parameters-of-the-row (`delta`).
///
/// Row b·K + k holds sample k of data point b. Sample draws use global sample index
/// `firstExample·K + row`, so they do not depend on how a batch is split across ranks.
public final class ImportanceSampler {
    public let machine: HelmholtzMachine
    public let K: Int
    /// qPre[0]: [B, ·] (shared by a point's K samples); qPre[l]: [BK, ·], each layer's `preWidth` wide.
    public let qPre: [Matrix]
    /// h[l] for l = 1...L: [BK, w_l]; h[0] is unused (the data).
    public let h: [Matrix]
    /// qDelta[l]: [BK, w_{l+1}].
    public let qDelta: [Matrix]
    /// pPre[l], pDelta[l] for l = 0..<L: [BK, w_l]; the prior's at index L.
    public let pPre: [Matrix]
    public let pDelta: [Matrix]
    public let logQ: DoubleBuffer
    public let logP: DoubleBuffer
    public private(set) var batch = 0
    /// States that replace the recognition samples of some points (multilevel cues); nil: none.
    public var clamp: WakeClamp?

    public init(machine: HelmholtzMachine, batch: Int, samples K: Int) {
        self.machine = machine
        self.K = K
        let w = machine.widths, L = machine.depth, rows = batch * K
        qPre = (0..<L).map { Matrix(rows: $0 == 0 ? batch : rows, cols: machine.recognition[$0].preWidth) }
        h = (0...L).map { Matrix(rows: $0 == 0 ? 0 : rows, cols: w[$0]) }
        qDelta = (0..<L).map { Matrix(rows: rows, cols: machine.recognition[$0].deltaWidth) }
        pPre = (0...L).map { Matrix(rows: $0 == L ? 1 : rows, cols: $0 == L ? machine.prior.preWidth : machine.generative[$0].preWidth) }
        pDelta = (0...L).map { Matrix(rows: rows, cols: $0 == L ? machine.prior.deltaWidth : machine.generative[$0].deltaWidth) }
        logQ = DoubleBuffer(rows)
        logP = DoubleBuffer(rows)
    }

    public var rows: Int { batch * K }

    /// Runs the pass on the active rows of `x` ([B, w0], B ≤ the capacity).
    /// `withDeltas` also fills qDelta and pDelta (the training step needs them; evaluation not).
    public func run(_ x: Matrix, stream: RandomStream, firstExample: Int, withDeltas: Bool) {
        let L = machine.depth, K = self.K
        batch = x.rows
        let rows = batch * K
        qPre[0].setRows(batch)
        for l in 1..<L { qPre[l].setRows(rows) }
        for l in 1...L { h[l].setRows(rows) }
        for l in 0..<L { pPre[l].setRows(rows); qDelta[l].setRows(rows) }
        for l in 0...L { pDelta[l].setRows(rows) }
        logQ.zero(rows)
        logP.zero(rows)
        let first = firstExample * K

        // Recognition, upwards: h_{l+1} ~ q(h_{l+1} | h_l), log q accumulated per sample.
        for l in 0..<L {
            let q = machine.recognition[l]
            let input = l == 0 ? x : h[l]
            let every = l == 0 ? K : 1
            q.preactivation(input, into: qPre[l])
            q.sample(pre: qPre[l], every: every, into: h[l + 1], stream: stream,
                     tag: stream.tag(.recognition, layer: l), firstIndex: first)
            let delta = withDeltas ? qDelta[l] : nil
            func score() {
                q.score(pre: qPre[l], preEvery: every, value: h[l + 1], valueEvery: 1, rows: rows,
                        delta: delta, logProb: logQ.pointer)
            }
            if let clamp {
                clamp.apply(layer: l + 1, to: h[l + 1], samples: K)
                clamp.score(layer: l + 1, samples: K, logQ: logQ, delta: delta, score)
            } else {
                score()
            }
        }
        // Generative, downwards on the same samples: log p(h_L) + Σ_l log p(h_l | h_{l+1}).
        machine.prior.preactivation(nil, into: pPre[L])
        machine.prior.score(pre: pPre[L], preEvery: rows, value: h[L], valueEvery: 1, rows: rows,
                            delta: withDeltas ? pDelta[L] : nil, logProb: logP.pointer)
        for l in (0..<L).reversed() {
            let p = machine.generative[l]
            p.preactivation(h[l + 1], into: pPre[l])
            p.score(pre: pPre[l], preEvery: 1, value: l == 0 ? x : h[l], valueEvery: l == 0 ? K : 1,
                    rows: rows, delta: withDeltas ? pDelta[l] : nil, logProb: logP.pointer)
        }
    }

    /// log w = log p(x, h) − log q(h | x) of row r.
    public func logWeight(_ r: Int) -> Double { logP[r] - logQ[r] }

    /// Σ over the last pass's points of their free-energy estimate −(1/K) Σ_k log w_k
    /// (E_q[log q − log p(x, h)] by the K samples).
    public var freeEnergySum: Double {
        var sum = 0.0
        for r in 0..<rows { sum -= logWeight(r) }
        return sum / Double(K)
    }
}
