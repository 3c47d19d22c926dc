import HMCore

/// Hidden states that the wake phase takes as given instead of drawing them from q, for some
/// of its points: every one of a clamped point's K samples of layer l is `states[l − 1]`'s row
/// of the point (multilevel cues clamp every hidden layer; goal-seeded generation the goal
/// to the label). A clamped state is observed, not proposed: its log q is left out of the
/// point's log q(h | x), so the importance weights are those of the layers q did draw. Its
/// recognition delta is kept (q learns to predict it, as a label) or zeroed.
public struct WakeClamp {
    /// Per point of the share.
    public var clamped: [Bool]
    /// states[l − 1]: [B, w_l], hidden layer l's state of each point; nil: layer l is drawn.
    public var states: [Matrix?]
    /// Whether the algorithm's own wake-q term learns q(clamped state | layer below).
    public var recognitionLearns: Bool

    public init(clamped: [Bool], states: [Matrix?], recognitionLearns: Bool) {
        self.clamped = clamped
        self.states = states
        self.recognitionLearns = recognitionLearns
    }

    func covers(layer l: Int) -> Bool { l >= 1 && l <= states.count && states[l - 1] != nil }

    /// Overwrites the clamped points' samples of layer `l` in `h` ([B·K, w_l]).
    func apply(layer l: Int, to h: Matrix, samples K: Int) {
        guard covers(layer: l), let s = states[l - 1] else { return }
        let w = h.cols
        for (b, on) in clamped.enumerated() where on {
            for k in 0..<K { h.row(b * K + k).update(from: s.row(b), count: w) }
        }
    }

    /// Scores layer `l` with `score`, keeping the clamped points' log q as it was before and,
    /// unless q learns the clamped states, zeroing their rows of `delta` ([B·K, ·]).
    func score(layer l: Int, samples K: Int, logQ: DoubleBuffer, delta: Matrix?, _ score: () -> Void) {
        guard covers(layer: l) else { return score() }
        let rows = clamped.indices.filter { clamped[$0] }.flatMap { b in (b * K..<(b + 1) * K) }
        let kept = rows.map { logQ[$0] }
        score()
        for (r, v) in zip(rows, kept) { logQ[r] = v }
        if !recognitionLearns, let delta {
            for r in rows { delta.row(r).update(repeating: 0, count: delta.cols) }
        }
    }
}
