import Foundation

/// The settings of `spikes-synth:KEY=VAL,…` (docs/spikes.md), each with its default.
///
/// A list (`rate`, `size`, `pattern-rate`) continues over the comma-separated items that have no `=`:
/// `pattern-rate=1,2,4,drop=0.1` gives three patterns their own rates. A list has one value
/// for all, or one per channel (`rate`) or per pattern (`size`, `pattern-rate`).
public struct SpikeSynthSpec: Sendable, Equatable {
    public var channels = 8
    /// Background rate of each channel, Hz.
    public var rate: [Double] = [5]
    public var patterns = 3
    /// Spikes per pattern, distinct (channel, lag) pairs.
    public var size: [Int] = [4]
    /// Occurrence rate of each pattern, Hz.
    public var patternRate: [Double] = [1]
    /// Probability that one spike of an occurrence is deleted.
    public var drop = 0.0
    /// Each planted spike moves by a whole number of bins drawn uniformly from −jitter…jitter.
    public var jitter = 0
    public var duration = 300.0
    public var seed: UInt64 = 1
    /// The bin of the lags, ms.
    public var binMs = 2.0
    /// Lags run over 0..<span bins.
    public var span = 5

    public static let prefix = "spikes-synth:"
    public static let keys = ["channels", "rate", "patterns", "size", "pattern-rate", "drop", "jitter", "duration", "seed", "bin-ms", "span"]
    /// The most spikes a spec may expect (so that a typo cannot fill the memory).
    static let maxSpikes = 50_000_000.0

    public init() {}

    /// The rate of channel `c` and of pattern `p`.
    public func rate(channel c: Int) -> Double { rate.count == 1 ? rate[0] : rate[c] }
    public func rate(pattern p: Int) -> Double { patternRate.count == 1 ? patternRate[0] : patternRate[p] }
    public func size(pattern p: Int) -> Int { size.count == 1 ? size[0] : size[p] }

    /// Parses the text after `spikes-synth:`; `spec` (the whole) names the errors.
    public static func parse(_ text: String, spec: String) throws -> SpikeSynthSpec {
        var s = SpikeSynthSpec()
        var lists: [(key: String, values: [String])] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2 {
                guard keys.contains(parts[0]) else {
                    throw DataError(path: spec, field: parts[0], "is not a key of spikes-synth; expected one of \(keys.joined(separator: ", "))")
                }
                guard !lists.contains(where: { $0.key == parts[0] }) else { throw DataError(path: spec, field: parts[0], "is given twice") }
                lists.append((parts[0], [parts[1]]))
            } else if let last = lists.last, ["rate", "size", "pattern-rate"].contains(last.key) {
                lists[lists.count - 1].values.append(item)
            } else {
                throw DataError(path: spec, field: "spec", "expected KEY=VALUE items (\(keys.joined(separator: ", "))), found \"\(item)\"")
            }
        }
        for (key, values) in lists {
            func bad(_ expected: String) -> DataError { DataError(path: spec, field: key, "expected \(expected), found \(values.joined(separator: ","))") }
            func int(_ range: ClosedRange<Int>) throws -> Int {
                guard values.count == 1, let v = Int(values[0]), range.contains(v) else { throw bad("an integer in \(range.lowerBound)...\(range.upperBound)") }
                return v
            }
            func real(_ expected: String, _ ok: (Double) -> Bool) throws -> Double {
                guard values.count == 1, let v = Double(values[0]), v.isFinite, ok(v) else { throw bad(expected) }
                return v
            }
            func rates() throws -> [Double] {
                let v = values.map { Double($0) }
                guard v.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 }) else { throw bad("rates in Hz ≥ 0") }
                return v.map { $0! }
            }
            switch key {
            case "channels": s.channels = try int(1...4096)
            case "rate": s.rate = try rates()
            case "patterns": s.patterns = try int(0...1000)
            case "size":
                let v = values.map { Int($0) }
                guard v.allSatisfy({ $0 != nil && (1...100_000).contains($0!) }) else { throw bad("spikes per pattern, integers in 1...100000") }
                s.size = v.map { $0! }
            case "pattern-rate": s.patternRate = try rates()
            case "drop": s.drop = try real("a probability in [0, 1)") { (0..<1).contains($0) }
            case "jitter": s.jitter = try int(0...1000)
            case "duration": s.duration = try real("a duration in seconds > 0") { $0 > 0 }
            case "seed":
                guard values.count == 1, let v = UInt64(values[0]) else { throw bad("an integer from 0 to \(UInt64.max)") }
                s.seed = v
            case "bin-ms": s.binMs = try real("a bin width in ms > 0") { $0 > 0 && $0 <= 1e6 }
            default: s.span = try int(1...1000)
            }
        }
        try s.check(spec: spec)
        return s
    }

    private func check(spec: String) throws {
        guard rate.count == 1 || rate.count == channels else {
            throw DataError(path: spec, field: "rate", "expected one rate or one per channel (\(channels)), found \(rate.count)")
        }
        guard patternRate.count == 1 || patternRate.count == patterns else {
            throw DataError(path: spec, field: "pattern-rate", "expected one rate or one per pattern (\(patterns)), found \(patternRate.count)")
        }
        guard size.count == 1 || size.count == patterns else {
            throw DataError(path: spec, field: "size", "expected one size or one per pattern (\(patterns)), found \(size.count)")
        }
        guard let largest = size.max(), largest <= channels * span else {
            throw DataError(path: spec, field: "size", "a pattern of \(size.max() ?? 0) distinct spikes does not fit in \(channels) channels × \(span) lags")
        }
        let expected = duration * ((0..<channels).map { rate(channel: $0) }.reduce(0, +)
            + (0..<patterns).map { rate(pattern: $0) * Double(self.size(pattern: $0)) }.reduce(0, +))
        guard expected <= Self.maxSpikes else {
            throw DataError(path: spec, field: "duration", "the spec expects \(Int(expected)) spikes, more than \(Int(Self.maxSpikes)); expected lower rates or a shorter duration")
        }
    }
}
