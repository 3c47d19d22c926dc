import CKernels
import Foundation

/// The synthetic recordings of `spikes-synth:` (de Sa, deCharms & Merzenich 1997's setting):
/// independent Poisson background spikes on every channel, plus patterns — fixed sets of
/// (channel, lag) spikes — planted at Poisson times, each spike of an occurrence deleted
/// with probability `drop` and moved by up to `jitter` bins.
///
/// Every number is a Philox draw keyed by the seed (`hm_uniform`, the generator of the
/// training's `RandomStream`), on counters whose tag word starts with 0x53 ("S"), a purpose
/// no training draw uses: the recording is a pure function of the spec.
public enum SpikeSynth {
    /// One planted pattern: its spikes, its rate and what was planted.
    public struct Pattern: Sendable, Equatable {
        public struct Occurrence: Sendable, Equatable {
            /// The onset, seconds: a spike of lag L is planted at onset + (L + jitter) bins.
            public let time: Double
            /// The spikes actually planted (after deletion and jitter, inside the recording).
            public let spikes: [(channel: Int, time: Double)]

            public static func == (a: Occurrence, b: Occurrence) -> Bool {
                a.time == b.time && a.spikes.map(\.channel) == b.spikes.map(\.channel) && a.spikes.map(\.time) == b.spikes.map(\.time)
            }
        }

        /// (channel, lag in bins), sorted by lag then channel.
        public let spikes: [(channel: Int, lag: Int)]
        public let rate: Double
        public let occurrences: [Occurrence]

        public static func == (a: Pattern, b: Pattern) -> Bool {
            a.spikes.map(\.channel) == b.spikes.map(\.channel) && a.spikes.map(\.lag) == b.spikes.map(\.lag)
                && a.rate == b.rate && a.occurrences == b.occurrences
        }
    }

    /// The recording and its ground truth.
    public struct Result: Sendable {
        public let spec: SpikeSynthSpec
        public let recording: SpikeRecording
        public let patterns: [Pattern]
    }

    enum Stream: UInt32 { case background = 1, structure = 2, onsets = 3, occurrence = 4 }

    static func tag(_ stream: Stream, _ index: Int) -> UInt32 {
        0x53 << 24 | stream.rawValue << 16 | UInt32(index & 0xFFFF)
    }

    /// Uniforms in (0, 1) read one at a time from consecutive 1024-draw blocks of one counter.
    struct Uniforms {
        let key: UInt64, tag: UInt32, index: UInt32
        var block: UInt32 = 0, used = 1024
        var buffer = [Float](repeating: 0, count: 1024)

        mutating func next() -> Double {
            if used == buffer.count {
                hm_uniform(key, index, tag, block, &buffer, Int64(buffer.count))
                block += 1
                used = 0
            }
            used += 1
            return Double(buffer[used - 1])
        }
    }

    /// Poisson times at `rate` in [0, duration).
    static func poisson(rate: Double, duration: Double, _ u: inout Uniforms) -> [Double] {
        guard rate > 0 else { return [] }
        var times: [Double] = [], t = 0.0
        while true {
            t += -log(u.next()) / rate
            if t >= duration { return times }
            times.append(t)
        }
    }

    public static func generate(_ s: SpikeSynthSpec) -> Result {
        let bin = s.binMs / 1000
        var channels: [Int] = [], times: [Double] = []
        for c in 0..<s.channels {
            var u = Uniforms(key: s.seed, tag: tag(.background, c), index: UInt32(c >> 16))
            let t = poisson(rate: s.rate(channel: c), duration: s.duration, &u)
            times += t
            channels += [Int](repeating: c, count: t.count)
        }
        var patterns: [Pattern] = []
        for p in 0..<s.patterns {
            var u = Uniforms(key: s.seed, tag: tag(.structure, p), index: UInt32(p >> 16))
            var cells = Set<Int>()   // channel * span + lag
            while cells.count < s.size(pattern: p) {
                let c = min(Int(u.next() * Double(s.channels)), s.channels - 1)
                let lag = min(Int(u.next() * Double(s.span)), s.span - 1)
                cells.insert(c * s.span + lag)
            }
            let spikes = cells.map { (channel: $0 / s.span, lag: $0 % s.span) }.sorted { ($0.lag, $0.channel) < ($1.lag, $1.channel) }
            var onsetDraws = Uniforms(key: s.seed, tag: tag(.onsets, p), index: UInt32(p >> 16))
            let onsets = poisson(rate: s.rate(pattern: p), duration: s.duration, &onsetDraws)
            var occurrences: [Pattern.Occurrence] = []
            var draws = [Float](repeating: 0, count: 2 * s.size(pattern: p))
            for (k, onset) in onsets.enumerated() {
                hm_uniform(s.seed, UInt32(truncatingIfNeeded: k), tag(.occurrence, p), UInt32(p >> 16), &draws, Int64(draws.count))
                var planted: [(channel: Int, time: Double)] = []
                for (i, spike) in spikes.enumerated() {
                    if Double(draws[2 * i]) < s.drop { continue }
                    let shift = min(Int(Double(draws[2 * i + 1]) * Double(2 * s.jitter + 1)), 2 * s.jitter) - s.jitter
                    let t = onset + Double(spike.lag + shift) * bin
                    if t >= 0 && t < s.duration { planted.append((spike.channel, t)) }
                }
                occurrences.append(.init(time: onset, spikes: planted))
                times += planted.map(\.time)
                channels += planted.map(\.channel)
            }
            patterns.append(Pattern(spikes: spikes, rate: s.rate(pattern: p), occurrences: occurrences))
        }
        let recording = SpikeRecording(units: (0..<s.channels).map { String($0) }, channels: channels, times: times)
        return Result(spec: s, recording: recording, patterns: patterns)
    }
}
