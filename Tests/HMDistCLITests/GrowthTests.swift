import Foundation
import HMCheckpoint
import HMTestSupport
import Testing

/// `train --grow`: stages of a growing top layer, each a run of its own, decided on the
/// held-out estimate; interrupted mid-growth and resumed on another world size it ends with
/// the same bytes as a growth that never stopped (`--reproducible`).
@Suite struct GrowthTests {
    static let base = ["train", "--data", "bars", "--layers", "25,6", "--grow", "--grow-units", "2", "--steps", "200", "--lr", "0.01",
                       "--batch", "20", "--reproducible", "--log-every", "100", "--checkpoint-every", "100"]

    func growth(_ run: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: run + "/growth.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func resumedMidGrowthOnAnotherWorldSizeIsTheSame() throws {
        let tmp = try TestScratch()
        let straight = tmp.path("S"), moved = tmp.path("M")
        let s = try runHMDist(Self.base + ["--run-dir", straight], in: tmp)
        try #require(s.succeeded, "\(s)")
        let g = try growth(straight)
        let stages = try #require(g["stages"] as? [[String: Any]])
        #expect(stages.first?["hidden_units"] as? Int == 0 && stages.count >= 2, "\(g)")
        // Every stage kept but (perhaps) the last, and the kept width is the last kept stage's.
        let kept = stages.filter { $0["kept"] as? Bool == true }
        #expect(g["kept_units"] as? Int == kept.last?["hidden_units"] as? Int, "\(g)")

        // Killed in stage 1 after its step-100 checkpoint, on two ranks; resumed on three.
        let killed = try runHMDist(Self.base + ["--run-dir", moved, "--ranks", "2"], environment: ["HM_DIST_FAULT": "rank=0,step=150,kind=crash"], in: tmp)
        #expect(!killed.succeeded)
        let r = try runHMDist(Self.base + ["--run-dir", moved, "--ranks", "3", "--resume", "auto"], in: tmp)
        try #require(r.succeeded, "\(r)")
        expectSameBytes(try CheckpointReader.load(straight), try CheckpointReader.load(moved), what: "grown: 1 rank vs 2 killed and resumed on 3")
        let h = try growth(moved)
        // The estimates are summed across ranks in float64: the same decisions, equal to ~1e-12.
        let a = stages.compactMap { $0["held_out_log_likelihood"] as? Double }
        let b = (h["stages"] as? [[String: Any]] ?? []).compactMap { $0["held_out_log_likelihood"] as? Double }
        #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-9 }, "\(a) vs \(b)")
        #expect((h["stages"] as? [[String: Any]])?.map { $0["kept"] as? Bool } == stages.map { $0["kept"] as? Bool })
        // The growth log names each stage once.
        let lines = try String(contentsOfFile: moved + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").filter { $0.contains("grow_stage") }
        #expect(lines.count == stages.count, "\(lines)")
    }

    /// In a deeper machine the top layer grows; the layers below keep their widths.
    @Test func deeperMachinesGrowTheirTopLayer() throws {
        let tmp = try TestScratch()
        let run = tmp.path("D")
        let r = try runHMDist(["train", "--data", "bars", "--layers", "25,6,4", "--grow", "--grow-units", "2", "--grow-threshold", "0",
                               "--steps", "100", "--lr", "0.01", "--log-every", "100", "--run-dir", run], in: tmp)
        try #require(r.succeeded, "\(r)")
        let kept = try #require(try growth(run)["kept_units"] as? Int)
        let layers = try CheckpointReader.load(run).manifest.architecture["layers"]
        #expect(kept >= 2 && layers == .array([.int(25), .int(6), .int(kept)]), "kept \(kept), layers \(String(describing: layers))")
    }

    @Test func refusesWhatItCannotGrow() throws {
        let tmp = try TestScratch()
        expectCleanFailure(try runHMDist(["train", "--data", "bars", "--layers", "25,4", "--grow", "--steps", "5"], in: tmp), mentions: ["grow", "run-dir"])
        expectCleanFailure(try runHMDist(["train", "--data", "bars", "--layers", "25,4", "--grow", "--grow-units", "5", "--steps", "5",
                                          "--run-dir", tmp.path("R")], in: tmp), mentions: ["grow-units", "4"])
    }
}

/// Growth on planted spike patterns (de Sa et al. 1997's kind of benchmark): the grown machine
/// keeps exactly the planted patterns, and nothing on pure background.
@Suite struct PatternRecoveryTests {
    static let spec = "channels=8,size=3,span=1,pattern-rate=5,rate=5,duration=100,seed=3"
    static let train = ["train", "--window", "1", "--layers", "8,5", "--grow", "--steps", "3000", "--lr", "0.01", "--log-every", "3000"]

    func patterns(_ run: String, _ tmp: TestScratch) throws -> [String: Any] {
        let r = try runHMDist(["patterns", "--checkpoint", run, "--json", "--out", run + "/patterns.png"], in: tmp)
        try #require(r.succeeded, "\(r)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test func twoPlantedPatternsGiveTwoUnitsThatMatchThem() throws {
        let tmp = try TestScratch()
        let run = tmp.path("G"), truth = tmp.path("T")
        let t = try runHMDist(Self.train + ["--data", "spikes-synth:patterns=2," + Self.spec, "--run-dir", run], in: tmp)
        try #require(t.succeeded, "\(t)")
        try #require(try runHMDist(["spikes-synth", "patterns=2," + Self.spec, "--out", truth], in: tmp).succeeded)
        let planted = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth + "/truth.json"))) as? [String: Any])?["patterns"] as? [[String: Any]])
        let plantedVectors: [[Double]] = try planted.map { p in
            var v = [Double](repeating: 0, count: 8)
            for cell in try #require(p["spikes"] as? [[Int]]) { v[cell[0]] = 1 }
            return v
        }
        let found = try patterns(run, tmp)
        let units = try #require(found["units"] as? [[String: Any]])
        #expect(units.count == 2, "kept \(units.count) units: \(units.map { $0["pattern"] ?? "" })")
        let vectors = units.compactMap { ($0["pattern"] as? [[Double]])?.flatMap { $0 } }
        func cosine(_ a: [Double], _ b: [Double]) -> Double {
            zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / ((a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot() + 1e-12)
        }
        // Each planted pattern has its own unit, at cosine similarity ≥ 0.8.
        for (k, p) in plantedVectors.enumerated() {
            let best = vectors.map { cosine($0, p) }.max() ?? 0
            #expect(best >= 0.8, "planted pattern \(k) \(p): best cosine \(best)")
        }
        #expect(Set(plantedVectors.map { p in vectors.indices.max { cosine(vectors[$0], p) < cosine(vectors[$1], p) } }).count == 2)
        #expect(FileManager.default.fileExists(atPath: run + "/patterns.png"))
    }

    @Test func pureBackgroundKeepsNoUnit() throws {
        let tmp = try TestScratch()
        let run = tmp.path("B")
        let t = try runHMDist(Self.train + ["--data", "spikes-synth:patterns=0," + Self.spec, "--run-dir", run], in: tmp)
        try #require(t.succeeded, "\(t)")
        let found = try patterns(run, tmp)
        #expect((found["units"] as? [Any])?.isEmpty == true && found["kept_units"] as? Int == 0, "\(found)")
    }
}
