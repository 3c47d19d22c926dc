import HMCore

/// The sleep phase: dreams (h′, x′) ~ p drawn from the top down, then the recognition
/// network's gradient Σ_d ∇ log q(h′_d | x′_d) on them. Dream d uses global dream index
/// `firstDream + d`, so the dreams do not depend on the world size.
public final class SleepPhase {
    public let machine: HelmholtzMachine
    /// dream[l]: [D, w_l], dream[0] is x′.
    public let dream: [Matrix]
    /// pPre[l]: the pre-activation of p(h_l | h_{l+1}) for the dreams; pPre[0] is x′'s.
    public let pPre: [Matrix]
    /// qPre[l]: the pre-activation of q(h_{l+1} | h_l) on the dreams, after
    /// `accumulateRecognitionGradient` (read-only: `nws` takes its recognition Fisher from it).
    public let qPre: [Matrix]
    let qDelta: [Matrix]
    let logQ: DoubleBuffer
    let scale: Matrix

    public init(machine: HelmholtzMachine, dreams: Int) {
        self.machine = machine
        let w = machine.widths, L = machine.depth
        dream = w.map { Matrix(rows: dreams, cols: $0) }
        pPre = (0...L).map { Matrix(rows: $0 == L ? 1 : dreams, cols: $0 == L ? machine.prior.preWidth : machine.generative[$0].preWidth) }
        qPre = (0..<L).map { Matrix(rows: dreams, cols: machine.recognition[$0].preWidth) }
        qDelta = (0..<L).map { Matrix(rows: dreams, cols: machine.recognition[$0].deltaWidth) }
        logQ = DoubleBuffer(dreams)
        scale = Matrix(rows: 1, cols: dreams)
    }

    /// Called after each layer of `dream` and of `accumulateRecognitionGradient`.
    public var progress: () -> Void = {}

    /// Draws `count` dreams from p, top down; with `top` ([count, w_L]), from those top states
    /// instead of the prior's draws (goal-seeded dreams).
    public func dream(count: Int, stream: RandomStream, firstDream: Int, top: Matrix? = nil) {
        let L = machine.depth
        for l in 0..<L { pPre[l].setRows(count) }
        for l in 0...L { dream[l].setRows(count) }
        machine.prior.preactivation(nil, into: pPre[L])
        if let top {
            dream[L].data.update(from: top.data, count: count * dream[L].cols)
        } else {
            machine.prior.sample(pre: pPre[L], every: max(count, 1), into: dream[L], stream: stream,
                                 tag: stream.tag(.generative, layer: L), firstIndex: firstDream)
        }
        for l in (0..<L).reversed() {
            machine.generative[l].preactivation(dream[l + 1], into: pPre[l])
            machine.generative[l].sample(pre: pPre[l], every: 1, into: dream[l], stream: stream,
                                         tag: stream.tag(.generative, layer: l), firstIndex: firstDream)
            progress()
        }
    }

    /// Sleep-q: adds `weight` · Σ_d ∇ log q(h′_d | x′_d) to the recognition gradients and
    /// returns Σ_d log q(h′_d | x′_d).
    @discardableResult
    public func accumulateRecognitionGradient(weight: Float) -> Double {
        let L = machine.depth, count = dream[0].rows
        logQ.zero(count)
        scale.setRows(1)
        for d in 0..<count { scale.data[d] = weight }
        for l in 0..<L {
            let q = machine.recognition[l]
            qPre[l].setRows(count)
            qDelta[l].setRows(count)
            q.preactivation(dream[l], into: qPre[l])
            q.score(pre: qPre[l], preEvery: 1, value: dream[l + 1], valueEvery: 1, rows: count,
                    delta: qDelta[l], logProb: logQ.pointer)
            qDelta[l].scaleRows(by: scale.data)
            q.accumulateGradient(delta: qDelta[l], input: dream[l])
            progress()
        }
        var sum = 0.0
        for d in 0..<count { sum += logQ[d] }
        return sum
    }
}
