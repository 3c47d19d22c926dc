import Foundation
import HMTestSupport
import Testing

/// What the scaling model reads (`bench --timeline --json`, `check-comm --timing --json`) and
/// `scripts/alpha_beta_model.py` on it, end to end (docs/command-line.md, BENCHMARKS.md).
@Suite(.serialized) struct ScalingModelTests {
    @Test func benchTimelineAndCheckCommSweepFeedTheModel() throws {
        let tmp = try TestScratch()
        let bench = try runHMDist(["bench", "--workload", "b1", "--steps", "2", "--rounds", "1", "--timeline", "--json"], in: tmp)
        try #require(bench.succeeded, "\(bench)")
        let b = try #require(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        let timeline = try #require(b["timeline"] as? [[String: Any]], "\(b.keys)")
        let phases = Set(timeline.compactMap { $0["phase"] as? String })
        for p in ["wake", "sleep", "reduce", "optimizer", "step"] { #expect(phases.contains(p), "\(p) missing: \(phases)") }
        #expect(Set(timeline.compactMap { $0["step"] as? Int }).count == 2)
        let summary = try #require(b["timeline_summary"] as? [String: Any])
        #expect((summary["step_seconds"] as? Double ?? 0) > 0)
        // The gradients' two sums and the step sums, once a step.
        let collectives = try #require(b["collectives"] as? [[String: Any]])
        #expect(collectives.count == 3 && collectives.allSatisfy { $0["count"] as? Int == 2 }, "\(collectives)")

        let check = try runHMDist(["check-comm", "--in-process", "2", "--timing", "--json"], in: tmp)
        try #require(check.succeeded, "\(check)")
        let c = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        #expect((c["allreduce_sweep"] as? [Any])?.count == 11)

        try bench.stdout.write(toFile: tmp.path("bench.json"), atomically: true, encoding: .utf8)
        try check.stdout.write(toFile: tmp.path("check.json"), atomically: true, encoding: .utf8)
        let script = try packageRoot().appendingPathComponent("scripts/alpha_beta_model.py").path
        let model = try runTool("python3", [script, "--check-comm", "check.json", "--bench", "b1=bench.json", "--collectives", "b1=bench.json"], in: tmp)
        try #require(model.succeeded, "\(model)")
        for p in [64, 128, 256, 512, 1024] { #expect(model.stdout.contains("| b1 | \(p) |"), "\(model.stdout)") }
        #expect(model.stdout.contains("InfiniBand HDR 200 Gb/s"))
    }
}
