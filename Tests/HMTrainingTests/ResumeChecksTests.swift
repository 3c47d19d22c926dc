import Foundation
import HMCheckpoint
import HMTraining
import Testing

/// A resume continues the run its checkpoint records, and loads only what verification passes.
@Suite(.serialized) struct ResumeChecksTests {
    @Test func aChangedSeedIsRefusedWithBothValuesUnlessAllowed() throws {
        let tmp = try Scratch()
        try run(small("rws", steps: 4, extra: ["run-dir": tmp.path("r"), "seed": "3"]), ranks: 1)
        let changed = try small("rws", steps: 8, extra: ["run-dir": tmp.path("r"), "resume": "auto", "seed": "4", "log-every": "2"])
        #expect {
            try run(changed, ranks: 1)
        } throws: { error in
            let text = "\(error)"
            return text.contains("seed 4") && text.contains("the checkpoint's: 3") && text.contains("--allow-changes seed")
        }
        var allowed = changed
        allowed.allowChanges = ["seed"]
        try run(allowed, ranks: 1)
        #expect(try CheckpointReader.load(tmp.path("r")).manifest.step == 8)
    }

    /// A one-digit change of the manifest's step (4 → 5): verification rejects the step, and so
    /// does every load — resume falls back to the step before and never resumes it as step 5.
    @Test func aManifestWhoseStepDiffersFromItsDirectoryIsNeverLoaded() throws {
        let tmp = try Scratch()
        try run(small("ws", steps: 4, extra: ["run-dir": tmp.path("r"), "checkpoint-every": "2", "keep": "5"]), ranks: 1)
        let step = tmp.path("r/checkpoints/step-00000004")
        let manifest = step + "/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "\"step\" : 4,", with: "\"step\" : 5,").write(toFile: manifest, atomically: true, encoding: .utf8)
        #expect(CheckpointInspection.verify(step).contains { $0.field == "step" })
        #expect(throws: CheckpointError.self) { _ = try CheckpointReader.load(step) }
        let (loaded, skipped) = try CheckpointReader.loadNewestValid(tmp.path("r"))
        #expect(loaded.manifest.step == 2 && skipped.contains { $0.path.hasPrefix(step) })
    }
}
