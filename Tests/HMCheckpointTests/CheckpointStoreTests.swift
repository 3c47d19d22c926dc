import Foundation
import HMCheckpoint
import Testing

@Suite struct CheckpointStoreTests {
    static let info = CheckpointInfo(step: 1200, epoch: 4, samplesSeen: 120_000,
                                     config: ["algorithm": "rws", "batch": 100, "lr": 0.001],
                                     architecture: ["layers": [20, 30]])

    /// Shards of several megabytes — flushed by background syncs while they are written, and
    /// compressed with and without zstd workers, at a fast and a normal level — load back bit
    /// for bit, and a flipped byte in one is refused on load.
    @Test(arguments: [(0, -1), (0, 1), (2, 1)])
    func largeShardsRoundTripBitExact(workers: Int, level: Int) throws {
        let run = try TemporaryDirectory()
        let writer = CheckpointWriter(checkpointsDirectory: run.file("checkpoints"), compressionLevel: level,
                                      compressionWorkers: workers)
        let tensors = (0..<3).map { t in
            Tensor(name: "t\(t)", shape: [1_500_000], values: (0..<1_500_000).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* 2_654_435_761 &+ t)) })
        } + sampleTensors()
        let staging = try writer.prepare(step: 7)
        let parts = ShardPlan.split(tensors, into: 2)
        let records = try parts.indices.map { try writer.writeShard(rank: $0, worldSize: 2, tensors: parts[$0], into: staging) }
        #expect(records.allSatisfy { $0.bytes > 4 << 20 }, "each shard spans a background sync")
        let committed = try writer.commit(info: CheckpointInfo(step: 7), tensors: Manifest.tensorEntries(for: parts),
                                          shards: records, keep: 0)
        #expect(try CheckpointReader.load(committed).tensors == tensorsByName(tensors))

        let shard = committed + "/" + records[1].file
        var bytes = try readBytes(shard)
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: shard))
        #expect(throws: CheckpointError.self) { try CheckpointReader.load(committed) }
    }

    /// A shard written from views of memory the caller holds is the same file, byte for byte,
    /// as one written from tensors that own their bytes.
    @Test func viewsWriteTheSameShardAsTensors() throws {
        let run = try TemporaryDirectory()
        let tensors = sampleTensors()
        let buffers = tensors.map { t in
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: t.bytes.count, alignment: 8)
            b.copyBytes(from: t.bytes)
            return b
        }
        defer { buffers.forEach { $0.deallocate() } }
        let views = zip(tensors, buffers).map { TensorView(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: UnsafeRawBufferPointer($1)) }
        let writer = CheckpointWriter(checkpointsDirectory: run.file("checkpoints"), compressionLevel: 1)
        let staging = try writer.prepare(step: 1)
        let owned = try writer.writeShard(rank: 0, worldSize: 2, tensors: tensors, into: staging)
        let viewed = try writer.writeShard(rank: 1, worldSize: 2, tensors: views, into: staging)
        #expect(owned.sha256 == viewed.sha256 && owned.bytes == viewed.bytes)
        #expect(try readBytes(staging + "/" + owned.file) == readBytes(staging + "/" + viewed.file))
    }

    @Test(arguments: [1, 3])
    func saveThenLoadRoundTrips(_ shards: Int) throws {
        let run = try TemporaryDirectory()
        let store = CheckpointStore(run.file("checkpoints"))
        let tensors = sampleTensors()
        let committed = try store.save(Self.info, tensors: tensors, shards: shards)
        #expect(committed == run.file("checkpoints", "step-00001200"))

        let files = try FileManager.default.contentsOfDirectory(atPath: committed).sorted()
        let shardNames = (0..<shards).map { String(format: "shard-%05d-of-%05d.safetensors.zst", $0, shards) }
        #expect(files == (["manifest.json", "manifest.sha256"] + shardNames).sorted())
        #expect(!FileManager.default.fileExists(atPath: run.file("checkpoints", "step-00001200.tmp")))

        // The run directory, its checkpoints/ and the step directory all mean this step.
        for path in [run.path, run.file("checkpoints"), committed] {
            let checkpoint = try CheckpointReader.load(path)
            #expect(checkpoint.directory == committed)
            #expect(checkpoint.tensors == tensorsByName(tensors))
            let manifest = checkpoint.manifest
            #expect(manifest.formatVersion == 1)
            #expect(manifest.step == 1200 && manifest.epoch == 4 && manifest.samplesSeen == 120_000)
            #expect(manifest.worldSize == shards)
            #expect(manifest.config == Self.info.config)
            #expect(manifest.architecture == Self.info.architecture)
            #expect(manifest.shards.map(\.file) == shardNames)
            #expect(manifest.tensors["counts"] == .init(shard: manifest.tensors["counts"]!.shard, dtype: .i32, shape: [3]))
        }
        let manifest = try CheckpointReader.readManifest(run.path)
        for shard in manifest.shards {
            let bytes = try readBytes(run.file("checkpoints", "step-00001200", shard.file))
            #expect(bytes.count == shard.bytes)
            #expect(SHA256.hex(bytes) == shard.sha256)
        }
        #expect(Set(manifest.tensors.values.map(\.shard)).count == shards, "every shard holds a tensor")
        #expect(store.verify().isEmpty)
    }

    @Test func latestNamesTheNewestAndKeepLastN() throws {
        let run = try TemporaryDirectory()
        let store = CheckpointStore(run.file("checkpoints"), keep: 2)
        for (index, step) in [100, 200, 300, 400].enumerated() {
            try store.save(CheckpointInfo(step: step), tensors: sampleTensors(seed: index + 1), shards: 2)
            let latest = try String(contentsOfFile: run.file("checkpoints", "LATEST"), encoding: .utf8)
            #expect(latest.trimmingCharacters(in: .newlines) == String(format: "step-%08d", step))
        }
        #expect(store.committedSteps().map(\.step) == [400, 300])
        let entries = try FileManager.default.contentsOfDirectory(atPath: run.file("checkpoints")).sorted()
        #expect(entries == ["LATEST", "step-00000300", "step-00000400"])
        let loaded = try store.load()
        #expect(loaded.manifest.step == 400)
        #expect(loaded.tensors == tensorsByName(sampleTensors(seed: 4)))
    }

    @Test func missingOrBadLatestFallsBackToTheNewestCommittedStep() throws {
        let run = try TemporaryDirectory()
        let store = CheckpointStore(run.file("checkpoints"), keep: 0)
        try store.save(CheckpointInfo(step: 5), tensors: sampleTensors(seed: 1))
        try store.save(CheckpointInfo(step: 7), tensors: sampleTensors(seed: 2))
        let latest = run.file("checkpoints", "LATEST")
        try writeBytes(Array("step-00000099\n".utf8), latest)
        #expect(try store.load().manifest.step == 7)
        try writeBytes(Array("garbage".utf8), latest)
        #expect(try store.load().manifest.step == 7)
        try FileManager.default.removeItem(atPath: latest)
        #expect(try store.load().manifest.step == 7)
        let problems = store.verify()
        #expect(problems.count == 1)
        #expect(problems.first?.path == latest)
    }

    @Test func committedStepsAreNeverOverwritten() throws {
        let run = try TemporaryDirectory()
        let store = CheckpointStore(run.file("checkpoints"))
        try store.save(CheckpointInfo(step: 10), tensors: sampleTensors(seed: 1))
        let error = #expect(throws: CheckpointError.self) {
            try store.save(CheckpointInfo(step: 10), tensors: sampleTensors(seed: 2))
        }
        #expect(error?.kind == .alreadyCommitted)
        #expect(try store.load().tensors == tensorsByName(sampleTensors(seed: 1)))
        #expect(store.verify().isEmpty)
    }

    /// A step directory whose manifest was lost is not committed: the next save of that step
    /// moves it aside (`.rejected`, then `.rejected-2`) instead of refusing the step for ever.
    @Test func stepWithoutManifestIsMovedAsideBySave() throws {
        let run = try TemporaryDirectory()
        let store = CheckpointStore(run.file("checkpoints"))
        try store.save(CheckpointInfo(step: 10), tensors: sampleTensors(seed: 1))
        for (seed, aside) in [(2, "step-00000010.rejected"), (3, "step-00000010.rejected-2")] {
            try FileManager.default.removeItem(atPath: run.file("checkpoints", "step-00000010", "manifest.json"))
            try store.save(CheckpointInfo(step: 10), tensors: sampleTensors(seed: seed))
            #expect(FileManager.default.fileExists(atPath: run.file("checkpoints", aside, "manifest.sha256")))
            #expect(try store.load().tensors == tensorsByName(sampleTensors(seed: seed)))
        }
        #expect(store.verify().isEmpty)
    }

    @Test func nextSaveOfTheSameStepCleansItsLeftoverStaging() throws {
        let run = try TemporaryDirectory()
        let store = CheckpointStore(run.file("checkpoints"))
        try store.save(CheckpointInfo(step: 1), tensors: sampleTensors(seed: 1))
        let staging = run.file("checkpoints", "step-00000002.tmp")
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try writeBytes([1, 2, 3], staging + "/shard-00007-of-00009.safetensors.zst")
        try store.save(CheckpointInfo(step: 2), tensors: sampleTensors(seed: 2))
        #expect(!FileManager.default.fileExists(atPath: staging))
        let files = try FileManager.default.contentsOfDirectory(atPath: run.file("checkpoints", "step-00000002"))
        #expect(files.sorted() == ["manifest.json", "manifest.sha256", "shard-00000-of-00001.safetensors.zst"])
    }

    /// The N-rank protocol driven by hand: ranks write in any order, rank 0 commits.
    @Test func writerProtocolWithRanksOutOfOrder() throws {
        let run = try TemporaryDirectory()
        let writer = CheckpointWriter(checkpointsDirectory: run.file("checkpoints"), compressionLevel: 1)
        let tensors = sampleTensors()
        let parts = ShardPlan.split(tensors, into: 3)
        let staging = try writer.prepare(step: 42)
        var records = [ShardRecord?](repeating: nil, count: 3)
        for rank in [2, 0, 1] {
            records[rank] = try writer.writeShard(rank: rank, worldSize: 3, tensors: parts[rank], into: staging)
        }
        // Before the commit nothing is loadable.
        #expect(throws: CheckpointError.self) { try CheckpointReader.load(run.path) }
        // A missing shard record is caught at commit, and nothing is committed.
        #expect(throws: CheckpointError.self) {
            try writer.commit(info: CheckpointInfo(step: 42), tensors: Manifest.tensorEntries(for: parts),
                              shards: [records[0]!, records[1]!], keep: 3)
        }
        #expect(CheckpointReader.committedSteps(in: run.path).isEmpty)
        try writer.commit(info: CheckpointInfo(step: 42), tensors: Manifest.tensorEntries(for: parts),
                          shards: records.map { $0! }, keep: 3)
        #expect(try CheckpointReader.load(run.path).tensors == tensorsByName(tensors))
    }

    @Test(.enabled(if: zstdExecutable != nil, "the zstd tool is not on PATH"))
    func zstdToolOpensAShard() throws {
        let run = try TemporaryDirectory()
        let tensors = sampleTensors()
        let committed = try CheckpointStore(run.path).save(CheckpointInfo(step: 3), tensors: tensors)
        let output = run.file("decoded.safetensors")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zstdExecutable!)
        process.arguments = ["-d", "-q", "-f", committed + "/shard-00000-of-00001.safetensors.zst", "-o", output]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try readBytes(output) == Safetensors.encode(tensors, metadata: ["format": "pt"]))
    }
}
