import Foundation
import HMTestSupport
import Testing
import HMCheckpoint

/// `hm-dist inspect` and `hm-dist export` (docs/checkpoint-format.md, docs/command-line.md), run as the real executable on a
/// small run (bars, 25-10, 20 steps, two ranks so two shards per step, steps 10 and 20
/// committed), and the interoperability promise of docs/checkpoint-format.md: `zstd -d` plus Python's `safetensors`
/// read our shards and our exported file.
@Suite(.serialized)
struct CheckpointCommandTests {
    // MARK: inspect

    @Test func inspectShowsTheStepTensorsAndShards() throws {
        let tmp = try TestScratch()
        let run = try trainedRun(in: tmp)
        let manifest = try CheckpointReader.readManifest(run)

        let text = try runHMDist(["inspect", "--checkpoint", run], in: tmp)
        try #require(text.succeeded, "\(text)")
        #expect(text.stdout.contains("step-00000020") && text.stdout.contains("step          20"), "\(text.stdout)")
        #expect(text.stdout.contains("world size    2"), "\(text.stdout)")
        #expect(text.stdout.contains("rws"), "the algorithm: \(text.stdout)")
        for (name, entry) in manifest.tensors {
            let shape = "[" + entry.shape.map(String.init).joined(separator: ", ") + "]"
            let line = text.stdout.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == name }
            #expect(line.map { $0.contains(shape) && $0.contains(entry.shard) && $0.contains(entry.dtype.rawValue) } == true,
                    "\(name): \(line ?? "no line")")
        }
        for shard in manifest.shards {
            #expect(text.stdout.contains(shard.file) && text.stdout.contains(shard.sha256), "\(shard.file)")
        }

        let object = try jsonObject(runHMDist(["inspect", "--checkpoint", run, "--json"], in: tmp))
        #expect(object["step"] as? Int == 20 && object["epoch"] as? Int == manifest.epoch, "\(object)")
        #expect(object["samples_seen"] as? Int == manifest.samplesSeen && object["world_size"] as? Int == 2, "\(object)")
        #expect(object["verified"] == nil && object["problems"] == nil, "no verification without --verify")
        let tensors = try #require(object["tensors"] as? [[String: Any]])
        var listed: [String: Manifest.TensorEntry] = [:]
        for t in tensors {
            let name = try #require(t["name"] as? String), dtype = try #require(t["dtype"] as? String)
            listed[name] = try Manifest.TensorEntry(shard: #require(t["shard"] as? String), dtype: #require(DType(rawValue: dtype)),
                                                    shape: #require(t["shape"] as? [Int]))
        }
        #expect(listed == manifest.tensors)
        let shards = try #require(object["shards"] as? [[String: Any]])
        #expect(shards.count == 2)
        var compressed = 0, uncompressed = 0
        for (s, record) in zip(shards, manifest.shards) {
            let path = step(run, 20) + "/" + record.file
            let bytes = try DurableFile.read(path)
            let raw = try Zstd.decompress(bytes, source: path)
            #expect(s["file"] as? String == record.file && s["sha256"] as? String == record.sha256, "\(s)")
            #expect(s["bytes"] as? Int == bytes.count && s["uncompressed_bytes"] as? Int == raw.count, "\(s)")
            let ratio = try #require(s["ratio"] as? Double)
            #expect(abs(ratio - Double(raw.count) / Double(bytes.count)) < 1e-9)
            compressed += bytes.count
            uncompressed += raw.count
        }
        let ratio = try #require(object["compression_ratio"] as? Double)
        #expect(abs(ratio - Double(uncompressed) / Double(compressed)) < 1e-9, "\(ratio)")

        // The checkpoints/ directory and one step-N/ directory.
        let latest = try jsonObject(runHMDist(["inspect", "--checkpoint", run + "/checkpoints", "--json"], in: tmp))
        #expect(latest["step"] as? Int == 20)
        let older = try jsonObject(runHMDist(["inspect", "--checkpoint", step(run, 10), "--json"], in: tmp))
        #expect(older["step"] as? Int == 10 && older["checkpoint"] as? String == step(run, 10), "\(older)")
    }

    @Test func inspectVerifyPassesOnAGoodRun() throws {
        let tmp = try TestScratch()
        let run = try trainedRun(in: tmp)
        let text = try runHMDist(["inspect", "--checkpoint", run, "--verify"], in: tmp)
        try #require(text.succeeded, "\(text)")
        for name in ["step-00000010", "step-00000020"] {
            #expect(text.stdout.contains("\(name)  ok"), "\(text.stdout)")
        }
        for path in [run, run + "/checkpoints", step(run, 10)] {
            let object = try jsonObject(runHMDist(["inspect", "--checkpoint", path, "--verify", "--json"], in: tmp))
            #expect(object["verified"] as? Bool == true, "\(path): \(object)")
            #expect((object["problems"] as? [Any])?.isEmpty == true, "\(path): \(object)")
        }
    }

    // MARK: damage

    struct Damage: CustomStringConvertible, Sendable {
        var description: String
        /// The step directory damaged (the other committed step must stay good).
        var step: Int
        /// The file (relative to the run's checkpoints/) each report must name, and a part
        /// of the reason.
        var file: String
        var reason: String
        var apply: @Sendable (_ checkpoints: String) throws -> Void
    }

    static let damages: [Damage] = [
        Damage(description: "a flipped byte in a shard", step: 20, file: "step-00000020/" + shard0,
               reason: "SHA-256") { try flip(at: $0 + "/step-00000020/" + shard0) { $0.count / 2 } },
        // Every change to the manifest is caught by the digest beside it, before any field is read.
        Damage(description: "a flipped bit in a sha256 value of manifest.json", step: 20,
               file: "step-00000020/manifest.json", reason: "manifest.sha256 records") {
            try flip(at: $0 + "/step-00000020/manifest.json") { try offset(in: $0, after: "\"sha256\" : \"", nth: 1) }
        },
        Damage(description: "a flipped bit in a shard's byte count in manifest.json", step: 20,
               file: "step-00000020/manifest.json", reason: "manifest.sha256 records") {
            try flip(at: $0 + "/step-00000020/manifest.json") { try offset(in: $0, after: "\"bytes\" : ", nth: 0) + 1 }
        },
        Damage(description: "a flipped bit in the step number of manifest.json", step: 20,
               file: "step-00000020/manifest.json", reason: "manifest.sha256 records") {
            try flip(at: $0 + "/step-00000020/manifest.json") { try offset(in: $0, after: "\"step\" : ", nth: 0) }
        },
        Damage(description: "a flipped bit that breaks the JSON of manifest.json", step: 20,
               file: "step-00000020/manifest.json", reason: "manifest.sha256 records") {
            try flip(at: $0 + "/step-00000020/manifest.json") { try offset(in: $0, after: "{\n  ", nth: 0) }
        },
        Damage(description: "a truncated shard", step: 20, file: "step-00000020/" + shard1, reason: "the manifest records") {
            let path = $0 + "/step-00000020/" + shard1
            try Data(try DurableFile.read(path).prefix(1000)).write(to: URL(fileURLWithPath: path))
        },
        Damage(description: "a missing shard", step: 20, file: "step-00000020/" + shard0, reason: "missing shard") {
            try FileManager.default.removeItem(atPath: $0 + "/step-00000020/" + shard0)
        },
        Damage(description: "a leftover step-N.tmp without its manifest", step: 30, file: "step-00000030.tmp",
               reason: "interrupted save") {
            try FileManager.default.copyItem(atPath: $0 + "/step-00000020", toPath: $0 + "/step-00000030.tmp")
            try FileManager.default.removeItem(atPath: $0 + "/step-00000030.tmp/manifest.json")
        },
        Damage(description: "a leftover step-N.tmp with a manifest", step: 30, file: "step-00000030.tmp",
               reason: "interrupted save") {
            try FileManager.default.copyItem(atPath: $0 + "/step-00000020", toPath: $0 + "/step-00000030.tmp")
        },
    ]

    /// `inspect --verify` exits 1 and names the file and the reason, on stdout and in the
    /// JSON; `export` refuses the damaged step; the other committed steps still verify and load.
    @Test(arguments: damages)
    func inspectVerifyReportsDamage(_ damage: Damage) throws {
        let tmp = try TestScratch()
        let run = try trainedRun(in: tmp)
        try damage.apply(run + "/checkpoints")
        let bad = run + "/checkpoints/" + damage.file

        let text = try runHMDist(["inspect", "--checkpoint", run, "--verify"], in: tmp)
        expectFailure(text, mentions: [bad, damage.reason])
        let line = text.stdout.split(separator: "\n").first { $0.contains(bad) && $0.contains(damage.reason) }
        #expect(line != nil, "no problem line names \(bad) with '\(damage.reason)': \(text)")

        let json = try runHMDist(["inspect", "--checkpoint", run, "--verify", "--json"], in: tmp)
        #expect(json.exited && json.status == 1, "\(json)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
        #expect(object["verified"] as? Bool == false, "\(object)")
        let problems = try #require(object["problems"] as? [[String: Any]], "\(object)")
        #expect(problems.contains { $0["path"] as? String == bad && ($0["reason"] as? String)?.contains(damage.reason) == true },
                "\(problems)")

        if damage.step == 20 {
            // The damaged step alone, and export of the run (whose newest step it is).
            expectFailure(try runHMDist(["inspect", "--checkpoint", step(run, 20), "--verify"], in: tmp), mentions: [bad])
            let out = tmp.path("model.safetensors")
            expectFailure(try runHMDist(["export", "--checkpoint", run, "--out", out], in: tmp), mentions: [bad])
            #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".tmp"))
        }
        // No other checkpoint was touched.
        let others = damage.step == 20 ? [10] : [10, 20]
        for other in others {
            let r = try runHMDist(["inspect", "--checkpoint", step(run, other), "--verify"], in: tmp)
            #expect(r.succeeded, "step \(other) after \(damage): \(r)")
            #expect(throws: Never.self) { try CheckpointReader.load(step(run, other)) }
        }
    }

    // MARK: export

    @Test func exportWritesOnePlainSafetensorsFile() throws {
        let tmp = try TestScratch()
        let run = try trainedRun(in: tmp)
        let checkpoint = try CheckpointReader.load(run)
        let out = tmp.path("model.safetensors")
        let r = try runHMDist(["export", "--checkpoint", run, "--out", out], in: tmp)
        try #require(r.succeeded, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: out + ".tmp"))

        var (header, data) = try parseSafetensors(out)
        let metadata = try #require(header.removeValue(forKey: "__metadata__") as? [String: String], "\(header)")
        let parameters = checkpoint.tensors.keys.filter { !$0.hasPrefix("optimizer.") }
        #expect(Set(header.keys) == Set(parameters), "\(header.keys.sorted())")
        try expectTensors(header, data, equal: checkpoint)
        let architecture = try #require(try JSONSerialization.jsonObject(with: Data((metadata["architecture"] ?? "").utf8)) as? [String: Any])
        #expect(architecture["layers"] as? [Int] == [25, 10], "\(architecture)")
        let config = try #require(try JSONSerialization.jsonObject(with: Data((metadata["config"] ?? "").utf8)) as? [String: Any])
        #expect(config["algorithm"] as? String == "rws" && config["steps"] as? Int == 20, "\(config)")

        // An existing file is kept unless --force; --all adds the optimizer state.
        let before = try DurableFile.read(out)
        expectFailure(try runHMDist(["export", "--checkpoint", run, "--out", out, "--all"], in: tmp), mentions: [out, "--force"])
        #expect(try DurableFile.read(out) == before)
        try #require(try runHMDist(["export", "--checkpoint", run, "--out", out, "--all", "--force"], in: tmp).succeeded)
        (header, data) = try parseSafetensors(out)
        header["__metadata__"] = nil
        #expect(Set(header.keys) == Set(checkpoint.tensors.keys), "\(header.keys.sorted())")
        #expect(header.keys.contains("optimizer.step") && header.keys.contains("optimizer.generative.0.weight.m"))
        try expectTensors(header, data, equal: checkpoint)
    }

    // MARK: interoperability (docs/checkpoint-format.md)

    /// `zstd -d` opens every shard, Python's `safetensors` reads the result and the exported
    /// file, and every value equals ours.
    @Test func zstdAndPythonSafetensorsReadOurFiles() throws {
        let tmp = try TestScratch()
        let zstd = try runTool("zstd", ["--version"], in: tmp)
        try #require(zstd.succeeded, "the zstd command-line tool is needed (apt-get install zstd): \(zstd)")
        let probe = try runTool("python3", ["-c", "import safetensors.numpy, numpy"], in: tmp)
        try #require(probe.succeeded, """
            Python's safetensors package cannot be imported: run `pip install safetensors` \
            (the project's test script installs it). \(probe)
            """)

        let run = try trainedRun(in: tmp)
        let checkpoint = try CheckpointReader.load(run)
        var files: [String] = []
        for shard in checkpoint.manifest.shards {
            let source = step(run, 20) + "/" + shard.file, target = tmp.path(shard.file + ".safetensors")
            let r = try runTool("zstd", ["-q", "-d", "-o", target, source], in: tmp)
            try #require(r.succeeded, "\(r)")
            #expect(try DurableFile.read(target) == Zstd.decompress(DurableFile.read(source)), "zstd -d and ours differ on \(shard.file)")
            files.append(target)
        }
        var python = try pythonRead(files, in: tmp)
        #expect(Set(python.tensors.keys) == Set(checkpoint.tensors.keys), "\(python.tensors.keys.sorted())")
        try expectValues(python.tensors, equal: checkpoint)

        let out = tmp.path("model.safetensors")
        try #require(try runHMDist(["export", "--checkpoint", run, "--out", out, "--all"], in: tmp).succeeded)
        python = try pythonRead([out], in: tmp)
        #expect(Set(python.tensors.keys) == Set(checkpoint.tensors.keys))
        try expectValues(python.tensors, equal: checkpoint)
        let metadata = try #require(python.metadata[out] as? [String: Any], "\(python.metadata)")
        #expect((metadata["architecture"] as? String)?.contains("\"layers\":[25,10]") == true, "\(metadata)")
        #expect(metadata["step"] as? String == "20", "\(metadata)")
    }
}

// MARK: - Helpers

private let shard0 = "shard-00000-of-00002.safetensors.zst"
private let shard1 = "shard-00001-of-00002.safetensors.zst"

/// Bars, 25-10, 20 steps on two ranks: committed steps 10 and 20 of two shards each.
private func trainedRun(in tmp: TestScratch) throws -> String {
    let run = tmp.path("D")
    let r = try runHMDist(["train", "--data", "bars", "--layers", "25,10", "--steps", "20", "--checkpoint-every", "10",
                     "--ranks", "2", "--run-dir", run], in: tmp)
    try #require(r.succeeded, "\(r)")
    try #require(CheckpointReader.committedSteps(in: run).map(\.step) == [20, 10])
    return run
}

private func step(_ run: String, _ n: Int) -> String {
    run + "/checkpoints/" + CheckpointLayout.stepDirectoryName(n)
}

/// Flips the lowest bit of the byte at `position(bytes)`: a digit stays a digit (so a number
/// in JSON still parses), a quote becomes `#` (so the JSON breaks).
private func flip(at path: String, _ position: ([UInt8]) throws -> Int) throws {
    var bytes = try DurableFile.read(path)
    let i = try position(bytes)
    bytes[i] ^= 0x01
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The offset just past the `nth` (0-based) occurrence of `marker`.
private func offset(in bytes: [UInt8], after marker: String, nth: Int) throws -> Int {
    let text = String(decoding: bytes, as: UTF8.self)
    var from = text.startIndex
    for k in 0...nth {
        let range = try #require(text.range(of: marker, range: from..<text.endIndex), "occurrence \(k) of \(marker)")
        from = range.upperBound
    }
    return text.utf8.distance(from: text.startIndex, to: from)
}

/// The JSON header (tensors and `__metadata__`) and the data section of a safetensors file,
/// parsed by hand: 8-byte little-endian header length, then the header.
private func parseSafetensors(_ path: String) throws -> (header: [String: Any], data: ArraySlice<UInt8>) {
    let bytes = try DurableFile.read(path)
    try #require(bytes.count >= 8)
    let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    try #require(length % 8 == 0 && 8 + length <= bytes.count, "header length \(length) of \(bytes.count) bytes")
    let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
    return (header, bytes[(8 + length)...])
}

/// Every tensor of the header: dtype, shape and bytes as in the checkpoint, data contiguous.
private func expectTensors(_ header: [String: Any], _ data: ArraySlice<UInt8>, equal checkpoint: Checkpoint) throws {
    var covered = 0
    for (name, value) in header {
        let entry = try #require(value as? [String: Any], "\(name)")
        let tensor = try #require(checkpoint[name], "\(name)")
        let offsets = try #require(entry["data_offsets"] as? [Int], "\(name)")
        #expect(entry["dtype"] as? String == tensor.dtype.rawValue && entry["shape"] as? [Int] == tensor.shape, "\(name): \(entry)")
        try #require(offsets.count == 2 && 0 <= offsets[0] && offsets[0] <= offsets[1] && offsets[1] <= data.count, "\(name): \(offsets)")
        #expect(Array(data.dropFirst(offsets[0]).prefix(offsets[1] - offsets[0])) == tensor.bytes, "\(name): bytes differ")
        covered += offsets[1] - offsets[0]
    }
    #expect(covered == data.count, "the data section holds \(data.count) bytes, the tensors \(covered)")
}

/// What Python's safetensors reads from `files`: per tensor dtype, shape and values (floats
/// as exact hexadecimal literals, `float.hex()`: decimal JSON would not round-trip through
/// Foundation's parser bit for bit), and each file's metadata.
private func pythonRead(_ files: [String], in tmp: TestScratch) throws -> (tensors: [String: [String: Any]], metadata: [String: Any]) {
    let script = """
        import json, sys
        from safetensors import safe_open
        from safetensors.numpy import load_file
        tensors, metadata = {}, {}
        for path in sys.argv[1:]:
            for name, a in load_file(path).items():
                values = a.reshape(-1).tolist()
                if a.dtype.kind == "f":
                    values = [v.hex() for v in values]
                tensors[name] = {"dtype": str(a.dtype), "shape": list(a.shape), "values": values}
            with safe_open(path, framework="np") as f:
                metadata[path] = f.metadata()
        print(json.dumps({"tensors": tensors, "metadata": metadata}))
        """
    let r = try runTool("python3", ["-c", script] + files, in: tmp)
    try #require(r.succeeded, "\(r)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
    return (try #require(object["tensors"] as? [String: [String: Any]]), object["metadata"] as? [String: Any] ?? [:])
}

private func expectValues(_ python: [String: [String: Any]], equal checkpoint: Checkpoint) throws {
    for (name, read) in python {
        let tensor = try #require(checkpoint[name], "\(name)")
        #expect(read["shape"] as? [Int] == tensor.shape, "\(name): \(read["shape"] ?? "")")
        switch tensor.dtype {
        case .f32:
            let ours = try tensor.values(as: Float.self).map(Double.init)
            let values = try #require(read["values"] as? [String], "\(name)")
            #expect(read["dtype"] as? String == "float32", "\(name)")
            #expect(values.map { Double($0) } == ours, "\(name): values differ")
        case .i64:
            let ours = try tensor.values(as: Int64.self)
            let values = try #require(read["values"] as? [NSNumber], "\(name)")
            #expect(read["dtype"] as? String == "int64", "\(name)")
            #expect(values.map(\.int64Value) == ours, "\(name): values differ")
        default:
            Issue.record("\(name): unexpected dtype \(tensor.dtype)")
        }
    }
}

private func jsonObject(_ r: RunResult) throws -> [String: Any] {
    try #require(r.succeeded, "\(r)")
    return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "not one JSON object: \(r.stdout)")
}

/// Exit status 1 (no crash), and stdout or stderr mentions each of `mentions`.
private func expectFailure(_ r: RunResult, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.exited && r.status == 1, "\(r)", sourceLocation: sourceLocation)
    for word in mentions {
        #expect((r.stdout + r.stderr).contains(word), "'\(word)' is not mentioned: \(r)", sourceLocation: sourceLocation)
    }
}
