import Foundation
import Testing
@testable import HMData

/// `spikes-synth:` is a pure function of its spec, plants what its ground truth says, and
/// written as CSV reads back as the same data.
struct SpikeSynthTests {
    static func synth(_ text: String) throws -> SpikeSynth.Result {
        SpikeSynth.generate(try SpikeSynthSpec.parse(text, spec: "spikes-synth:" + text))
    }

    /// `size` takes one value per pattern too.
    @Test func patternsHaveTheirOwnSizes() throws {
        let r = try Self.synth("channels=20,patterns=3,size=2,5,9,span=1,duration=10")
        #expect(r.patterns.map(\.spikes.count) == [2, 5, 9])
    }

    @Test func theSeedDeterminesTheRecording() throws {
        let a = try Self.synth("channels=5,duration=20,seed=7"), b = try Self.synth("seed=7,duration=20,channels=5")
        #expect(a.recording == b.recording && a.patterns == b.patterns)
        let c = try Self.synth("channels=5,duration=20,seed=8")
        #expect(c.recording != a.recording)
        #expect(a.recording.units == ["0", "1", "2", "3", "4"])
        // Background near its rate: 5 channels × 5 Hz × 20 s = 500, plus 3 patterns × 4 spikes × 1 Hz × 20 s.
        #expect((600...1100).contains(a.recording.spikeCount), "\(a.recording.spikeCount)")
    }

    @Test func everyPlantedSpikeIsInTheBinnedData() throws {
        let r = try Self.synth("channels=6,patterns=2,size=3,pattern-rate=2,5,drop=0.3,jitter=1,duration=40,span=4")
        let binning = SpikeBinning()
        let raster = binning.raster(r.recording)
        var planted = 0, kept = 0
        for p in r.patterns {
            #expect(p.spikes.count == 3 && p.spikes.allSatisfy { (0..<6).contains($0.channel) && (0..<4).contains($0.lag) })
            for o in p.occurrences {
                planted += 3
                kept += o.spikes.count
                for s in o.spikes {
                    #expect(raster.values[s.channel * raster.bins + binning.bin(of: s.time)] == 1)
                    // At its lag from the onset, give or take the jitter (1 bin).
                    #expect(p.spikes.contains { $0.channel == s.channel && abs(s.time - o.time - Double($0.lag) * 0.002) <= 0.002 + 1e-9 })
                }
            }
        }
        #expect(r.patterns.map(\.rate) == [2, 5] && r.patterns[1].occurrences.count > 120)
        let fraction = Double(kept) / Double(planted)
        #expect(abs(fraction - 0.7) < 0.08, "kept \(fraction) of the planted spikes, drop 0.3")
    }

    @Test func withoutDropOrJitterEveryOccurrenceIsWhole() throws {
        let r = try Self.synth("channels=4,patterns=1,size=5,duration=30,pattern-rate=3")
        let p = r.patterns[0]
        for o in p.occurrences where o.time + 0.01 < 30 {
            #expect(o.spikes.map(\.channel) == p.spikes.map(\.channel))
            #expect(zip(o.spikes, p.spikes).allSatisfy { abs($0.time - o.time - Double($1.lag) * 0.002) < 1e-12 })
        }
        // The ground truth JSON says the same.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.groundTruthJSON(spec: "x").utf8)) as? [String: Any])
        let patterns = try #require(json["patterns"] as? [[String: Any]])
        let occurrences = try #require(patterns[0]["occurrences"] as? [[String: Any]])
        // (Foundation's JSON parser on Linux rounds the last digits; the file has them all.)
        let times = occurrences.compactMap { $0["time"] as? Double }
        #expect(times.count == p.occurrences.count && zip(times, p.occurrences).allSatisfy { abs($0 - $1.time) < 1e-12 })
        #expect((patterns[0]["spikes"] as? [[Int]]) == p.spikes.map { [$0.channel, $0.lag] })
        #expect(json["channels"] as? Int == 4)
    }

    @Test func theWrittenCSVReadsBackAsTheSameDataset() throws {
        try withTemporaryDirectory { dir in
            let text = "channels=5,rate=8,duration=25,patterns=2,seed=3"
            let r = try Self.synth(text)
            try SpikeCSV.write(r.recording, to: dir + "/spikes.csv")
            let binning = SpikeBinning(binMs: 3, window: 4, stride: 2)
            let direct = try DataSource.load(spec: "spikes-synth:" + text, spikes: binning)
            let read = try DataSource.load(spec: "spikes:" + dir + "/spikes.csv", spikes: binning)
            #expect(read.imageShape == direct.imageShape && read.counts == direct.counts)
            #expect(read.train == direct.train && read.valid == direct.valid && read.test == direct.test)
        }
    }

    @Test(arguments: [
        ("colour=red", "colour", "not a key"),
        ("channels=0", "channels", "1...4096"),
        ("rate=-1", "rate", "≥ 0"),
        ("patterns=2,pattern-rate=1,2,3", "pattern-rate", "one per pattern"),
        ("patterns=2,size=2,3,4", "size", "one per pattern"),
        ("channels=2,span=2,size=5", "size", "does not fit"),
        ("drop=1", "drop", "[0, 1)"),
        ("duration=1e9", "duration", "spikes"),
        ("seed=x", "seed", "integer"),
        ("channels=3,4", "spec", "KEY=VALUE"),
        ("seed=1,seed=2", "seed", "twice"),
    ])
    func badSpecsNameTheKey(_ text: String, key: String, says: String) throws {
        let error = try #require(dataError { try DataSource.load(spec: "spikes-synth:" + text) })
        #expect(error.path == "spikes-synth:" + text && error.field == key && error.message.contains(says), "\(error)")
    }
}
