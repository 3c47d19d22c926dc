import ArgumentParser
import Foundation
import HMAlgorithms
import HMCheckpoint
import HMCore
import HMData
import HMTraining
import HMReport

/// `hm-dist patterns`: the firing pattern each hidden unit stands for (de Sa et al. 1997), its
/// prior probability, and where in the recording the recognition network turns it on.
struct PatternsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "patterns",
                                                    abstract: "The spike pattern of each hidden unit of a checkpoint trained on spike data.")

    @Option(help: "Run directory, its checkpoints/ directory, or one step-N/ directory.") var checkpoint: String
    @Option(help: "Data spec (default: the data the model was trained on).") var data: String?
    @Option(help: "PNG of the patterns as rasters (one tile per unit: channels down, bins across).") var out: String?
    @Option(help: "Pixels per raster cell.") var scale = 8
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        try reportingErrors("patterns") {
            guard scale > 0 else { throw ConfigError(path: "command line", field: "scale", "expected a positive integer") }
            // A grown run that kept no unit: nothing beyond the independent model.
            if let kept = Self.keptUnits(checkpoint), kept == 0 {
                if json { print(#"{"kept_units":0,"units":[]}"#) } else { print("0 patterns: the growth kept no hidden unit (\(checkpoint)/growth.json)") }
                return
            }
            let ckpt = try CheckpointReader.load(checkpoint)
            let machine = try ModelCheckpoint.machine(from: ckpt)
            let config = ckpt.manifest.config
            let spec = data ?? config["data"]?.stringValue ?? ""
            guard SpikeData.isSpikeSpec(spec) else {
                throw ConfigError(path: spec, field: "data", "patterns reads spike data (spikes:FILE.csv, spikes:DIR or spikes-synth:…); the checkpoint was trained on \(spec)")
            }
            let binning = ModelCheckpoint.spikeBinning(ckpt)
            let recording = try SpikeData.recording(spec: spec)
            let dataset = try binning.dataset(recording, name: spec, source: spec)
            guard dataset.width == machine.widths[0] else {
                throw ConfigError(path: spec, field: "data", "the model has \(machine.widths[0]) visible units, the data \(dataset.width) (\(recording.units.count) channels × \(binning.window) bins)")
            }
            // Every window of the recording, in time order: the training part, then the held-out one.
            let bins = binning.binCount(recording), split = binning.heldOutBin(recording)
            let starts = binning.windowStarts(from: 0, to: split) + binning.windowStarts(from: split, to: bins)
            let x = Matrix(rows: starts.count, cols: dataset.width, values: dataset.train + (dataset.valid ?? []))
            machine.model.layers[0].kind.encode(x.data, count: x.count)
            let found = UnitPatterns(machine, data: x)
            let seconds = binning.binMs / 1000, window = binning.window
            if json {
                let units: [[String: Any]] = found.units.map { u in
                    ["unit": u.index, "prior": u.prior, "active_state": u.activeState, "peak": u.pattern.max() ?? 0, "on_count": u.onRows.count,
                     "on_times": u.onRows.map { Double(starts[$0]) * seconds },
                     "pattern": (0..<recording.units.count).map { c in Array(u.pattern[(c * window)..<((c + 1) * window)]) }]
                }
                let record: [String: Any] = ["checkpoint": ckpt.directory, "channels": recording.units, "window": window,
                                             "bin_ms": binning.binMs, "windows": starts.count, "units": units]
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("\(found.units.count) hidden units; \(recording.units.count) channels × \(window) bins of \(binning.binMs) ms; \(starts.count) windows")
                for u in found.units {
                    let cells = u.pattern.indices.filter { u.pattern[$0] > 0.5 * (u.pattern.max() ?? 0) && u.pattern[$0] > 0.05 }
                        .map { "\(recording.units[$0 / window])@\($0 % window)" }
                    print(String(format: "unit %d: prior %.4f%@, on in %d windows; strongest cells (channel@bin): %@", u.index, u.prior,
                                 u.activeState == 0 ? " (on by default: the pattern is its turning off)" : "", u.onRows.count, cells.joined(separator: " ")))
                }
            }
            if let out {
                let top = max(found.units.flatMap(\.pattern).max() ?? 0, 1e-6)
                let tiles = found.units.map { $0.pattern.map { Float(max($0, 0) / top) } }
                guard !tiles.isEmpty else { throw ConfigError(path: out, field: "out", "no hidden units to draw") }
                try PNG.write(PNG.tile(tiles, rows: recording.units.count, columns: window, scale: scale), to: out)
                if !json { print("wrote \(tiles.count) patterns to \(out)") }
            }
        }
    }

    /// `kept_units` of a grown run's `growth.json`, if `path` is such a run.
    static func keptUnits(_ path: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path + "/growth.json"),
              let record = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return record["kept_units"] as? Int
    }
}
