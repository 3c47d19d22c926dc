/// A run's settings resolved against the defaults and checked, ready to train with.
public struct Settings: Sendable {
    public enum Algorithm: String, CaseIterable, Sendable { case ws, rws, nws, nrws, ddc }

    public var data: String
    public var binarize: String
    /// Hidden widths when `--layers` was not given are [200, 200, 10], as in the RWS paper.
    public var layers: [Int]?
    public var algorithm: Algorithm
    public var samples: Int
    public var batch: Int
    public var dreams: Int
    public var optimizer: String
    public var lr: Double
    public var momentum: Double
    public var epochs: Int?
    public var steps: Int?
    public var seed: UInt64
    public var runDir: String?
    public var checkpointEvery: Int
    public var keep: Int
    public var resume: String
    public var ranks: Int
    public var threads: Int
    public var reproducible: Bool
    public var evalEvery: Int
    public var evalSamples: Int
    /// The split the estimates during and after training are taken on: valid (default) or
    /// test (for curves of the test log-likelihood, as papers plot them).
    public var evalSplit: String
    public var logEvery: Int
    /// zstd level of checkpoint shards (1 is as small as 3 on float weights, and faster).
    public var zstdLevel: Int
    /// `nws`/`nrws`: α of the damped solve (F_i + αI)⁻¹g. Default 1e-2: a Bernoulli unit's
    /// Fisher entries are at most σ' ≤ 1/4, so α = 0.01 leaves the well-measured directions
    /// natural (curvature ≫ α) while capping the gain in directions the step's samples barely
    /// see — all but N of them when a layer has fewer samples N than fan-in + 1 (Woodbury) —
    /// at 1/α = 100 times the plain gradient.
    public var damping: Double
    /// nws/nrws: α moves geometrically from `damping` to `dampingFinal` over `dampingSteps`.
    public var dampingFinal: Double
    public var dampingSteps: Int
    /// `nws`/`nrws`: recompute the Fisher statistics and factors every this many steps (from
    /// that step's samples); the steps in between reuse the factors.
    public var fisherEvery: Int
    /// `nws`/`nrws`: ρ of a decaying running average of the direct layers' Fisher blocks: each
    /// recompute step's sums (and count) become ρ·previous + this step's. 0 (default): off,
    /// each recompute step's own statistics. Woodbury layers (no sums) and the exact prior are
    /// not averaged.
    public var fisherDecay: Double

