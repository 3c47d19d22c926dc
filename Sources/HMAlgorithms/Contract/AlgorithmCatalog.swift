import HMCore

/// The algorithms of `--algorithm`, by name.
public enum AlgorithmName: String, CaseIterable, Sendable, Codable {
    case ws, rws, nws, nrws, ddc

    /// Whether it draws K importance samples per data point (`--samples`); the others draw one.
    public var usesImportanceSamples: Bool { self == .rws || self == .nrws }
    /// Whether it follows the natural gradient (`--damping`, `--fisher-*` apply).
    public var isNatural: Bool { self == .nws || self == .nrws }
    /// Whether this version can train it.
    public var isAvailable: Bool { true }
    /// Whether it reads the `--ddc-*` options.
    public var isDDC: Bool { self == .ddc }
}

/// `ddc`: where the gradient of log p(z_l | z_{l+1}) is read out (docs/training.md). `layer`:
/// all of it from T_l; `paper` (Vértes & Sahani 2018): the part at a reference state of z_l
/// (the log-partition gradient −∇Φ_l, a function of z_{l+1}) from T_{l+1}, the rest from T_l.
public enum DDCSplit: String, CaseIterable, Sendable, Codable {
    case layer, paper
}

/// `ddc`'s features T_l of each latent layer: sigmoids of random projections (the paper's
/// kind), or random Fourier features cos(U z + c) (a Gaussian kernel's).
public enum DDCFeatureType: String, CaseIterable, Sendable, Codable {
    case sigmoid, cosine
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
    /// `ddc`: random features per latent layer, random features of x, ridge λ.
    public var ddcFeatures = 100
    public var ddcRecognitionFeatures = 200
    public var ddcRidge = 1e-3
    public var ddcSplit: DDCSplit = .layer
    public var ddcFeatureType: DDCFeatureType = .sigmoid
    /// Active sampling: candidate fantasies per dream at most.
    public var activeTries = 1000
    /// Multilevel cues (Ramos et al.): on, over how many epochs λ falls from 1 to 0, the
    /// pyramid's pooling and binarization, and whether q learns the cue pairs too.
    public var multilevel = false
    public var multilevelEpochs = 10
    public var multilevelPool: CuePool = .mean
    public var multilevelBinarize: CueBinarization = .sample
    public var multilevelRecognition = false
    /// Goal-seeded generation with cycle consistency (Li 2025): cycles per dream (nil: off),
    /// the weights of the goal, latent and content terms, and how the dreams' goals are drawn.
    public var goalCycles: Int?
    public var goalWeight = 1.0
    public var goalLatentWeight = 1.0
    public var goalContentWeight = 1.0
    public var goalDreams: GoalDreams = .uniform

    public init() {}

    /// Defaults that depend on other settings, for those not `given` (by key): K by the
    /// algorithm (5 where it draws importance samples, else 1), the final damping the damping.
    public mutating func fillDefaults(given: Set<String>) {
        if !given.contains("samples") { samples = name.usesImportanceSamples ? 5 : 1 }
        if !given.contains("damping-final") { dampingFinal = damping }
    }
}

/// One setting of `AlgorithmOptions` as an option of `train`: its key (flag and YAML key), its
/// help, and where its value goes. The training options take these as they are, so the engine
/// says nothing about which algorithm reads which option.
public struct AlgorithmOptionField {
    public enum Value {
        case integer(WritableKeyPath<AlgorithmOptions, Int>, minimum: Int)
        case real(WritableKeyPath<AlgorithmOptions, Double>, expected: String, valid: (Double) -> Bool)
        case flag(WritableKeyPath<AlgorithmOptions, Bool>)
        /// Set only when given.
        case optionalInteger(WritableKeyPath<AlgorithmOptions, Int?>, minimum: Int)
        /// One of `names`: `write` sets it, `read` gives it back.
        case choice(names: [String], read: (AlgorithmOptions) -> String, write: (inout AlgorithmOptions, String) -> Void)

