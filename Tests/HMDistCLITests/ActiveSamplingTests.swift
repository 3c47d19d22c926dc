import Foundation
import HMCheckpoint
import HMTestSupport
import Testing

/// `train --active-sampling RULE` (Liu 2023) through the command line, in the paper's setting
/// (`--states pm1 --init zero`): the pool is training state, the same on every world size and
/// resumed exactly; the rule's failures are clean errors.
@Suite struct ActiveSamplingTests {
    static let model = ["--data", "rhythm10", "--layers", "10,8,5,3", "--states", "pm1", "--algorithm", "ws",
                        "--lr", "0.01", "--log-every", "5"]

    /// A short stage I (online, zero initialisation), then stage II from it.
    func stageOne(_ tmp: TestScratch) throws -> String {
        let run = tmp.path("I")
        let r = try runHMDist(["train"] + Self.model + ["--init", "zero", "--optimizer", "sgd", "--momentum", "0", "--batch", "1", "--steps", "300", "--run-dir", run], in: tmp)
        try #require(r.succeeded, "\(r)")
        return run
    }

    @Test func thePoolIsStateResumedExactlyOnAnyWorldSize() throws {
        let tmp = try TestScratch()
        let first = try stageOne(tmp)
        let base = ["train"] + Self.model + ["--batch", "10", "--dreams", "10", "--init-from", first,
                                             "--active-sampling", "rhythm10", "--reproducible"]
        try expectOneRankEqualsTwoResumedOnThree(base, steps: 10, in: tmp, what: "active sampling: 1 rank vs 2 resumed on 3")
        let saved = try CheckpointReader.load(tmp.path("one"))
        let pool = try #require(saved["active.pool"]), counts = try #require(try saved["active.counts"]?.values(as: Int64.self))
        let rows = try pool.values(as: Float.self)
        // Every slot's fantasy is accepted or counted empty; the additions are ±1 and pass the rule.
        #expect(counts[1] + counts[2] == 100 && Int64(pool.shape[0]) == counts[1] && counts[0] >= counts[1], "\(counts), \(pool.shape)")
        #expect(counts[1] > 0 && rows.allSatisfy { $0 == 1 || $0 == -1 })
        let strings = stride(from: 0, to: rows.count, by: 10).map { String(rows[$0..<$0 + 10].map { $0 > 0 ? "1" : "0" }) }
        #expect(strings.allSatisfy { $0.hasPrefix("1") && !$0.contains("0000") && !$0.contains("00100") && !$0.hasSuffix("001") }, "\(strings)")
        let metrics = try String(contentsOfFile: tmp.path("one") + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"active_accepted\"") && metrics.contains("\"active_pool\""), "\(metrics.prefix(400))")
        // A ±1 machine's samples are written, and scored, as 0/1 strings; its exact likelihood is a probability.
        let out = tmp.path("s.txt")
        let s = try runHMDist(["sample", "--checkpoint", tmp.path("one"), "--count", "50", "--format", "text", "--out", out,
                               "--rule", "rhythm10", "--json"], in: tmp)
        try #require(s.succeeded, "\(s)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 50 && lines.allSatisfy { $0.count == 10 && $0.allSatisfy { $0 == "0" || $0 == "1" } }, "\(lines)")
        let e = try runHMDist(["eval", "--checkpoint", tmp.path("one"), "--exact", "--json"], in: tmp)
        try #require(e.succeeded, "\(e)")
        let ll = try #require((try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])?["log_likelihood"] as? Double)
        #expect(ll < 0 && ll > -10 * log(2.0), "better than uniform over the 1,024 strings: \(e.stdout)")
    }

    @Test func ruleFailuresAndMisuseAreCleanErrors() throws {
        let tmp = try TestScratch()
        let first = try stageOne(tmp)
        let base = ["train"] + Self.model + ["--batch", "2", "--steps", "3", "--init-from", first]
        expectCleanFailure(try runHMDist(base + ["--active-sampling", "cmd:exit 3", "--run-dir", tmp.path("F")], in: tmp),
                           mentions: ["active-sampling", "rule"])
        #expect(!FileManager.default.fileExists(atPath: tmp.path("F") + "/checkpoints/latest"), "a failed step saved nothing")
        expectCleanFailure(try runHMDist(base + ["--active-sampling", "rhythm9"], in: tmp), mentions: ["active-sampling", "rhythm9"])
        expectCleanFailure(try runHMDist(base + ["--active-sampling", "rhythm10", "--algorithm", "nws"], in: tmp),
                           mentions: ["active sampling", "nws"])
        expectCleanFailure(try runHMDist(base + ["--states", "01", "--active-sampling", "rhythm10"], in: tmp), mentions: ["init-from"])
        expectCleanFailure(try runHMDist(base + ["--states", "pm2"], in: tmp), mentions: ["states", "pm1"])
        expectCleanFailure(try runHMDist(base + ["--init", "ones"], in: tmp), mentions: ["init", "zero"])
        // A rule nothing passes leaves every slot empty: counted, the pool as it was, the run goes on.
        let none = tmp.path("N")
        let r = try runHMDist(base + ["--active-sampling", "cmd:awk '{ print 0 }'", "--active-tries", "20", "--dreams", "4", "--run-dir", none], in: tmp)
        try #require(r.succeeded, "\(r)")
        let counts = try #require(try CheckpointReader.load(none)["active.counts"]?.values(as: Int64.self))
        #expect(counts == [240, 0, 12], "\(counts)")
    }
}
