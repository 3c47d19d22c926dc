import HMCore

/// What each unit of the first hidden layer stands for (de Sa et al. 1997): its generative
/// pattern, its prior probability and the data points on which the recognition network
/// turns it on.
///
/// A sigmoid belief unit and its complement are the same model (flip its state, negate its
/// weights, move the biases), and training may settle on either, so each unit is read in its
/// *rare* state: with h* the most probable state of every unit (on when its prior exceeds
/// 1/2), the pattern of unit j is p(x = 1 | h* with j flipped) − p(x = 1 | h*), its prior the
/// probability of the flipped state, and it is "on" where q gives that state more than 1/2.
/// The prior is σ(logit) on a top layer, the fraction of 10,000 dreams below one.
public struct UnitPatterns {
    public struct Unit {
        public let index: Int
        /// Per visible unit, p(x = 1 | h = e_j) − p(x = 1 | h = 0).
        public let pattern: [Double]
        /// The probability of the rare state.
        public let prior: Double
        /// The rare state: 1 (on; the usual case) or 0 (the unit is on by default, the pattern is its absence).
        public let activeState: Int
        /// The rows of the data where q puts the unit in its rare state.
        public let onRows: [Int]
    }

    public let units: [Unit]

    /// `x` in the data layer's coding; `dreams` draws estimate the prior of a lower layer.
    public init(_ machine: HelmholtzMachine, data x: Matrix, dreams: Int = 10_000, seed: UInt64 = 1) {
        let h = machine.widths[1], v = machine.widths[0]
        let signed = machine.model.layers[1].kind.isSigned, off: Float = signed ? -1 : 0
        var priors = [Double](repeating: 0, count: h)   // P(unit on)
        if machine.depth == 1 {
            let p = Matrix(rows: 1, cols: h), m = Matrix(rows: 1, cols: h)
            machine.prior.preactivation(nil, into: p)
            machine.prior.mean(pre: p, into: m)
            priors = machine.model.layers[1].kind.decode(m.array).map(Double.init)
        } else {
            let sleep = SleepPhase(machine: machine, dreams: dreams)
            sleep.dream(count: dreams, stream: RandomStream(key: seed, purpose: .generate, step: 2), firstDream: 0)
            for r in 0..<dreams { for j in 0..<h where sleep.dream[1][r, j] > 0 { priors[j] += 1 / Double(dreams) } }
        }
        let mode = priors.map { $0 > 0.5 }
        // Row 0: every unit in its most probable state; row j + 1: unit j flipped.
        let states = Matrix(rows: h + 1, cols: h)
        for r in 0...h { for j in 0..<h { states[r, j] = mode[j] != (r == j + 1) ? 1 : off } }
        let pre = Matrix(rows: h + 1, cols: machine.generative[0].preWidth), mean = Matrix(rows: h + 1, cols: v)
        machine.generative[0].preactivation(states, into: pre)
        machine.generative[0].mean(pre: pre, into: mean)
        let kind = machine.model.layers[0].kind
        let base = kind.decode(Array(UnsafeBufferPointer(start: mean.row(0), count: v)))
        let qPre = Matrix(rows: x.rows, cols: machine.recognition[0].preWidth), q = Matrix(rows: x.rows, cols: h)
        machine.recognition[0].preactivation(x, into: qPre)
        machine.recognition[0].mean(pre: qPre, into: q)
        let half: Float = signed ? 0 : 0.5   // E[s] of ±1 units is 2q − 1
        units = (0..<h).map { j in
            let flipped = kind.decode(Array(UnsafeBufferPointer(start: mean.row(j + 1), count: v)))
            return Unit(index: j, pattern: zip(flipped, base).map { Double($0 - $1) }, prior: mode[j] ? 1 - priors[j] : priors[j],
                        activeState: mode[j] ? 0 : 1, onRows: (0..<x.rows).filter { mode[j] ? q[$0, j] < half : q[$0, j] > half })
        }
    }
}
