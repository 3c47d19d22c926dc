import Foundation
import HMCheckpoint
import HMTestSupport
import Testing

/// `--algorithm ddc` through the command line: distributed and resumed exactly.
@Suite struct DDCCommandLineTests {
    static let base = ["train", "--data", "bars", "--layers", "25,8,4", "--algorithm", "ddc", "--batch", "20", "--dreams", "200",
                       "--ddc-features", "20", "--ddc-recognition-features", "40", "--log-every", "5"]

    /// 12 steps on one rank are the same bytes as 6 on two ranks resumed to 12 on three
    /// (`--reproducible`).
    @Test func reproducibleAcrossWorldSizesAndResumedExactly() throws {
        let s = try expectOneRankEqualsTwoResumedOnThree(Self.base + ["--reproducible"], steps: 12, in: try TestScratch(),
                                                         what: "ddc: 1 rank vs 2 resumed on 3")
        #expect(s.stdout.contains("ddc: 20 random features per latent layer"), "\(s)")
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
}
