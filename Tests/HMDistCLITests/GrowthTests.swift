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

    @Test func refusesWhatItCannotGrow() throws {
        let tmp = try TestScratch()
        expectCleanFailure(try runHMDist(["train", "--data", "bars", "--layers", "25,4", "--grow", "--steps", "5"], in: tmp), mentions: ["grow", "run-dir"])
        expectCleanFailure(try runHMDist(["train", "--data", "bars", "--layers", "25,4", "--grow", "--grow-units", "5", "--steps", "5",
                                          "--run-dir", tmp.path("R")], in: tmp), mentions: ["grow-units", "4"])
    }
}
