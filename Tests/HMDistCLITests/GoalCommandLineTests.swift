import Foundation
import HMTestSupport
import Testing

/// `--goal-cycles`, `sample --goal` and `eval --goal-accuracy` through the command line, on
/// the built-in digits and their labels.
@Suite struct GoalCommandLineTests {
    @Test func goalSeededRunSamplesByGoalAndScoresQ() throws {
        let tmp = try TestScratch(), run = tmp.path("g")
        let t = try runHMDist(["train", "--data", "digits", "--layers", "64,32,10:categorical", "--algorithm", "rws",
                               "--goal-cycles", "2", "--labelled-fraction", "0.8", "--steps", "800", "--lr", "0.003", "--log-every", "200", "--run-dir", run], in: tmp)
        try #require(t.succeeded, "\(t)")
        // One row of --count samples per goal, as 0/1 strings.
        let out = tmp.path("s.txt")
        let s = try runHMDist(["sample", "--checkpoint", run, "--goal", "all", "--count", "7", "--format", "text", "--out", out, "--json"], in: tmp)
        try #require(s.succeeded, "\(s)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 70 && lines.allSatisfy { $0.count == 64 }, "\(lines.count) lines")
        let e = try runHMDist(["eval", "--checkpoint", run, "--samples", "100", "--goal-accuracy", "--json"], in: tmp)
        try #require(e.succeeded, "\(e)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(record["goal_accuracy"] as? Double)
        // 800 steps on 8×8 digits: q(g | x) is far better than chance (0.1).
        #expect(accuracy > 0.4, "\(e.stdout)")
    }

    @Test func misuseIsACleanError() throws {
        let tmp = try TestScratch(), run = tmp.path("p")
        let t = try runHMDist(["train", "--data", "digits", "--layers", "64,16,8", "--steps", "5", "--run-dir", run], in: tmp)
        try #require(t.succeeded, "\(t)")
        expectCleanFailure(try runHMDist(["sample", "--checkpoint", run, "--goal", "3", "--out", tmp.path("x.png")], in: tmp),
                           mentions: ["goal", "categorical"])
        expectCleanFailure(try runHMDist(["eval", "--checkpoint", run, "--goal-accuracy"], in: tmp), mentions: ["goal-accuracy", "categorical"])
        expectCleanFailure(try runHMDist(["train", "--data", "bars", "--layers", "25,4:categorical", "--goal-cycles", "1", "--steps", "2"], in: tmp),
                           mentions: ["goal-cycles", "labels"])
        expectCleanFailure(try runHMDist(["train", "--data", "digits", "--layers", "64,16,10:categorical", "--goal-cycles", "1",
                                          "--algorithm", "nws", "--steps", "2"], in: tmp), mentions: ["ws or rws"])
    }
}

/// `classifier` then `quality` on digits: the measures are present and consistent.
@Suite struct QualityCommandLineTests {
    @Test func classifierThenQualityOfAModelAndOfTheData() throws {
        let tmp = try TestScratch(), run = tmp.path("m"), cls = tmp.path("c.safetensors")
        let t = try runHMDist(["train", "--data", "digits", "--layers", "64,16,8", "--steps", "50", "--run-dir", run], in: tmp)
        try #require(t.succeeded, "\(t)")
        let c = try runHMDist(["classifier", "--data", "digits", "--epochs", "20", "--out", cls, "--json"], in: tmp)
        try #require(c.succeeded, "\(c)")
        let accuracy = try #require((try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [String: Any])?["test_accuracy"] as? Double)
        #expect(accuracy > 0.7, "\(c.stdout)")
        let q = try runHMDist(["quality", "--checkpoint", run, "--count", "200", "--classifier", cls, "--mmd", "--json"], in: tmp)
        try #require(q.succeeded, "\(q)")
        let r = try #require(try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [String: Any])
        let histogram = try #require(r["label_histogram"] as? [Int])
        #expect(histogram.reduce(0, +) == 200 && histogram.count == 10)
        let distinct = try #require(r["distinct"] as? Int), entropy = try #require(r["label_entropy"] as? Double)
        #expect(distinct <= 200 && distinct > 1 && entropy <= (r["label_entropy_max"] as? Double ?? 0) + 1e-9)
        #expect((r["nearest_hamming_mean"] as? Double ?? -1) >= 0 && r["mmd"] != nil)
        // A checkpoint and a samples file at once is refused.
        expectCleanFailure(try runHMDist(["quality", "--checkpoint", run, "--samples-file", cls], in: tmp), mentions: ["checkpoint", "samples-file"])
    }
}
