import Foundation
import HMCheckpoint
import HMTestSupport
import HMTraining
import Testing

/// A resume continues the run its checkpoint records, and loads only what verification passes.
@Suite(.serialized) struct ResumeChecksTests {
    @Test func aChangedSeedIsRefusedWithBothValuesUnlessAllowed() throws {
        let tmp = try TestScratch()
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

    /// A one-digit change of the manifest's step (4 → 5), with a matching digest: verification rejects the step, and so
    /// does every load — resume falls back to the step before and never resumes it as step 5.
    @Test func aManifestWhoseStepDiffersFromItsDirectoryIsNeverLoaded() throws {
        let tmp = try TestScratch()
        try run(small("ws", steps: 4, extra: ["run-dir": tmp.path("r"), "checkpoint-every": "2", "keep": "5"]), ranks: 1)
        let step = tmp.path("r/checkpoints/step-00000004")
        let manifest = step + "/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        // Its digest rewritten to match: the step's name still gives it away.
        let changed = text.replacingOccurrences(of: "\"step\" : 4,", with: "\"step\" : 5,")
        try changed.write(toFile: manifest, atomically: true, encoding: .utf8)
        try (SHA256.hex(Array(changed.utf8)) + "\n").write(toFile: step + "/manifest.sha256", atomically: true, encoding: .utf8)
        #expect(CheckpointInspection.verify(step).contains { $0.field == "step" })
        #expect(throws: CheckpointError.self) { _ = try CheckpointReader.load(step) }
        let (loaded, skipped) = try CheckpointReader.loadNewestValid(tmp.path("r"))
        #expect(loaded.manifest.step == 2 && skipped.contains { $0.path.hasPrefix(step) })
    }
}

/// The manifest is protected by the digest beside it: a changed digit in any field is caught
/// before the field is trusted, by verify and by every load alike.
@Suite(.serialized) struct ManifestDigestTests {
    @Test(arguments: ["\"epoch\" : 0", "\"samples_seen\" : 80", "\"seed\" : 3", "\"batch\" : 20", "\"world_size\" : 1", "\"step\" : 4"])
    func aChangedDigitInAnyFieldIsCaught(field: String) throws {
        let tmp = try TestScratch()
        try run(small("ws", steps: 4, extra: ["run-dir": tmp.path("r")]), ranks: 1)
        let step = tmp.path("r/checkpoints/step-00000004"), manifest = step + "/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try #require(text.contains(field), "\(field) not in \(text)")
        let digit = field.last!, other = digit == "9" ? "8" : String(Character(UnicodeScalar(digit.asciiValue! + 1)))
        try text.replacingOccurrences(of: field, with: field.dropLast() + other).write(toFile: manifest, atomically: true, encoding: .utf8)
        #expect(CheckpointInspection.verify(step).contains { $0.path == manifest && $0.field == "sha256" })
        #expect(throws: CheckpointError.self) { _ = try CheckpointReader.load(step) }
        #expect(throws: CheckpointError.self) { _ = try CheckpointReader.readManifest(step) }
        // A resume finds no good step and says so, rather than resuming the changed one.
        #expect(throws: (any Error).self) { try run(small("ws", steps: 8, extra: ["run-dir": tmp.path("r"), "resume": "auto"]), ranks: 1) }
    }

    @Test func aDeletedDigestIsCaughtAndAnOldUnprotectedManifestIsRead() throws {
        let tmp = try TestScratch()
        try run(small("ws", steps: 4, extra: ["run-dir": tmp.path("r")]), ranks: 1)
        let step = tmp.path("r/checkpoints/step-00000004")
        try FileManager.default.removeItem(atPath: step + "/manifest.sha256")
        #expect(throws: CheckpointError.self) { _ = try CheckpointReader.load(step) }
        // An older version's manifest has neither the digest nor the field that names it.
        let manifest = step + "/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "  \"digest\" : \"manifest.sha256\",\n", with: "").write(toFile: manifest, atomically: true, encoding: .utf8)
        let old = try CheckpointReader.load(step)
        #expect(!old.protected && old.manifest.step == 4)
    }
}