    /// `source` names where bad values came from in the error messages.
    public init(_ c: RunConfig, source: String = "command line") throws {
        func positive(_ v: Int?, _ key: RunConfig.CodingKeys, default d: Int) throws -> Int {
            let v = v ?? d
            guard v > 0 else { throw ConfigError(path: source, field: key.rawValue, "expected a positive integer, found \(v)") }
            return v
        }
        func nonNegative(_ v: Int?, _ key: RunConfig.CodingKeys, default d: Int) throws -> Int {
            let v = v ?? d
            guard v >= 0 else { throw ConfigError(path: source, field: key.rawValue, "expected an integer ≥ 0, found \(v)") }
            return v
        }
        data = c.data ?? "digits"
        binarize = c.binarize ?? "none"
        guard ["none", "threshold", "stochastic"].contains(binarize) else {
            throw ConfigError(path: source, field: "binarize", "expected none, threshold or stochastic, found \(binarize)")
        }
        layers = c.layers
        if let layers, layers.count < 2 || layers.contains(where: { $0 <= 0 }) {
            throw ConfigError(path: source, field: "layers", "expected at least two positive widths, data first (784,200,200,10), found \(layers)")
        }
        let name = c.algorithm ?? "rws"
        guard let a = Algorithm(rawValue: name) else {
            throw ConfigError(path: source, field: "algorithm", "expected one of ws, rws, nws, nrws, ddc, found \(name)")
        }
        algorithm = a
        samples = try positive(c.samples, .samples, default: a == .ws || a == .nws ? 1 : 5)
        batch = try positive(c.batch, .batch, default: 100)
        dreams = try positive(c.dreams, .dreams, default: batch)
        optimizer = c.optimizer ?? "adam"
        guard ["adam", "sgd"].contains(optimizer) else {
            throw ConfigError(path: source, field: "optimizer", "expected adam or sgd, found \(optimizer)")
        }
        lr = c.lr ?? 1e-3
        guard lr > 0, lr.isFinite else { throw ConfigError(path: source, field: "lr", "expected a positive number, found \(lr)") }
        momentum = c.momentum ?? 0.9
        guard (0..<1).contains(momentum) else { throw ConfigError(path: source, field: "momentum", "expected a number in [0, 1), found \(momentum)") }
        if c.epochs != nil && c.steps != nil {
            throw ConfigError(path: source, field: "steps", "give either epochs or steps, not both")
        }
        epochs = try c.epochs.map { try positive($0, .epochs, default: 1) }
        steps = try c.steps.map { try positive($0, .steps, default: 1) }
        if epochs == nil && steps == nil { epochs = 10 }
        seed = c.seed ?? 1
        runDir = c.runDir
        checkpointEvery = try nonNegative(c.checkpointEvery, .checkpointEvery, default: 0)
        keep = try positive(c.keep, .keep, default: 3)
        resume = c.resume ?? "never"
        ranks = try positive(c.ranks, .ranks, default: 1)
        threads = try positive(c.threads, .threads, default: 1)
        reproducible = c.reproducible ?? false
        evalEvery = try nonNegative(c.evalEvery, .evalEvery, default: 0)
        evalSamples = try positive(c.evalSamples, .evalSamples, default: 100)
        evalSplit = c.evalSplit ?? "valid"
        guard ["valid", "test"].contains(evalSplit) else {
            throw ConfigError(path: source, field: "eval-split", "expected valid or test, found \(evalSplit)")
        }
        logEvery = try positive(c.logEvery, .logEvery, default: 100)
        zstdLevel = c.zstdLevel ?? 1
        guard (1...19).contains(zstdLevel) else {
            throw ConfigError(path: source, field: "zstd-level", "expected a level from 1 to 19, found \(zstdLevel)")
        }
        damping = c.damping ?? 1e-2
        guard damping > 0, damping.isFinite else {
            throw ConfigError(path: source, field: "damping", "expected a positive number, found \(damping)")
        }
        dampingFinal = c.dampingFinal ?? damping
        guard dampingFinal > 0, dampingFinal.isFinite else {
            throw ConfigError(path: source, field: "damping-final", "expected a positive number, found \(dampingFinal)")
        }
        dampingSteps = try nonNegative(c.dampingSteps, .dampingSteps, default: 0)
        fisherEvery = try positive(c.fisherEvery, .fisherEvery, default: 10)
        fisherDecay = c.fisherDecay ?? 0
        guard fisherDecay >= 0, fisherDecay < 1 else {
            throw ConfigError(path: source, field: "fisher-decay", "expected a number in [0, 1), found \(fisherDecay)")
        }
    }

    /// Back to the YAML form, every key set: what `config.yaml` in a run directory holds.
    public var config: RunConfig {
        var c = RunConfig()
        c.data = data; c.binarize = binarize; c.layers = layers; c.algorithm = algorithm.rawValue
        c.samples = samples; c.batch = batch; c.dreams = dreams; c.optimizer = optimizer
        c.lr = lr; c.momentum = momentum; c.epochs = epochs; c.steps = steps; c.seed = seed
        c.runDir = runDir; c.checkpointEvery = checkpointEvery; c.keep = keep; c.resume = resume
        c.ranks = ranks; c.threads = threads; c.reproducible = reproducible
        c.evalEvery = evalEvery; c.evalSamples = evalSamples; c.evalSplit = evalSplit; c.logEvery = logEvery; c.zstdLevel = zstdLevel
        c.damping = damping; c.dampingFinal = dampingFinal; c.dampingSteps = dampingSteps; c.fisherEvery = fisherEvery; c.fisherDecay = fisherDecay
        return c
    }
}
