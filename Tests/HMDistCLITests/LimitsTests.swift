import Foundation
import HMCheckpoint
import HMTestSupport
import Testing

/// Limits checked before and during work (docs/training.md: memory and divergence): a run
/// that cannot fit is refused before it allocates, with both figures; a run that diverges
/// stops before saving anything of the diverged model, and its last good checkpoint stays.
@Suite struct LimitsTests {
    /// 64 × 10⁸ weights each way: 52 GB of parameters alone, beyond any test machine's memory.
    @Test func tooLargeARunIsRefusedWithBothFigures() throws {
        let tmp = try TestScratch()
        let r = try runHMDist(["train", "--data", "digits", "--layers", "64,100000000", "--steps", "1"], in: tmp, timeout: 60)
        #expect(r.exited && r.status == 1, "\(r)")
        #expect(r.stderr.contains("layers") && r.stderr.contains("needs at least") && r.stderr.contains("GB per rank")
                && r.stderr.contains("available"), "\(r)")
        #expect(!r.stderr.contains("Fatal error"), "\(r)")
    }

    /// Two ranks of a model that fits alone but not twice: the figure is the host's total.
    @Test func theRanksOfOneHostAreCountedTogether() throws {
        let tmp = try TestScratch()
        let r = try runHMDist(["train", "--data", "digits", "--layers", "64,100000000", "--steps", "1", "--ranks", "2"], in: tmp, timeout: 60)
        #expect(r.exited && r.status == 1, "\(r)")
        #expect(r.stderr.contains("× 2 ranks on"), "\(r)")
    }

    /// Adam at lr 10³⁰: after one step the bound is of order −10³⁰ nats, while every value
    /// stays finite. The run stops at its first look (step 10, before the save of step 10),
    /// names the last good checkpoint (none yet, or step 5's), and exits 1.
    @Test(arguments: [1, 2])
    func aDivergedRunStopsAndKeepsItsLastGoodCheckpoint(ranks: Int) throws {
        let tmp = try TestScratch()
        let dir = tmp.path("R")
        // First five good steps at a sane learning rate, committed…
        let good = try runHMDist(["train", "--data", "bars", "--layers", "25,10,5", "--steps", "5", "--batch", "20",
                                  "--run-dir", dir, "--ranks", "\(ranks)"], in: tmp)
        try #require(good.succeeded, "\(good)")
        // …then a resumed run that diverges at once.
        let bad = try runHMDist(["train", "--data", "bars", "--layers", "25,10,5", "--steps", "40", "--batch", "20", "--lr", "1e30",
                                 "--allow-changes", "lr", "--resume", "auto", "--checkpoint-every", "10", "--log-every", "10",
                                 "--run-dir", dir, "--ranks", "\(ranks)"], in: tmp)
        #expect(bad.exited && bad.status == 1, "\(bad)")
        #expect(bad.stderr.contains("training has diverged") && bad.stderr.contains("mean wake bound of steps 6–10")
                && bad.stderr.contains("step-00000005") && bad.stderr.contains("--on-divergence continue"), "\(bad)")
        let steps = CheckpointReader.committedSteps(in: dir + "/checkpoints").map(\.step)
        #expect(steps == [5], "committed steps \(steps)")
        let verify = try runHMDist(["inspect", "--checkpoint", dir, "--verify"], in: tmp)
        #expect(verify.succeeded, "\(verify)")
    }

    /// Told to go on, the same run warns and finishes.
    @Test func toldToGoOnItWarnsAndFinishes() throws {
        let tmp = try TestScratch()
        let r = try runHMDist(["train", "--data", "bars", "--layers", "25,10,5", "--steps", "20", "--batch", "20", "--lr", "1e30",
                               "--log-every", "10", "--on-divergence", "continue"], in: tmp)
        #expect(r.succeeded, "\(r)")
        #expect(r.stdout.contains("warning: step 10: training has diverged"), "\(r)")
    }
}
