import ArgumentParser
import Foundation
import HMAlgorithms
import HMCheckpoint
import HMCore
import HMTraining

/// `hm-dist sample`: a PNG grid of what a stored model generates. Each tile is a dream
/// (h_L ~ p(h_L), then h_l ~ p(h_l | h_{l+1}) down to h_1) shown as p(x = 1 | h_1), or as
/// the binary x itself with `--binary`.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Draw samples of a checkpoint into a PNG grid.")

    @Option(help: "Run directory, its checkpoints/ directory, or one step-N/ directory.") var checkpoint: String
    @Option(help: "Number of samples.") var count = 100
    @Option(help: "PNG file to write.") var out: String
    @Option(help: "Seed of the draws.") var seed: UInt64 = 1
    @Option(help: "Pixels per model pixel.") var scale = 3
    @Flag(help: "Show draws of x instead of E[x | h1] (binary data: p(x = 1 | h1); Gaussian: the means).") var binary = false

    func run() throws {
        try reportingErrors("sample") {
            guard count > 0, scale > 0 else {
                throw ConfigError(path: "command line", field: count > 0 ? "scale" : "count", "expected a positive integer")
            }
            let stored = try CheckpointReader.load(checkpoint)
            let machine = try ModelCheckpoint.machine(from: stored)
            let shape = (rows: machine.model.imageShape[0], cols: machine.model.imageShape[1])
            let sleep = SleepPhase(machine: machine, dreams: count)
            sleep.dream(count: count, stream: RandomStream(key: seed, purpose: .generate, step: 0), firstDream: 0)
            let pixels = Matrix(rows: count, cols: machine.widths[0])
            if binary { pixels.copy(from: sleep.dream[0]) } else { machine.generative[0].mean(pre: sleep.pPre[0], into: pixels) }
            var tiles = (0..<count).map { Array(UnsafeBufferPointer(start: pixels.row($0), count: pixels.cols)) }
            // Real-valued observations: back to the data's units, then clamped to the grey levels [0, 1].
            if machine.model.layers[0].kind.isContinuous {
                let s = try ModelCheckpoint.standardization(stored, width: machine.widths[0])
                tiles = tiles.map { (s?.invert($0) ?? $0).map { min(max($0, 0), 1) } }
            }
            try PNG.write(PNG.tile(tiles, rows: shape.rows, columns: shape.cols, scale: scale), to: out)
            print("wrote \(count) samples (\(shape.rows)×\(shape.cols)) to \(out)")
        }
    }
}
