import HMCore

/// A buffer an algorithm fills on every rank and the engine combines across ranks: summed in
/// place (floats, doubles) or gathered in global order (rows). How it is summed — floating
/// point, or exactly in fixed point over fixed micro-blocks (`--reproducible`) — is the
/// engine's choice of reducer; the algorithm only says what and when.
public struct Exchange {
    public enum Payload {
        /// Summed across ranks, in place.
        case floats(UnsafeMutablePointer<Float>, count: Int)
        case doubles(UnsafeMutablePointer<Double>, count: Int)
        /// Samples as rows of one or more matrices (the same row count): every rank's rows,
        /// in rank order — the global order, since each rank's share is a contiguous range of
        /// the step's samples — are handed to `receive` as new matrices.
        case rows([Matrix], receive: ([Matrix]) -> Void)
    }

    /// When the buffer is final and travels.
    public enum Timing: Sendable {
        /// Final after the wake phase: may travel while the sleep phase computes.
        case duringSleep
        /// Final after a share's phases.
        case afterPhases
        /// Statistics (not gradients): after the gradients, only on steps that ask for it;
        /// timed apart, not checked for finiteness.
        case statistics
    }

    public let name: String
    public let payload: Payload
    public let timing: Timing
    /// The largest |value| an element can hold, summed over the whole step (fixed point's range).
    public let bound: Double
    /// Names the element at an index in messages ("gradient of generative.0.weight").
    public let label: (Int) -> String

    public init(name: String, payload: Payload, timing: Timing, bound: Double, label: ((Int) -> String)? = nil) {
        self.name = name
        self.payload = payload
        self.timing = timing
        self.bound = bound
        self.label = label ?? { _ in name }
    }

    /// The machine's whole gradient buffer in two parts: the generative tensors (final after
    /// the wake phase, so they travel while the sleep phase runs), then the recognition ones.
    /// `terms`: how many mean gradients, each within the layers' bound, a step adds up.
    public static func gradients(of machine: HelmholtzMachine, terms: Double = 1) -> [Exchange] {
        let store = machine.store, split = machine.recognitionOffset, g = store.gradients.data
        let bound = machine.model.gradientBound * terms
        return [
            Exchange(name: "generative gradient", payload: .floats(g, count: split), timing: .duringSleep, bound: bound,
                     label: { "gradient of \(store.tensorName(at: $0))" }),
            Exchange(name: "recognition gradient", payload: .floats(g + split, count: store.count - split),
                     timing: .afterPhases, bound: bound, label: { "gradient of \(store.tensorName(at: split + $0))" }),
        ]
    }
}

extension ParameterStore {
    /// The tensor whose span holds flat index `i` (padding counts with the tensor before it).
    public func tensorName(at i: Int) -> String {
        entries.last { $0.offset <= i }?.name ?? "a tensor"
    }
}
