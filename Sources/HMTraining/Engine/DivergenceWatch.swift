import Foundation

/// Notices a run that has diverged: a log-likelihood estimate — the mean wake bound of the
/// steps since the last look, or a held-out estimate — that is not finite, or that has fallen
/// below the best estimate so far (any step's bound, any held-out estimate) by more than
/// `factor` times the best's size, at least 1 nat: from −20, below −2,020. Every rank sees the
/// same all-reduced values and looks at the same steps, so all come to the same verdict.
struct DivergenceWatch {
    static let factor = 100.0

    private var best = -Double.infinity
    private var boundSum = 0.0
    private var boundSteps = 0
    private var firstStep = 0

    /// Adds one step's mean wake bound (`step`: the steps done with it).
    mutating func add(bound: Double, step: Int) {
        if boundSteps == 0 { firstStep = step }
        boundSum += bound
        boundSteps += 1
        if bound.isFinite { best = max(best, bound) }
    }

    /// The verdict on the wake bounds added since the last look (nil: no sign of divergence).
    mutating func checkBound() -> String? {
        guard boundSteps > 0 else { return nil }
        let mean = boundSum / Double(boundSteps)
        let steps = boundSteps == 1 ? "step \(firstStep)" : "steps \(firstStep)–\(firstStep + boundSteps - 1)"
        boundSum = 0
        boundSteps = 0
        return verdict("the mean wake bound of \(steps)", mean)
    }

    /// The verdict on a held-out estimate.
    mutating func check(heldOut value: Double, split: String) -> String? {
        defer { if value.isFinite { best = max(best, value) } }
        return verdict("the held-out (\(split)) log-likelihood", value)
    }

    private func verdict(_ what: String, _ value: Double) -> String? {
        guard value.isFinite else { return "\(what) is \(value)" }
        guard best > -.infinity else { return nil }
        let floor = best - Self.factor * max(abs(best), 1)
        guard value < floor else { return nil }
        return "\(what) is \(Self.shown(value)) nats, below \(Self.shown(floor)) (the best estimate so far, \(Self.shown(best)), less \(Int(Self.factor))× its size)"
    }

    static func shown(_ v: Double) -> String { abs(v) < 1e6 ? String(format: "%.3f", v) : String(format: "%.3g", v) }
}
