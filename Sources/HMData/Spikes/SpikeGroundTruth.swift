import Foundation

/// The planted ground truth of a synthetic recording as JSON (docs/spikes.md), so that
/// other tools can be scored on the same data as its `spikes.csv`:
///
///     {"spec": "spikes-synth:…", "channels": 8, "duration": 300.0, "bin_ms": 2.0, "seed": 1,
///      "background_rate": [5.0, …],
///      "patterns": [{"spikes": [[channel, lag], …], "rate": 1.0,
///                    "occurrences": [{"time": onset, "spikes": [[channel, time], …]}, …]}, …]}
///
/// Channels are the CSV's unit numbers, lags are in bins of `bin_ms`, times in seconds
/// written so that they read back as the same numbers.
extension SpikeSynth.Result {
    public func groundTruthJSON(spec text: String) -> String {
        func string(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var out = "{\"spec\": \(string(text)), \"channels\": \(spec.channels), \"duration\": \(spec.duration), "
        out += "\"bin_ms\": \(spec.binMs), \"seed\": \(spec.seed),\n"
        out += " \"background_rate\": [\((0..<spec.channels).map { "\(spec.rate(channel: $0))" }.joined(separator: ", "))],\n"
        out += " \"patterns\": [\n"
        out += patterns.map { p in
            var s = "  {\"spikes\": [\(p.spikes.map { "[\($0.channel), \($0.lag)]" }.joined(separator: ", "))], \"rate\": \(p.rate),\n"
            s += "   \"occurrences\": ["
            s += p.occurrences.map { o in
                "{\"time\": \(o.time), \"spikes\": [\(o.spikes.map { "[\($0.channel), \($0.time)]" }.joined(separator: ", "))]}"
            }.joined(separator: ",\n    ")
            return s + "]}"
        }.joined(separator: ",\n")
        return out + "\n ]}\n"
    }
}
