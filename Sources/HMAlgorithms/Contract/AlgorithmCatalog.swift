import HMCore

/// The algorithms of `--algorithm`, by name.
public enum AlgorithmName: String, CaseIterable, Sendable, Codable {
    case ws, rws, nws, nrws, ddc

    /// Whether it draws K importance samples per data point (`--samples`); the others draw one.
    public var usesImportanceSamples: Bool { self == .rws || self == .nrws }
    /// Whether it follows the natural gradient (`--damping`, `--fisher-*` apply).
    public var isNatural: Bool { self == .nws || self == .nrws }
}

/// The options an algorithm is built from; the engine carries them without reading them.
public struct AlgorithmOptions: Sendable, Equatable {
    public var name: AlgorithmName = .rws
    /// K, importance samples per data point (1 for the algorithms that draw one).
    public var samples = 5
    public var damping = 1e-2
    public var dampingFinal = 1e-2
    public var dampingSteps = 0
    public var fisherEvery = 10
    public var fisherDecay = 0.0

    public init() {}
}

/// Builds the algorithm that `AlgorithmOptions` names: the one place that maps names to types.
public enum AlgorithmCatalog {
    public struct Unavailable: Error, CustomStringConvertible {
        public let name: AlgorithmName
        public var description: String {
            "\(name.rawValue) is not available in this version; use \(AlgorithmName.allCases.filter { $0 != name && $0 != .ddc }.map(\.rawValue).joined(separator: ", "))"
        }
    }

    /// `batch` and `dreams` are one rank's largest share of a step.
    public static func make(_ o: AlgorithmOptions, machine: HelmholtzMachine, batch: Int, dreams: Int) throws -> TrainingAlgorithm {
        switch o.name {
        case .ws: return WakeSleep(machine: machine, batch: batch, dreams: dreams)
        case .rws: return ReweightedWakeSleep(machine: machine, batch: batch, samples: o.samples, dreams: dreams)
        case .nws, .nrws:
            let natural = NaturalWakeSleep(o.name == .nws ? .nws : .nrws, machine: machine, batch: batch,
                                           samples: o.samples, dreams: dreams, damping: o.damping, fisherEvery: o.fisherEvery,
                                           fisherDecay: o.fisherDecay)
            natural.dampingSchedule = DampingSchedule(start: o.damping, final: o.dampingFinal, steps: o.dampingSteps)
            return natural
        case .ddc: throw Unavailable(name: o.name)
        }
    }
}
