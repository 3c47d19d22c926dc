import ArgumentParser
import Foundation
import HMAlgorithms
import HMCheckpoint
import HMCore
import HMData
import HMTraining
import HMReport

/// `hm-dist sample`: a PNG grid of what a stored model generates. Each tile is a dream
/// (h_L ~ p(h_L), then h_l ~ p(h_l | h_{l+1}) down to h_1) shown as p(x = 1 | h_1), or as
/// the binary x itself with `--binary`.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Draw samples of a checkpoint into a PNG grid.")

    @Option(help: "Run directory, its checkpoints/ directory, or one step-N/ directory.") var checkpoint: String
    @Option(help: "Number of samples.") var count = 100
    @Option(help: "File to write (PNG; for --format text, default: standard output).") var out: String?
    @Option(help: "png (a grid, default), text (one 0/1 string a line) or idx (an IDX file: ubyte 0/1 for binary draws, else float32).") var format = "png"
    @Option(help: "sample (draws of x) or threshold (E[x | h1] > 0.5); default: the means for png, draws for text.") var visible: String?
    @Option(help: "Score the samples with a rule: rhythm10, rhythm10-lax or cmd:PROGRAM.") var rule: String?
    @Flag(help: "One JSON object on stdout (count, and with --rule: accepted_fraction, distinct, distinct_accepted, well_formed, kl_from_uniform).") var json = false
    @Option(help: "Seed of the draws.") var seed: UInt64 = 1
    @Option(help: "Pixels per model pixel.") var scale = 3
    @Option(help: "Goal-seeded samples (a categorical top layer): the top clamped to goal K, or `all`: --count samples of each goal, one row per goal.") var goal: String?
    @Flag(help: "Show draws of x instead of E[x | h1] (binary data: p(x = 1 | h1); Gaussian: the means).") var binary = false

    func run() throws {
        try reportingErrors("sample") {
            guard count > 0, scale > 0 else {
                throw ConfigError(path: "command line", field: count > 0 ? "scale" : "count", "expected a positive integer")
            }
            guard ["png", "text", "idx"].contains(format) else {
                throw ConfigError(path: "command line", field: "format", "expected png, text or idx, found \(format)")
            }
            guard visible == nil || visible == "sample" || visible == "threshold" else {
                throw ConfigError(path: "command line", field: "visible", "expected sample or threshold, found \(visible!)")
            }
            guard format == "text" || out != nil else { throw ConfigError(path: "command line", field: "out", "--format \(format) needs --out FILE") }
            let patternRule = try rule.map(PatternRule.init(spec:))
            let stored = try CheckpointReader.load(checkpoint)
            let machine = try ModelCheckpoint.machine(from: stored)
            let shape = (rows: machine.model.imageShape[0], cols: machine.model.imageShape[1])
            let goals = try goalStates(machine)
            let count = goals?.rows ?? self.count
            let draws = binary || visible == "sample" || (format == "text" && visible == nil)
            let tiles = try Dreams.tiles(machine, checkpoint: stored, count: count, seed: seed, draws: draws,
                                         threshold: visible == "threshold", top: goals)
            var record: [String: Any] = ["count": count, "goal": goal ?? NSNull(), "visible": draws ? "sample" : visible ?? "mean"]
            let strings = tiles.map { String($0.map { $0 > 0.5 ? "1" : "0" }) }
            var score: RuleScore?
            if let patternRule {
                let r = try RuleScore(rule: patternRule, patterns: tiles)
                record["rule"] = patternRule.name
                record["accepted_fraction"] = r.acceptedFraction
                record["distinct"] = r.distinct
                record["distinct_accepted"] = r.distinctAccepted
                if let w = r.wellFormed { record["well_formed"] = w }
                if let kl = r.klFromUniform { record["kl_from_uniform"] = kl }
                score = r
            }
            if format == "text" {
                let text = strings.map { $0 + "\n" }.joined()
                if let out { try Data(text.utf8).write(to: URL(fileURLWithPath: out)) } else if !json { print(text, terminator: "") }
            } else if format == "idx", let out {
                // [count, rows, cols]: ubyte 0/1 when every value is 0 or 1 (draws of binary data), float32 otherwise.
                let values = tiles.flatMap { $0 }, shapeOut = [count, shape.rows, shape.cols]
                let binaryValues = values.allSatisfy { $0 == 0 || $0 == 1 }
                let array = binaryValues ? IDXArray(shape: shapeOut, uint8: values.map { UInt8($0) }) : IDXArray(shape: shapeOut, float32: values)
                try array.write(to: out)
            } else if let out {
                try PNG.write(PNG.tile(tiles, rows: shape.rows, columns: shape.cols, gridColumns: goal == "all" ? self.count : nil, scale: scale), to: out)
            }
            if json {
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
            } else {
                if let out { print("wrote \(count) samples (\(shape.rows)×\(shape.cols)) to \(out)") }
                if let score, let patternRule {
                    var line = String(format: "rule %@: %.4f of %d samples accepted; %d distinct, %d distinct accepted", patternRule.name,
                                      score.acceptedFraction, count, score.distinct, score.distinctAccepted)
                    if let kl = score.klFromUniform, let w = score.wellFormed {
                        line += String(format: "; KL from uniform over the %d well-formed %.4f nats", w, kl)
                    }
                    print(line)
                }
            }
        }
    }

    /// The top states of `--goal`: one-hot rows of goal K (`count` of them), or `count` of each
    /// goal in turn (`all`); nil without `--goal`.
    func goalStates(_ machine: HelmholtzMachine) throws -> Matrix? {
        guard let goal else { return nil }
        let L = machine.depth, G = machine.widths[L]
        guard machine.model.kinds[L] == .categorical else {
            throw ConfigError(path: checkpoint, field: "goal", "the model's top layer is \(machine.model.kinds[L].rawValue): --goal needs a categorical goal layer on top")
        }
        let chosen: [Int]
        if goal == "all" { chosen = Array(0..<G) } else if let k = Int(goal), (0..<G).contains(k) { chosen = [k] } else {
            throw ConfigError(path: "command line", field: "goal", "expected a goal 0…\(G - 1) or all, found \(goal)")
        }
        let top = Matrix(rows: chosen.count * count, cols: G)
        for (i, k) in chosen.enumerated() { for d in 0..<count { top[i * count + d, k] = 1 } }
        return top
    }
}
