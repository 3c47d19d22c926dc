import Foundation
import HMAlgorithms
import HMCore

/// Every option of `train`, in the order of the help text. The flag, the YAML key, the
/// `config.yaml` line and the help of each come from its one entry here; the algorithms'
/// options come from `AlgorithmOptions.fields`, as the algorithms declare them.
public enum TrainingOptions {
    public static let all: [TrainingOption] = [
        .string("data", \.data, value: "SPEC", help: "IDX directory or images file, a built-in set: digits (default), bars, bars:N, rhythm10, or spike data: spikes:FILE.csv, spikes:DIR (Kilosort), spikes-synth:KEY=VAL,…"),
        .choice("binarize", \.binarize, help: "Real-valued data to 0/1 (default none)."),
        .flag("standardize", \.standardize, help: "Gaussian data layer: standardise each pixel by the training split's mean and std (stored in the checkpoint)."),
        .real("bin-ms", \.spikes.binMs, expected: "a bin width in ms > 0", { $0 > 0 }, help: "Spike data: bin width in ms (default 2)."),
        .int("window", \.spikes.window, minimum: 1, help: "Spike data: bins per pattern (default 5); a pattern is channels × window bins."),
        .count("stride", \.spikes.stride, help: "Spike data: bins between the starts of consecutive patterns (default: the window)."),
        validFrom,
        layers,
        .choice("states", \.states, help: "Binary units coded 01 (default) or pm1 (±1, delta-rule targets (1 + s)/2: Liu 2023); pm1 makes every bernoulli layer bernoulli-pm1."),
        .choice("init", \.initialization, help: "normal (default: small random weights, the data's marginals in the visible biases) or zero (every parameter 0: Liu 2023)."),
        .choice("algorithm", \.algorithm.name, help: AlgorithmOptions.algorithmHelp),
    ] + AlgorithmOptions.fields.map(TrainingOption.algorithm) + [
        .int("batch", \.batch, minimum: 1, help: "Global batch size, split across ranks (default 100)."),
        .int("dreams", \.dreams, minimum: 1, help: "Dreams per step for the sleep phase (default: the batch)."),
        .choice("optimizer", \.optimizer, help: "adam (default) or sgd with momentum."),
        .real("lr", \.lr, expected: "a positive number", { $0 > 0 }, help: "Learning rate (default 0.001)."),
        .choice("lr-schedule", \.lrSchedule, help: "constant (default), cosine or linear: the learning rate falls from --lr to --lr-final over the run's steps (after --warmup-steps)."),
        .real("lr-final", \.lrFinal, expected: "a number ≥ 0", { $0 >= 0 }, help: "The learning rate a cosine or linear schedule ends at (default 0)."),
        .int("warmup-steps", \.warmupSteps, minimum: 0, help: "Steps over which the learning rate rises linearly from 0 to --lr (default 0)."),
        .count("lr-decay-steps", \.lrDecaySteps, help: "The step at which a cosine or linear schedule reaches --lr-final (default: the run's last step; set it so a run resumed with other totals keeps its course)."),
        .real("momentum", \.momentum, expected: "a number in [0, 1)", { (0..<1).contains($0) }, help: "SGD momentum (default 0.9)."),
        .count("epochs", \.epochs, help: "Total epochs (default 10)."),
        .count("steps", \.steps, help: "Total steps (instead of epochs)."),
        seed,
        runDir,
        .int("checkpoint-every", \.checkpointEvery, minimum: 0, help: "Save a checkpoint every S steps (0, the default: only at the end)."),
        .int("keep", \.keep, minimum: 1, help: "Committed checkpoints kept (default 3)."),
        resume,
        .optionalString("active-sampling", \.activeSampling, value: "RULE", help: "Active sampling (Liu 2023; ws or rws): wake on draws from a pool that starts as the data, sleep only on fantasies that pass RULE (rhythm10, rhythm10-lax, cmd:PROGRAM), which join the pool. Usually with --init-from."),
        .optionalString("init-from", \.initFrom, value: "CHECKPOINT", help: "Start a new run from this checkpoint's parameters (fine-tuning; the optimizer starts afresh). --resume continues a run instead."),
        .flag("grow", \.grow, help: "Grow the top layer (de Sa et al. 1997): stages of --grow-units more units, each trained for the run's steps, kept while the held-out estimate gains more than --grow-threshold; the top width of --layers is the most. Needs --run-dir."),
        .int("grow-units", \.growUnits, minimum: 1, help: "Units added per growth stage (default 1)."),
        .real("grow-threshold", \.growThreshold, expected: "a number ≥ 0", { $0 >= 0 }, help: "Least gain of the held-out log-likelihood, nats per point, for a stage's units to be kept (default 0.01)."),
        .real("labelled-fraction", \.labelledFraction, expected: "a number in [0, 1]", { (0...1).contains($0) }, help: "--goal-cycles: the fraction of training examples whose labels clamp the goal (semi-supervised; default 1); the others infer it."),
        .int("ranks", \.ranks, minimum: 1, help: "Ranks as threads of this process (single-node mode; default 1)."),
        .int("threads", \.threads, minimum: 1, help: "Threads per rank (default 1): the BLAS products and the element-wise work (scoring, sampling, Adam), split by rows; the bits do not depend on it."),
        .flag("reproducible", \.reproducible, help: "World-size-independent results, bit for bit (exact fixed-point sums)."),
        .int("eval-every", \.evalEvery, minimum: 0, help: "Estimate the held-out log-likelihood every S steps (0: only at the end)."),
        .int("eval-samples", \.evalSamples, minimum: 1, help: "Importance samples of those estimates (default 100)."),
        .choice("eval-split", \.evalSplit, help: "The split of those estimates (default valid)."),
        .int("log-every", \.logEvery, minimum: 1, help: "Progress line and metrics record every S steps (default 100)."),
        .int("report-every", \.reportEvery, minimum: 0, help: "Rewrite RUN/report.html (hm-dist report of the run) every S steps and at the end (0, the default: never)."),
        zstdLevel,
        .choice("on-divergence", \.onDivergence, help: "stop (default): end a run whose bound or held-out estimate collapses, keeping its last good checkpoint; continue: only warn."),
        allowChanges,
    ]