        /// An enumeration's cases, by name.
        static func choice<E: RawRepresentable & CaseIterable>(_ path: WritableKeyPath<AlgorithmOptions, E>) -> Value where E.RawValue == String {
            .choice(names: E.allCases.map(\.rawValue), read: { $0[keyPath: path].rawValue },
                    write: { o, name in if let v = E(rawValue: name) { o[keyPath: path] = v } })
        }
    }
    public let key: String
    public let help: String
    public let value: Value
}

extension AlgorithmOptions {
    static func names(_ which: (AlgorithmName) -> Bool) -> String {
        AlgorithmName.allCases.filter(which).map(\.rawValue).joined(separator: "/")
    }

    /// The help of `--algorithm`.
    public static var algorithmHelp: String {
        let later = names { !$0.isAvailable }
        return "The algorithm: \(names { _ in true }) (default \(AlgorithmOptions().name.rawValue)\(later.isEmpty ? "" : "; \(later) in a later version"))."
    }

    public static let fields: [AlgorithmOptionField] = {
        let k = names(\.usesImportanceSamples), n = names(\.isNatural), d = names(\.isDDC)
        return [
            .init(key: "samples", help: "Importance samples K per data point (\(k); default 5).", value: .integer(\.samples, minimum: 1)),
            .init(key: "damping", help: "\(n): damping α of the solve (F + αI)⁻¹g (default 0.01).",
                  value: .real(\.damping, expected: "a positive number", valid: { $0 > 0 })),
            .init(key: "damping-final", help: "\(n): α at the end of the damping schedule (default: --damping, constant).",
                  value: .real(\.dampingFinal, expected: "a positive number", valid: { $0 > 0 })),
            .init(key: "damping-steps", help: "\(n): steps over which α moves geometrically from --damping to --damping-final.",
                  value: .integer(\.dampingSteps, minimum: 0)),
            .init(key: "fisher-every", help: "\(n): recompute the Fisher statistics and factors every k steps (default 10).",
                  value: .integer(\.fisherEvery, minimum: 1)),
            .init(key: "fisher-decay", help: "\(n): running average of the direct layers' Fisher blocks, ρ·previous + new on each recompute (0 ≤ ρ < 1; default 0: off).",
                  value: .real(\.fisherDecay, expected: "a number in [0, 1)", valid: { (0..<1).contains($0) })),
            .init(key: "ddc-features", help: "\(d): random features T_l per latent layer, whose expectations represent its posterior (default 100).",
                  value: .integer(\.ddcFeatures, minimum: 1)),
            .init(key: "ddc-recognition-features", help: "\(d): random features of x on which the moments are regressed (default 200).",
                  value: .integer(\.ddcRecognitionFeatures, minimum: 1)),
            .init(key: "active-tries", help: "--active-sampling: candidate fantasies drawn per dream at most before the dream is left out (default 1000).",
                  value: .integer(\.activeTries, minimum: 1)),
            .init(key: "ddc-ridge", help: "\(d): ridge λ of every regression, on sums over the dreams (default 0.001).",
                  value: .real(\.ddcRidge, expected: "a positive number", valid: { $0 > 0 })),
            .init(key: "ddc-split", help: "\(d): layer (default: each layer's gradient read out from its own features T_l) or paper (the log-partition part from T_{l+1}, as Vértes & Sahani).",
                  value: .choice(\.ddcSplit)),
            .init(key: "multilevel", help: "Multi-level cues (Ramos, Sa-Couto & Wichert; ws, rws, nws, nrws; binary images): in the wake phase, with a probability λ falling from 1 to 0 over --multilevel-epochs, a point's hidden layers take its cue pyramid (2×2 poolings of the image) instead of recognition samples.",
                  value: .flag(\.multilevel)),
            .init(key: "multilevel-epochs", help: "--multilevel: epochs over which λ falls linearly from 1 to 0; plain training after (default 10).",
                  value: .integer(\.multilevelEpochs, minimum: 0)),
            .init(key: "multilevel-pool", help: "--multilevel: each level pools 2×2 blocks by their mean (default) or max (OR: thin strokes survive).",
                  value: .choice(\.multilevelPool)),
            .init(key: "multilevel-binarize", help: "--multilevel: a pooled level is made 0/1 by a Bernoulli draw of its value (sample, default) or at 0.5 (threshold).",
                  value: .choice(\.multilevelBinarize)),
            .init(key: "multilevel-recognition", help: "--multilevel: the recognition network learns the cue pairs q(c_{l+1} | c_l) of the clamped points too (default: it learns nothing from them).",
                  value: .flag(\.multilevelRecognition)),
            .init(key: "goal-cycles", help: "Goal-seeded generation (Li 2025; ws or rws with a categorical top layer, the goal): the wake phase clamps the goal to the label, each dream starts from a goal g*, and N cycles (0: none) of recognition from the dream and generation from its latents and g* train the goal, latent and content terms.",
                  value: .optionalInteger(\.goalCycles, minimum: 0)),
            .init(key: "goal-weight", help: "--goal-cycles: weight of the goal term ∇ log q(g* | x̃) of every cycle (default 1).",
                  value: .real(\.goalWeight, expected: "a number ≥ 0", valid: { $0 >= 0 })),
            .init(key: "goal-latent-weight", help: "--goal-cycles: weight of the latent term, each layer's recognition from the recognised layer below against the dreamed state (default 1).",
                  value: .real(\.goalLatentWeight, expected: "a number ≥ 0", valid: { $0 >= 0 })),
            .init(key: "goal-content-weight", help: "--goal-cycles: weight of the content term ∇ log p(x̃ | ĥ_1), the reconstruction of a cycle's x̃ from its recognised latents (default 1).",
                  value: .real(\.goalContentWeight, expected: "a number ≥ 0", valid: { $0 >= 0 })),
            .init(key: "goal-dreams", help: "--goal-cycles: each dream's goal g* drawn uniformly (default) or from the prior p(g).",
                  value: .choice(\.goalDreams)),
            .init(key: "ddc-feature-type", help: "\(d): the features T_l, sigmoid (default: σ(Uz + c)) or cosine (random Fourier features cos(Uz + c), c uniform on [0, 2π)).",
                  value: .choice(\.ddcFeatureType)),
        ]
    }()
}

