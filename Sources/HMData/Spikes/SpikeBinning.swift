/// How a spike recording becomes binary patterns (docs/spikes.md): time is cut into bins of
/// `binMs`; a pattern is `window` consecutive bins of every channel, 1 where the bin holds at
/// least one spike, and consecutive patterns start `stride` bins apart.
///
/// A pattern is channel-major — pixel `channel * window + bin` — so that its image shape is
/// [channels, window] and a sample PNG reads as a raster: one row per channel, time to the
/// right. The recording's tail from `validFrom` (default: its last tenth) is held out; the
/// training windows end before it and the held-out windows start at it, so no window straddles
/// the two. The valid and test splits are the same held-out windows.
public struct SpikeBinning: Sendable, Equatable {
    public var binMs: Double = 2
    public var window = 5
    /// Bins between the starts of consecutive windows; nil: `window` (windows side by side).
    public var stride: Int?
    /// Where the held-out part starts, in seconds; nil: at nine tenths of the recording.
    public var validFrom: Double?

    public init(binMs: Double = 2, window: Int = 5, stride: Int? = nil, validFrom: Double? = nil) {
        self.binMs = binMs
        self.window = window
        self.stride = stride
        self.validFrom = validFrom
    }

    /// The most channel × bin cells a recording may be binned into (4 GB of pixels).
    static let maxPixels = 1 << 30

    public var step: Int { stride ?? window }
    var binSeconds: Double { binMs / 1000 }

    /// The bin of a time: bin b holds [b·width, (b + 1)·width).
    public func bin(of time: Double) -> Int { Int((time / binSeconds).rounded(.down)) }

    /// Bins from time 0 to the bin of the last spike, inclusive.
    public func binCount(_ recording: SpikeRecording) -> Int { bin(of: recording.end) + 1 }

    /// The first held-out bin.
    public func heldOutBin(_ recording: SpikeRecording) -> Int {
        bin(of: validFrom ?? recording.end * 0.9)
    }

    /// The whole recording binned, channel-major: `raster[channel * bins + bin]` is 1 when
    /// the bin holds a spike of the channel.
    public func raster(_ recording: SpikeRecording) -> (bins: Int, values: [Float]) {
        let bins = binCount(recording)
        var values = [Float](repeating: 0, count: recording.units.count * bins)
        for (c, t) in zip(recording.channels, recording.times) { values[c * bins + bin(of: t)] = 1 }
        return (bins, values)
    }

    /// The starts of the windows that fit in bins [from, to).
    public func windowStarts(from: Int, to: Int) -> [Int] {
        guard to - from >= window else { return [] }
        return Array(Swift.stride(from: from, through: to - window, by: step))
    }

    /// The data set of `recording`: training windows before `heldOutBin`, held-out windows
    /// from it (valid and test alike). `source` names the input in errors.
    public func dataset(_ recording: SpikeRecording, name: String, source: String) throws -> Dataset {
        try check(recording, source: source)
        let (bins, raster) = self.raster(recording)
        let split = heldOutBin(recording)
        let channels = recording.units.count
        func windows(_ starts: [Int]) -> [Float] {
            var out = [Float](repeating: 0, count: starts.count * channels * window)
            for (k, s) in starts.enumerated() {
                for c in 0..<channels {
                    let to = (k * channels + c) * window, from = c * bins + s
                    for b in 0..<window { out[to + b] = raster[from + b] }
                }
            }
            return out
        }
        let train = windows(windowStarts(from: 0, to: split))
        let held = windows(windowStarts(from: split, to: bins))
        return Dataset(name: name, imageShape: ImageShape(rows: channels, cols: window), train: train, valid: held, test: held)
    }

    /// Refuses binning that leaves the training or held-out part without a window.
    func check(_ recording: SpikeRecording, source: String) throws {
        guard recording.spikeCount > 0 else { throw DataError(path: source, field: "data", "expected spikes; the recording is empty") }
        guard binMs.isFinite, binMs > 0 else { throw DataError(path: source, field: "bin-ms", "expected a bin width in ms > 0, found \(binMs)") }
        guard window >= 1, step >= 1 else { throw DataError(path: source, field: window < 1 ? "window" : "stride", "expected a positive number of bins") }
        let seconds = recording.end, channels = recording.units.count
        guard seconds / binSeconds < Double(Self.maxPixels / max(channels, 1)) else {
            throw DataError(path: source, field: "bin-ms", "\(seconds) s in bins of \(binMs) ms on \(channels) channels is more than \(Self.maxPixels) bins in all; expected wider bins or a shorter recording")
        }
        let bins = binCount(recording)
        guard bins >= window else {
            throw DataError(path: source, field: "window", "a window of \(window) bins of \(binMs) ms is longer than the recording (\(bins) bins, \(seconds) s to its last spike)")
        }
        if let v = validFrom, !(v.isFinite && v >= 0 && v < seconds) {
            throw DataError(path: source, field: "valid-from", "expected a time in seconds ≥ 0 and before the recording's last spike at \(seconds) s, found \(v)")
        }
        let split = heldOutBin(recording)
        guard split >= window else {
            throw DataError(path: source, field: "valid-from", "the training part (\(split) bins before \(validFrom ?? seconds * 0.9) s) is shorter than a window of \(window) bins")
        }
        guard bins - split >= window else {
            throw DataError(path: source, field: "valid-from", "the held-out part (\(bins - split) bins from \(validFrom ?? seconds * 0.9) s) is shorter than a window of \(window) bins")
        }
    }
}