    public static func option(_ key: String) -> TrainingOption? { all.first { $0.key == key } }

    /// The checked configuration from values given as (key, value, where it came from), later
    /// ones winning; defaults that depend on other settings are filled in afterwards.
    public static func resolve(_ given: [(key: String, input: OptionInput, source: String)]) throws -> TrainingConfig {
        var c = TrainingConfig()
        var set: [String: String] = [:]   // key → source
        for g in given {
            guard let option = option(g.key) else {
                throw ConfigError(path: g.source, field: g.key, "is not a known key; expected one of \(all.map(\.key).sorted().joined(separator: ", "))")
            }
            try option.apply(&c, g.input, g.source)
            set[g.key] = g.source
        }
        c.algorithm.fillDefaults(given: Set(set.keys))
        if set["dreams"] == nil { c.dreams = c.batch }
        if let source = set["steps"] {
            if set["epochs"] != nil { throw ConfigError(path: source, field: "steps", "give either epochs or steps, not both") }
            c.epochs = nil
        }
        return c
    }

    /// Every setting with its resolved value, in table order (unset optional ones left out):
    /// what `config.yaml` and the manifest's `config` hold.
    public static func record(_ c: TrainingConfig) -> [(key: String, value: Any)] {
        all.compactMap { o in o.render(c).map { (o.key, $0) } }
    }

    // MARK: options of their own form

    static let layers = TrainingOption(
        key: "layers", value: "W,W,…", help: "Layer widths, data first, e.g. 784,200,200,10; an item WIDTH:KIND names its kind (bernoulli, gaussian, gaussian-hetero, categorical).",
        apply: { c, input, source in
            let items: [String]
            switch input {
            case .text(let s): items = s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            case .yaml(let v, _):
                guard let list = v as? [Any] else { throw ConfigError(path: source, field: "layers", "expected a list of widths like [784, 200, 200, 10]") }
                items = list.map { "\($0)" }
            }
            var out: [LayerDescription] = []
            for item in items {
                let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
                guard let w = parts.first.flatMap({ Int($0) }) else {
                    throw ConfigError(path: source, field: "layers", "expected comma-separated widths like 784,200,200,10, found \(TrainingOption.shown(input))")
                }
                var kind = LayerKind.bernoulli
                if parts.count == 2 {
                    guard let k = LayerKind(rawValue: parts[1]) else {
                        throw ConfigError(path: source, field: "layers", "\(item): expected a kind among \(LayerKind.allCases.map(\.rawValue).joined(separator: ", ")), found \(parts[1])")
                    }
                    kind = k
                }
                out.append(LayerDescription(width: w, kind: kind, role: out.isEmpty ? .data : .latent))
            }
            if out.count < 2 || out.contains(where: { $0.width <= 0 }) {
                throw ConfigError(path: source, field: "layers", "expected at least two positive widths, data first (784,200,200,10), found \(out.map(\.width))")
            }
            c.layers = out
        },
        render: { c in c.layers.map { $0.map { $0.kind == .bernoulli ? $0.width as Any : "\($0.width):\($0.kind.rawValue)" } } })