/// What an algorithm may take from the run besides the model: active sampling's first pool
/// (the training data) and its rule.
public struct AlgorithmContext {
    public var data: Matrix?
    public var rule: PatternTest?
    /// Steps of one epoch (multilevel cues' schedule is in epochs).
    public var stepsPerEpoch: Int
    public init(data: Matrix? = nil, rule: PatternTest? = nil, stepsPerEpoch: Int = 1) {
        self.data = data
        self.rule = rule
        self.stepsPerEpoch = stepsPerEpoch
    }
}

/// Builds the algorithm that `AlgorithmOptions` names: the one place that maps names to types.
public enum AlgorithmCatalog {
    public struct Unavailable: Error, CustomStringConvertible {
        public let name: AlgorithmName
        /// Why it cannot train this model, when it could train others.
        public var reason: String?
        public var description: String {
            if let reason { return "\(name.rawValue) cannot train this model: \(reason)" }
            let others = AlgorithmName.allCases.filter(\.isAvailable).map(\.rawValue)
            return "\(name.rawValue) is not available in this version; use \(others.dropLast().joined(separator: ", ")) or \(others.last!)"
        }
    }

    /// `batch` and `dreams` are one rank's largest share of a step. With a rule in `context`,
    /// the algorithm is wrapped in active sampling; with `multilevel`, in multilevel cues.
    public static func make(_ o: AlgorithmOptions, machine: HelmholtzMachine, batch: Int, dreams: Int,
                            context: AlgorithmContext = AlgorithmContext()) throws -> TrainingAlgorithm {
        let base = try make(o, machine: machine, batch: batch, dreams: dreams)
        if let cycles = o.goalCycles {
            guard let inner = base as? WakeSampled, o.name == .ws || o.name == .rws else {
                throw Unavailable(name: o.name, reason: "goal-seeded generation replaces the sleep phase of ws or rws")
            }
            if o.multilevel || context.rule != nil {
                throw Unavailable(name: o.name, reason: "--goal-cycles does not combine with --multilevel or --active-sampling in this version")
            }
            guard machine.model.kinds.last == .categorical else {
                throw Unavailable(name: o.name, reason: "--goal-cycles needs a categorical goal layer on top (e.g. --layers 784,200,10:categorical); the top layer is \(machine.model.kinds.last!.rawValue)")
            }
            return GoalSeeded(inner: inner, cycles: cycles, goalWeight: o.goalWeight, latentWeight: o.goalLatentWeight,
                              contentWeight: o.goalContentWeight, seeding: o.goalDreams, batch: batch, dreams: dreams)
        }
        if o.multilevel {
            if context.rule != nil { throw Unavailable(name: o.name, reason: "--multilevel and --active-sampling do not combine in this version") }
            return try multilevel(o, around: base, batch: batch, stepsPerEpoch: context.stepsPerEpoch)
        }
        guard let rule = context.rule else { return base }
        guard o.name == .ws || o.name == .rws, let data = context.data else {
            throw Unavailable(name: o.name, reason: "active sampling replaces the sleep phase of ws or rws; \(o.name.rawValue)'s sleep phase feeds more than the recognition gradient")
        }
        return ActiveSampling(inner: base, pool: data, batch: batch, dreams: dreams, rule: rule, tries: o.activeTries)
    }

