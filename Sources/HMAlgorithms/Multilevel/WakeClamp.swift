import HMCore

/// Hidden states that the wake phase takes instead of recognition samples for some of its
/// points: every one of a clamped point's K samples of layer l is `states[l − 1]`'s row of
/// the point. The recognition deltas of clamped points are zeroed, so that the algorithm's
/// own wake-q term does not learn from states q did not draw (multilevel cues train q on
/// them apart, when asked).
public struct WakeClamp {
    /// Per point of the share.
    public var clamped: [Bool]
    /// states[l − 1]: [B, w_l], hidden layer l's state of each point.
    public var states: [Matrix]

    public init(clamped: [Bool], states: [Matrix]) {
        self.clamped = clamped
        self.states = states
    }

    /// Overwrites the clamped points' samples of layer `l` in `h` ([B·K, w_l]).
    func apply(layer l: Int, to h: Matrix, samples K: Int) {
        let s = states[l - 1], w = h.cols
        for (b, on) in clamped.enumerated() where on {
            for k in 0..<K { h.row(b * K + k).update(from: s.row(b), count: w) }
        }
    }

    /// Zeroes the clamped points' rows of a [B·K, ·] matrix.
    func zeroRows(of m: Matrix, samples K: Int) {
        for (b, on) in clamped.enumerated() where on {
            m.row(b * K).update(repeating: 0, count: K * m.cols)
        }
    }
}
