import Foundation
import HMCheckpoint
import Testing

/// Each kind of damage is reported by `verify` with the file and the reason, and refused by
/// `load`; nothing damaged is ever returned as a checkpoint.
@Suite struct CorruptionTests {
    /// A run with steps 100 and 200, three shards each.
    struct Run {
        let root: TemporaryDirectory
        var checkpoints: String { root.file("checkpoints") }
        var step200: String { root.file("checkpoints", "step-00000200") }
        func shard(_ rank: Int) -> String { step200 + "/shard-0000\(rank)-of-00003.safetensors.zst" }
        var manifest: String { step200 + "/manifest.json" }

        init() throws {
            root = try TemporaryDirectory()
            let store = CheckpointStore(root.file("checkpoints"))
            try store.save(CheckpointInfo(step: 100), tensors: sampleTensors(seed: 1), shards: 3)
            try store.save(CheckpointInfo(step: 200), tensors: sampleTensors(seed: 2), shards: 3)
        }

        /// `verify` of the whole directory finds exactly one problem, and `load` refuses it.
        func onlyProblem() throws -> CheckpointError {
            let problems = CheckpointVerifier.verify(checkpoints)
            #expect(problems.count == 1, "\(problems)")
            #expect(CheckpointVerifier.verify(step200).map(\.description) == problems.map(\.description))
            let loadError = #expect(throws: CheckpointError.self) { try CheckpointReader.load(checkpoints) }
            #expect(loadError == problems.first)
            return try #require(problems.first)
        }
    }

    @Test func cleanRunHasNoProblems() throws {
        let run = try Run()
        #expect(CheckpointVerifier.verify(run.root.path).isEmpty)
        #expect(CheckpointVerifier.verify(run.step200).isEmpty)
    }

    @Test func flippedByteInAShard() throws {
        let run = try Run()
        var bytes = try readBytes(run.shard(1))
        bytes[bytes.count / 2] ^= 0x01
        try writeBytes(bytes, run.shard(1))
        let problem = try run.onlyProblem()
        #expect(problem.kind == .checksumMismatch)
        #expect(problem.path == run.shard(1))
        #expect(problem.description.contains("SHA-256"))
    }

    @Test func flippedByteInTheManifest() throws {
        let run = try Run()
        var bytes = try readBytes(run.manifest)
        bytes[0] ^= 0x01  // "{" becomes "z"
        try writeBytes(bytes, run.manifest)
        let problem = try run.onlyProblem()
        // The digest beside the manifest catches it before any field is read.
        #expect(problem.kind == .checksumMismatch)
        #expect(problem.path == run.manifest)
        #expect(problem.field == "sha256" && problem.reason.contains("manifest.sha256 records"))
    }

    /// Whitespace is damage too (found by scripts/faults.sh): the digest file is exactly the
    /// 64 hex digits and a newline.
    @Test(arguments: [" ", "\n", "\t\t", "\r\n"])
    func whitespaceAddedToTheDigestFile(extra: String) throws {
        let run = try Run()
        let sidecar = (run.manifest as NSString).deletingLastPathComponent + "/manifest.sha256"
        try writeBytes(try readBytes(sidecar) + Array(extra.utf8), sidecar)
        let problem = try run.onlyProblem()
        #expect(problem.kind == .checksumMismatch && problem.path == sidecar, "\(problem)")
        #expect(problem.reason.contains("65 bytes"), "\(problem)")
    }

    @Test func digestFileWithoutItsNewline() throws {
        let run = try Run()
        let sidecar = (run.manifest as NSString).deletingLastPathComponent + "/manifest.sha256"
        try writeBytes(Array(try readBytes(sidecar).dropLast()), sidecar)
        let problem = try run.onlyProblem()
        #expect(problem.kind == .checksumMismatch && problem.path == sidecar, "\(problem)")
    }