    static func multilevel(_ o: AlgorithmOptions, around base: TrainingAlgorithm, batch: Int, stepsPerEpoch: Int) throws -> TrainingAlgorithm {
        guard let inner = base as? WakeSampled else {
            throw Unavailable(name: o.name, reason: "multilevel cues clamp the wake phase's samples of ws, rws, nws or nrws")
        }
        let model = inner.machine.model
        if let kind = model.kinds.first(where: { $0 != .bernoulli }) {
            throw Unavailable(name: o.name, reason: "multilevel cues are 0/1 images and their poolings: every layer must be bernoulli, and the model has a \(kind.rawValue) layer")
        }
        let shape = model.imageShape
        let pyramid = CuePyramid(rows: shape[0], cols: shape[1], widths: Array(inner.machine.widths.dropFirst()),
                                 pool: o.multilevelPool, binarization: o.multilevelBinarize)
        return MultilevelCues(inner: inner, pyramid: pyramid, schedule: CueSchedule(steps: o.multilevelEpochs * stepsPerEpoch),
                              trainRecognition: o.multilevelRecognition, batch: batch)
    }

    static func make(_ o: AlgorithmOptions, machine: HelmholtzMachine, batch: Int, dreams: Int) throws -> TrainingAlgorithm {
        if o.name.isNatural, let kind = machine.model.kinds.first(where: { !$0.hasFisherBlock }) {
            throw Unavailable(name: o.name, reason: "its Fisher blocks are for Bernoulli layers only in this version, and the model has a \(kind.rawValue) layer; use ws or rws")
        }
        switch o.name {
        case .ws: return WakeSleep(machine: machine, batch: batch, dreams: dreams)
        case .rws: return ReweightedWakeSleep(machine: machine, batch: batch, samples: o.samples, dreams: dreams)
        case .nws, .nrws:
            let natural = NaturalWakeSleep(o.name == .nws ? .nws : .nrws, machine: machine, batch: batch,
                                           samples: o.samples, dreams: dreams, damping: o.damping, fisherEvery: o.fisherEvery,
                                           fisherDecay: o.fisherDecay)
            natural.dampingSchedule = DampingSchedule(start: o.damping, final: o.dampingFinal, steps: o.dampingSteps)
            return natural
        case .ddc:
            if machine.model.layers[0].kind == .gaussianHetero {
                throw Unavailable(name: o.name, reason: "its observation read-out needs log p(x | z) − log p(0 | z) affine in z (a bernoulli, bernoulli-pm1, categorical or gaussian data layer), and a gaussian-hetero layer's variance depends on z")
            }
            return DDCWakeSleep(machine: machine, dreams: dreams, features: o.ddcFeatures,
                                recognitionFeatures: o.ddcRecognitionFeatures, ridge: o.ddcRidge, split: o.ddcSplit,
                                featureType: o.ddcFeatureType)
        }
    }
}
