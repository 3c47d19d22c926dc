import Foundation

/// Resolves a `--data` spec (docs/command-line.md) to a binary `Dataset`.
public enum DataSource {
    /// The built-in names, as help text shows them.
    public static let builtinNames = ["digits", "bars", "bars:N", "rhythm10", "spikes:FILE|DIR", "spikes-synth:KEY=VAL,…"]

    /// Loads `spec`, which is one of:
    /// - `digits`: the embedded 8×8 UCI digits (`Digits`);
    /// - `bars` or `bars:N`: the generated N×N bars problem (`Bars`, N = 5 by default);
    /// - a directory of IDX files, `.gz` or plain, whose names contain `train-images`,
    ///   `valid-images`, and `t10k-images` or `test-images` (train required);
    /// - one IDX images file: its last tenth becomes the valid split, the rest train;
    /// - `spikes:FILE.csv`, `spikes:DIR` (Kilosort) or `spikes-synth:KEY=VAL,…`: a spike
    ///   recording cut into binary windows by `spikes` (`SpikeData`, docs/spikes.md).
    ///
    /// Built-in names win over a file of the same name (write `./digits` for the file).
    /// Ubyte pixels above 1 are divided by 255. Data already 0/1 is used as is; other data is
    /// binarized by `binarize`, and refused when that is `.none` — unless `real`: the grey
    /// levels of a real-valued (Gaussian) data layer, used as they are.
    public static func load(spec: String, binarize: Binarization = .none, real: Bool = false,
                            spikes: SpikeBinning = SpikeBinning()) throws -> Dataset {
        if real && binarize != .none {
            throw DataError(path: spec, field: "binarize", "the data layer is real-valued (Gaussian): expected --binarize none, found \(binarize.rawValue)")
        }
        if spec == "digits" { return Digits.dataset() }
        if spec == "bars" { return Bars.dataset() }
        if spec == "rhythm10" { return Rhythm.dataset() }
        if SpikeData.isSpikeSpec(spec) { return try SpikeData.load(spec: spec, binning: spikes) }
        if spec.hasPrefix("bars:") {
            guard let size = Int(spec.dropFirst(5)), Bars.sizes.contains(size) else {
                throw DataError(path: spec, field: "spec",
                                "expected bars:N with N in \(Bars.sizes.lowerBound)...\(Bars.sizes.upperBound)")
            }
            return Bars.dataset(size: size)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
            throw DataError(path: spec, field: "spec",
                            "no such file or directory; expected a directory of IDX files, an IDX images file, or a built-in name (\(builtinNames.joined(separator: ", ")))")
        }
        let dataset = isDirectory.boolValue ? try ImageFiles.loadDirectory(spec) : try ImageFiles.loadFile(spec)
        return real ? dataset : try dataset.binarized(binarize, source: spec)
    }
}
