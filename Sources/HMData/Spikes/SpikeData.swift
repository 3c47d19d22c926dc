import Foundation

/// The spike specs of `--data`: `spikes:FILE.csv`, `spikes:DIR` (Kilosort) and
/// `spikes-synth:KEY=VAL,…`, binned by `SpikeBinning` (docs/spikes.md).
public enum SpikeData {
    public static let prefix = "spikes:"

    /// Whether `spec` names spike data.
    public static func isSpikeSpec(_ spec: String) -> Bool {
        spec.hasPrefix(prefix) || spec.hasPrefix(SpikeSynthSpec.prefix)
    }

    /// The recording a spike spec names, with the channel of each unit.
    public static func recording(spec: String) throws -> SpikeRecording {
        if spec.hasPrefix(SpikeSynthSpec.prefix) {
            let s = try SpikeSynthSpec.parse(String(spec.dropFirst(SpikeSynthSpec.prefix.count)), spec: spec)
            return SpikeSynth.generate(s).recording
        }
        let path = String(spec.dropFirst(prefix.count))
        var isDirectory: ObjCBool = false
        guard !path.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(path: path.isEmpty ? spec : path, field: "spec",
                            "no such file or directory; expected spikes:FILE.csv (rows unit,time_seconds) or spikes:DIR (Kilosort: spike_times.npy, spike_clusters.npy, params.py)")
        }
        return isDirectory.boolValue ? try KilosortFolder.read(path) : try SpikeCSV.read(path)
    }

    /// The binned data set of a spike spec.
    public static func load(spec: String, binning: SpikeBinning) throws -> Dataset {
        let recording = try recording(spec: spec)
        let name = spec.hasPrefix(SpikeSynthSpec.prefix) ? "spikes-synth"
            : prefix + URL(fileURLWithPath: String(spec.dropFirst(prefix.count))).lastPathComponent
        return try binning.dataset(recording, name: name, source: spec.hasPrefix(prefix) ? String(spec.dropFirst(prefix.count)) : spec)
    }
}