    static let validFrom = TrainingOption(key: "valid-from", value: "SECONDS", help: "Spike data: the held-out part (valid and test) starts here (default: the last tenth of the recording).", apply: { c, input, source in
        guard let v = TrainingOption.number(input), v.isFinite, v >= 0 else {
            throw ConfigError(path: source, field: "valid-from", "expected a time in seconds ≥ 0, found \(TrainingOption.shown(input))")
        }
        c.spikes.validFrom = v
    }, render: { $0.spikes.validFrom })

    static let seed = TrainingOption(key: "seed", value: "N", help: "Seed of every random draw of the run (default 1).", apply: { c, input, source in
        let v: UInt64?
        switch input {
        case .text(let s): v = UInt64(s)
        case .yaml(let y, _): v = (y as? Int).flatMap { $0 >= 0 ? UInt64($0) : nil } ?? (y as? UInt64) ?? (y as? String).flatMap { UInt64($0) }
        }
        guard let v else { throw ConfigError(path: source, field: "seed", "expected an integer from 0 to \(UInt64.max), found \(TrainingOption.shown(input))") }
        c.seed = v
    }, render: { $0.seed })

    static let runDir = TrainingOption(key: "run-dir", value: "DIR", help: "Directory of the run: config.yaml, metrics.jsonl, checkpoints/.", apply: { c, input, source in
        guard let s = TrainingOption.text(input), !s.isEmpty else { throw ConfigError(path: source, field: "run-dir", "expected a directory") }
        c.runDir = s
    }, render: { $0.runDir })

    static let resume = TrainingOption(key: "resume", value: "auto|never|PATH", help: "never (default), auto (newest good checkpoint of --run-dir) or a checkpoint path.", apply: { c, input, source in
        guard let s = TrainingOption.text(input), !s.isEmpty else { throw ConfigError(path: source, field: "resume", "expected auto, never or a checkpoint path") }
        c.resume = s == "never" ? .never : s == "auto" ? .auto : .path(s)
    }, render: { c in
        switch c.resume {
        case .never: return "never"
        case .auto: return "auto"
        case .path(let p): return p
        }
    })

    static let allowChanges = TrainingOption(key: "allow-changes", value: "KEY,…", help: "Resume although these settings differ from the checkpoint's (e.g. seed,lr); without it such a resume is refused.", apply: { c, input, source in
        let keys: [String]
        switch input {
        case .text(let s): keys = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        case .yaml(let v, _): keys = (v as? [Any])?.map { "\($0)" } ?? (v as? String)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        }
        if let bad = keys.first(where: { !TrainingConfig.trajectoryKeys.contains($0) }) {
            throw ConfigError(path: source, field: "allow-changes", "\(bad) is not a setting that changes the trajectory; expected some of \(TrainingConfig.trajectoryKeys.joined(separator: ", "))")
        }
        c.allowChanges = keys
    }, render: { $0.allowChanges.isEmpty ? nil : $0.allowChanges.joined(separator: ",") })

    // The fast levels −1 … −10 skip the entropy coding of literals, all zstd level 1 gains on
    // float tensors (about 9 %) and most of its time; lower ones compress floats no faster.
    // 0 would be zstd's default level, 3: refused rather than guessed.
    static let zstdLevel = TrainingOption(key: "zstd-level", value: "N", help: "zstd level of checkpoint shards (1–19, or the fast levels -1 to -10; default -1: shards at disk speed, about 10 % larger than at 1).", apply: { c, input, source in
        guard let v = TrainingOption.integer(input), (-10...19).contains(v), v != 0 else {
            throw ConfigError(path: source, field: "zstd-level", "expected a level from 1 to 19 or a fast level from -1 to -10, found \(TrainingOption.shown(input))")
        }
        c.zstdLevel = v
    }, render: { $0.zstdLevel })
}
