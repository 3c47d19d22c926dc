import Foundation
import HMCheckpoint
import HMTestSupport
import Testing

/// `--algorithm ddc` through the command line: distributed and resumed exactly.
@Suite struct DDCCommandLineTests {
    static let base = ["train", "--data", "bars", "--layers", "25,8,4", "--algorithm", "ddc", "--batch", "20", "--dreams", "200",
                       "--ddc-features", "20", "--ddc-recognition-features", "40", "--log-every", "5"]

    /// 12 steps on one rank are the same bytes as 6 on two ranks resumed to 12 on three
    /// (`--reproducible`), under both splits.
    @Test(arguments: ["layer", "paper"])
    func reproducibleAcrossWorldSizesAndResumedExactly(split: String) throws {
        let s = try expectOneRankEqualsTwoResumedOnThree(Self.base + ["--reproducible", "--ddc-split", split], steps: 12, in: try TestScratch(),
                                                         what: "ddc \(split): 1 rank vs 2 resumed on 3")
        #expect(s.stdout.contains("ddc: 20 random features per latent layer") && s.stdout.contains("\(split) split"), "\(s)")
    }

    /// `bench --algorithm ddc` times B1's ddc step and reports the shares of its parts; a bad
    /// `--ddc-split` is refused by name.
    @Test(arguments: ["layer", "paper"])
    func benchReportsTheSharesOfTheFit(split: String) throws {
        let tmp = try TestScratch()
        let r = try runHMDist(["bench", "--workload", "b1", "--algorithm", "ddc", "--ddc-split", split, "--steps", "2", "--rounds", "1", "--json"], in: tmp)
        try #require(r.succeeded, "\(r)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        #expect(result["algorithm"] as? String == "ddc")
        let share = try #require(result["algorithm_share"] as? [String: Double], "\(result)")
        #expect(Set(share.keys) == ["dreams", "features", "regressions", "scores", "fit", "readout"], "\(share)")
        let parts = ["dreams", "features", "regressions", "scores"].map { share[$0]! }
        #expect(parts.allSatisfy { $0 > 0 } && abs(parts.reduce(0, +) - share["fit"]!) < 1e-9, "\(share)")
        #expect(share["fit"]! + share["readout"]! <= 1.0001, "\(share)")
        if split == "paper" {
            expectCleanFailure(try runHMDist(["bench", "--algorithm", "ddc", "--ddc-split", "half", "--steps", "1"], in: tmp),
                               mentions: ["ddc-split", "layer or paper"])
        }
    }

    /// Gaussian layers train (real-valued data, Gaussian latents); a gaussian-hetero data layer,
    /// whose variance depends on z, is refused with the reason.
    @Test func gaussianLayers() throws {
        let tmp = try TestScratch()
        let r = try runHMDist(["train", "--data", "bars", "--layers", "25:gaussian,6:gaussian,3", "--algorithm", "ddc", "--steps", "3",
                               "--batch", "20", "--dreams", "100", "--ddc-features", "20", "--log-every", "1"], in: tmp)
        #expect(r.succeeded && r.stdout.contains("step 3/3"), "\(r)")
        expectCleanFailure(try runHMDist(["train", "--data", "bars", "--layers", "25:gaussian-hetero,4", "--algorithm", "ddc", "--steps", "1"], in: tmp),
                           mentions: ["ddc cannot train this model", "gaussian-hetero"])
    }

    /// `eval --fit-recognition`: q fitted to the frozen p by the sleep phase gives an
    /// importance-sampled lower bound far closer to the exact log-likelihood than the
    /// untrained q that ddc leaves behind, and never above it (beyond Monte Carlo error).
    @Test func fittedRecognitionGivesALowerBound() throws {
        let tmp = try TestScratch()
        let run = tmp.path("D")
        let t = try runHMDist(["train", "--data", "bars", "--layers", "25,6,3", "--algorithm", "ddc", "--batch", "20", "--dreams", "200",
                               "--ddc-features", "30", "--steps", "60", "--lr", "0.01", "--log-every", "60", "--run-dir", run], in: tmp)
        try #require(t.succeeded, "\(t)")
        // train's own held-out estimate uses the untrained q: said so, and not judged for divergence.
        #expect(t.stdout.contains("does not train the recognition network"), "\(t)")
        func ll(_ extra: [String]) throws -> [String: Any] {
            let r = try runHMDist(["eval", "--checkpoint", run, "--split", "valid", "--json"] + extra, in: tmp)
            try #require(r.succeeded, "\(r)")
            return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        let exact = try #require(try ll(["--exact"])["log_likelihood"] as? Double)
        // K = 1: the evidence bound, whose gap is KL(q ‖ p(h | x)) — the measure of q.
        let raw = try #require(try ll(["--samples", "1"])["log_likelihood"] as? Double)
        let fitted = try ll(["--samples", "1", "--fit-recognition", "1500", "--fit-lr", "0.01"])
        let bound = try #require(fitted["log_likelihood"] as? Double)
        #expect(fitted["recognition_fit_steps"] as? Int == 1500 && fitted["recognition_fit_log_q"] is Double, "\(fitted)")
        #expect(bound <= exact + 0.01 && exact - raw > 0.2 && exact - bound < 0.25 * (exact - raw),
                "exact \(exact), untrained q \(raw), fitted q \(bound)")
        expectCleanFailure(try runHMDist(["eval", "--checkpoint", run, "--fit-recognition", "0"], in: tmp), mentions: ["fit-recognition"])
    }
}

