/// What the ranks' timelines of the same steps say together (`bench --timeline`): per phase,
/// how long the slowest rank spent in it and how far apart the ranks finished it, and how much
/// of the step went to collectives. A phase slow on every rank points at compute or memory
/// bandwidth; a large skew at a late rank (load imbalance, a busy core); a large collective
/// share with little skew at the network.
public struct TimelineSummary: Codable, Sendable, Equatable {
    public struct Phase: Codable, Sendable, Equatable {
        public var phase: String
        /// Mean over steps of the largest time any rank spent in the phase (all its spans).
        public var max_seconds: Double
        /// Mean over steps of the latest minus the earliest end of the phase across ranks.
        public var skew_seconds: Double
    }
    /// In step order (the order of `StepPhase`).
    public var phases: [Phase]
    /// Mean over steps and ranks of the share of the step spent in collectives.
    public var collective_fraction: Double
    /// Mean over steps of the slowest rank's step.
    public var step_seconds: Double

    /// `ranks[r]` is rank r's timelines of the same steps, in the same order.
    public init(_ ranks: [[StepTimeline]]) {
        let steps = ranks.map(\.count).min() ?? 0
        let n = Double(max(steps, 1))
        phases = StepPhase.allCases.compactMap { p in
            var longest = 0.0, skew = 0.0, seen = false
            for s in 0..<steps {
                let spans = ranks.map { $0[s].spans.filter { $0.phase == p } }
                guard spans.allSatisfy({ !$0.isEmpty }) else { continue }
                seen = true
                longest += spans.map { $0.reduce(0) { $0 + $1.end - $1.start } }.max()!
                let ends = spans.map { $0.last!.end }
                skew += ends.max()! - ends.min()!
            }
            return seen ? Phase(phase: p.rawValue, max_seconds: longest / n, skew_seconds: skew / n) : nil
        }
        let shares = ranks.flatMap { $0.prefix(steps).map { $0.total > 0 ? $0.collectiveSeconds / $0.total : 0 } }
        collective_fraction = shares.isEmpty ? 0 : shares.reduce(0, +) / Double(shares.count)
        step_seconds = (0..<steps).map { s in ranks.map { $0[s].total }.max()! }.reduce(0, +) / n
    }
}
