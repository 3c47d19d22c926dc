import Foundation
import HMCheckpoint
import HMTestSupport
import Testing

/// `train --init-from`: a new run that starts from a checkpoint's parameters (fine-tuning).
@Suite struct InitFromTests {
    @Test func aNewRunStartsFromTheCheckpointsParameters() throws {
        let tmp = try TestScratch()
        let a = tmp.path("A"), b = tmp.path("B")
        let base = ["train", "--data", "bars", "--layers", "25,8,4", "--batch", "20", "--log-every", "100"]
        try #require(try runHMDist(base + ["--steps", "20", "--run-dir", a], in: tmp).succeeded)
        // One step at a vanishing learning rate leaves the parameters as they were loaded.
        let r = try runHMDist(base + ["--steps", "1", "--lr", "1e-20", "--run-dir", b, "--init-from", a], in: tmp)
        try #require(r.succeeded, "\(r)")
        #expect(r.stdout.contains("initialised from") && r.stdout.contains("step 20"), "\(r)")
        let from = try CheckpointReader.load(a), to = try CheckpointReader.load(b)
        #expect(to.manifest.step == 1)
        for name in from.tensors.keys.sorted() where name.hasPrefix("generative.") || name.hasPrefix("recognition.") {
            #expect(try from[name]!.values(as: Float.self) == to[name]!.values(as: Float.self), "\(name)")
        }
        #expect(to.manifest.config["init-from"]?.stringValue == a, "\(to.manifest.config)")
        // Another architecture is refused, naming both.
        expectCleanFailure(try runHMDist(base + ["--layers", "25,9,4", "--steps", "1", "--init-from", a], in: tmp),
                           mentions: ["init-from", "[25, 8, 4]", "[25, 9, 4]"])
    }
}
