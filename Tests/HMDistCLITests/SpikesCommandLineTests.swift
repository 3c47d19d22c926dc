import Foundation
import HMTestSupport
import Testing

/// Spike data on the command line: `train --data spikes-synth:…` and `spikes:FILE.csv`, the
/// files of `hm-dist spikes-synth`, and bad spike files as clean errors.
@Suite struct SpikesCommandLineTests {
    @Test func trainsOnSyntheticSpikesAndOnTheirWrittenFiles() throws {
        let tmp = try TestScratch()
        let spec = "channels=6,duration=30,patterns=2,pattern-rate=2,4,seed=5"
        let r = try runHMDist(["train", "--data", "spikes-synth:" + spec, "--layers", "30,4", "--steps", "5", "--run-dir", tmp.path("R")], in: tmp)
        try #require(r.succeeded, "\(r)")
        let config = try String(contentsOfFile: tmp.path("R/config.yaml"), encoding: .utf8)
        for line in ["bin-ms: 2", "window: 5"] { #expect(config.contains(line), "config.yaml lacks '\(line)':\n\(config)") }
        let w = try runHMDist(["spikes-synth", spec, "--out", tmp.path("S")], in: tmp)
        try #require(w.succeeded, "\(w)")
        let csv = try String(contentsOfFile: tmp.path("S/spikes.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("unit,time_seconds\n"))
        // eval cuts the recording as the run did: 3-bin windows every 2 bins from 20 s.
        let run3 = tmp.path("R3")
        try #require(try runHMDist(["train", "--data", "spikes-synth:" + spec, "--layers", "18,4", "--window", "3", "--stride", "2",
                                    "--valid-from", "20", "--steps", "5", "--run-dir", run3], in: tmp).succeeded)
        let e = try runHMDist(["eval", "--checkpoint", run3, "--split", "valid", "--samples", "5", "--json"], in: tmp)
        try #require(e.succeeded, "\(e)")
        let points = try #require((try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])?["count"] as? Int, "\(e.stdout)")
        let last = try #require(csv.split(separator: "\n").last.flatMap { $0.split(separator: ",").last }.flatMap { Double($0) })
        let bins = Int(last / 0.002) + 1
        #expect(points == (bins - 10_000 - 3) / 2 + 1, "\(points) held-out windows of 3 bins every 2 from bin 10000 to \(bins)")

        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.path("S/truth.json")))) as? [String: Any])
        #expect((truth["patterns"] as? [[String: Any]])?.count == 2 && truth["channels"] as? Int == 6)
        expectCleanFailure(try runHMDist(["spikes-synth", spec, "--out", tmp.path("S")], in: tmp), mentions: ["spikes.csv", "--force"])
        let t = try runHMDist(["train", "--data", "spikes:" + tmp.path("S/spikes.csv"), "--layers", "18,4", "--window", "3", "--steps", "5"], in: tmp)
        try #require(t.succeeded, "\(t)")
    }

    @Test func badSpikeInputIsACleanError() throws {
        let tmp = try TestScratch()
        let path = tmp.path("bad.csv")
        try "unit,time_seconds\n0,0.1\n1,0.2\n2,soon\n".write(toFile: path, atomically: true, encoding: .utf8)
        expectCleanFailure(try runHMDist(["train", "--data", "spikes:" + path, "--layers", "15,4", "--steps", "5"], in: tmp),
                           mentions: [path, "line 4", "time in seconds", "soon"])
        expectCleanFailure(try runHMDist(["train", "--data", "spikes-synth:channels=4,duration=1", "--window", "1000", "--layers", "4000,4", "--steps", "5"], in: tmp),
                           mentions: ["window", "longer than the recording"])
        expectCleanFailure(try runHMDist(["spikes-synth", "colour=red", "--out", tmp.path("S")], in: tmp), mentions: ["colour", "not a key"])
    }
}
