import Foundation

/// The parts of a training step the engine runs in sequence, in their order. Names of the
/// step's contract (`TrainingAlgorithm`), not of any algorithm: which parts do real work depends
/// on the algorithm and the reducer.
public enum StepPhase: String, CaseIterable, Codable, Sendable {
    case wake
    /// Starting the collectives that travel during the sleep phase (non-blocking).
    case startExchange = "start-exchange"
    case sleep
    case statistics
    /// Folding a share's buffers into the step's exact sums (`--reproducible`).
    case absorb
    /// Summing the gradients across ranks, including the wait for the ones started early.
    case reduce
    /// Summing the `.statistics` exchanges across ranks.
    case reduceStatistics = "reduce-statistics"
    /// `afterExchange`.
    case factor
    /// The step's own sums (bounds, stop signal) across ranks.
    case stepSums = "step-sums"
    /// `finishGradients`.
    case solve
    /// Gathering the ranks' owned segments.
    case gather
    case optimizer

    /// Whether the phase is a collective: its time is spent (mostly) waiting on other ranks
    /// and the network, not computing.
    public var isCollective: Bool {
        switch self {
        case .startExchange, .reduce, .reduceStatistics, .stepSums, .gather: true
        default: false
        }
    }
}

/// One step on one rank: when each phase started and ended, in seconds since the step's start
/// on a monotonic clock. Tells apart a rank that is late (skew), a phase that is slow everywhere
/// (compute, memory bandwidth) and time lost in collectives. A phase that runs once per share
/// (`--reproducible` runs several shares per rank) appears once per share, in order.
public struct StepTimeline: Sendable, Equatable {
    public struct Span: Sendable, Equatable {
        public var phase: StepPhase
        public var start: Double
        public var end: Double
    }

    public var step: Int
    public var spans: [Span] = []
    /// Seconds from the step's start to its end (after the optimizer).
    public var total = 0.0
    let origin: UInt64

    /// A timeline starting now.
    public init(step: Int) {
        self.step = step
        origin = DispatchTime.now().uptimeNanoseconds
    }

    init(step: Int, spans: [Span], total: Double) {
        self.step = step
        self.spans = spans
        self.total = total
        origin = 0
    }

    /// Seconds since the step's start.
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - origin) / 1e9 }

    /// Records `phase` as running from `start` until now.
    mutating func add(_ phase: StepPhase, from start: Double) {
        spans.append(Span(phase: phase, start: start, end: now()))
    }

    mutating func close() { total = now() }

    /// Seconds spent in collectives.
    public var collectiveSeconds: Double {
        spans.filter(\.phase.isCollective).reduce(0) { $0 + $1.end - $1.start }
    }
}