    @Test func truncatedShard() throws {
        let run = try Run()
        let bytes = try readBytes(run.shard(0))
        try writeBytes(Array(bytes.prefix(bytes.count / 2)), run.shard(0))
        let problem = try run.onlyProblem()
        #expect(problem.kind == .sizeMismatch)
        #expect(problem.path == run.shard(0))
        #expect(problem.reason.contains("\(bytes.count / 2) bytes"))
    }

    @Test func missingShard() throws {
        let run = try Run()
        try FileManager.default.removeItem(atPath: run.shard(2))
        let problem = try run.onlyProblem()
        #expect(problem.kind == .notFound)
        #expect(problem.path == run.shard(2))
        #expect(problem.reason == "missing shard")
    }

    /// Damage that passes size and SHA-256 (the manifest was rewritten to match) still stops
    /// at zstd's own checks.
    @Test func zstdErrorBehindAMatchingManifest() throws {
        let run = try Run()
        var bytes = try readBytes(run.shard(0))
        bytes[5] ^= 0xFF
        try writeBytes(bytes, run.shard(0))
        var manifest = try CheckpointReader.readManifest(run.step200)
        manifest.shards[0].sha256 = SHA256.hex(bytes)
        try writeManifest(manifest, run.step200)
        let problem = try run.onlyProblem()
        #expect(problem.kind == .compression)
        #expect(problem.path == run.shard(0))
    }

    @Test func tensorThatDisagreesWithTheManifest() throws {
        let run = try Run()
        var manifest = try CheckpointReader.readManifest(run.step200)
        manifest.tensors["counts"]?.shape = [1, 3]
        try writeManifest(manifest, run.step200)
        let problem = try run.onlyProblem()
        #expect(problem.kind == .tensorMismatch)
        #expect(problem.field == "counts")
        #expect(problem.path.hasPrefix(run.step200 + "/shard-"))
    }

    /// An interrupted save, even one that got as far as its manifest, is reported and
    /// never loaded; the last committed step is.
    @Test func leftoverStagingDirectory() throws {
        let run = try Run()
        let staging = run.checkpoints + "/step-00000300.tmp"
        try FileManager.default.copyItem(atPath: run.step200, toPath: staging)
        let problems = CheckpointVerifier.verify(run.checkpoints)
        #expect(problems.count == 1)
        #expect(problems.first?.kind == .uncommitted)
        #expect(problems.first?.path == staging)
        #expect(try CheckpointReader.load(run.checkpoints).manifest.step == 200)
        #expect(CheckpointReader.committedSteps(in: run.root.path).map(\.step) == [200, 100])
        let error = #expect(throws: CheckpointError.self) { try CheckpointReader.load(staging) }
        #expect(error?.kind == .uncommitted)
        // LATEST gone as well: the newest committed step is still 200, never the staging.
        try FileManager.default.removeItem(atPath: run.checkpoints + "/LATEST")
        #expect(try CheckpointReader.load(run.checkpoints).manifest.step == 200)
    }

    @Test func resumeAutoFallsBackToThePreviousGoodStep() throws {
        let run = try Run()
        try FileManager.default.removeItem(atPath: run.shard(1))
        let (checkpoint, skipped) = try CheckpointReader.loadNewestValid(run.root.path)
        #expect(checkpoint.manifest.step == 100)
        #expect(checkpoint.tensors == tensorsByName(sampleTensors(seed: 1)))
        #expect(skipped.map(\.path) == [run.shard(1)])
    }

    @Test func nothingToLoad() throws {
        let empty = try TemporaryDirectory()
        let error = #expect(throws: CheckpointError.self) { try CheckpointReader.load(empty.path) }
        #expect(error?.kind == .notFound)
        #expect(CheckpointVerifier.verify(empty.path).map(\.kind) == [.notFound])
        #expect(CheckpointVerifier.verify(empty.file("nope")).map(\.kind) == [.notFound])
    }
}
