import Foundation
import HMTestSupport
import Testing
import HMCheckpoint
import HMDistCLI
import HMTraining

/// The command line of docs/command-line.md as scripts use it: the real `hm-dist` executable run as a
/// subprocess in a temporary directory. Every run is small (bars, 25-10, tens to hundreds of
/// steps); the whole suite takes about 10 s in a debug build.
@Suite(.serialized)
struct CommandLineTests {
    // MARK: train, eval, sample

    @Test func trainWritesTheRunDirectory() throws {
        let tmp = try TestScratch()
        let run = tmp.path("D")
        let r = try runHMDist(["train", "--data", "bars", "--layers", "25,10", "--steps", "200",
                            "--run-dir", run, "--eval-every", "100"], in: tmp)
        try #require(r.succeeded, "\(r)")

        // config.yaml: the resolved settings under the flag names.
        let config = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        for line in ["data: bars", "steps: 200", "run-dir: \(run)", "eval-every: 100", "algorithm: rws"] {
            #expect(config.contains(line), "config.yaml lacks '\(line)':\n\(config)")
        }
        #expect(config.contains("layers:"))

        // metrics.jsonl: one JSON object per line.
        let records = try metrics(run)
        #expect(!records.isEmpty)
        for record in records {
            for key in ["step", "epoch", "time"] {
                #expect(record[key] is NSNumber, "\(key) missing in \(record)")
            }
        }
        let steps = records.filter { $0["points_per_second"] != nil }
        let logged = steps.compactMap { ($0["step"] as? NSNumber)?.intValue }
        #expect(logged.contains(200), "\(records)")
        for record in steps {
            for key in ["points_per_second", "wake_bound"] {
                let v = (record[key] as? NSNumber)?.doubleValue
                #expect(v?.isFinite == true, "\(key) in \(record)")
            }
            #expect(((record["points_per_second"] as? NSNumber)?.doubleValue ?? 0) > 0)
        }
        let valid = records.compactMap { ($0["valid_log_likelihood"] as? NSNumber)?.doubleValue }
        #expect(!valid.isEmpty, "no valid_log_likelihood in \(records)")
        // 25 pixels: below 0 and above the uniform model's −25 log 2 = −17.3 once trained.
        #expect(valid.allSatisfy { $0 < 0 && $0 > -25 * log(2.0) }, "\(valid)")
        let at100 = records.first { ($0["step"] as? NSNumber)?.intValue == 100 && $0["valid_log_likelihood"] != nil }
        #expect(at100 != nil, "--eval-every 100 gave no estimate at step 100: \(records)")

        // checkpoints/LATEST names a committed step with a manifest.
        let latest = try String(contentsOfFile: run + "/checkpoints/LATEST", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(latest == "step-00000200")
        let stepDir = run + "/checkpoints/" + latest
        #expect(FileManager.default.fileExists(atPath: stepDir + "/manifest.json"))

        let manifest = try CheckpointReader.readManifest(run)
        #expect(manifest.step == 200)
        let expected: [String: [Int]] = [
            "generative.prior.logits": [10],
            "generative.0.weight": [25, 10], "generative.0.bias": [25],
            "recognition.0.weight": [10, 25], "recognition.0.bias": [10],
        ]
        for (name, shape) in expected {
            let entry = manifest.tensors[name]
            #expect(entry?.shape == shape, "\(name): \(String(describing: entry))")
            #expect(entry?.dtype == .f32, "\(name): \(String(describing: entry))")
            // Adam's state beside every parameter, same shape (docs/checkpoint-format.md: optimizer.<tensor>.<slot>).
            let slots = manifest.tensors.filter { $0.key.hasPrefix("optimizer.\(name).") }
            #expect(slots.count >= 1 && slots.values.allSatisfy { $0.shape == shape }, "optimizer state of \(name): \(slots)")
        }
        #expect(manifest.tensors.keys.filter { !$0.hasPrefix("optimizer.") }.sorted() == expected.keys.sorted(),
                "\(manifest.tensors.keys.sorted())")
        // Every byte verifies.
        let loaded = try CheckpointReader.load(run)
        #expect(loaded.manifest.step == 200)
    }

    /// `--eval-split test`: the estimates during and after training are on the test split
    /// (`test_log_likelihood`, no `valid_log_likelihood`), and the last one is exactly what
    /// `eval --split test` gives with the same K and the trainer's estimator seed (seed ^ 0x5EED).
    @Test func evalSplitTestRecordsTestCurves() throws {
        let tmp = try TestScratch()
        let run = tmp.path("T")
        let r = try runHMDist(["train", "--data", "bars", "--layers", "25,10", "--steps", "100", "--run-dir", run,
                               "--eval-every", "50", "--eval-samples", "20", "--eval-split", "test"], in: tmp)
        try #require(r.succeeded, "\(r)")
        #expect(r.stdout.contains("held-out (test) log-likelihood"), "\(r)")
        let records = try metrics(run)
        #expect(!records.contains { $0["valid_log_likelihood"] != nil }, "\(records)")
        let test = records.compactMap { r in (r["test_log_likelihood"] as? NSNumber).map { ((r["step"] as! NSNumber).intValue, $0.doubleValue) } }
        #expect(test.map(\.0) == [50, 100], "\(records)")
        #expect(try String(contentsOfFile: run + "/config.yaml", encoding: .utf8).contains("eval-split: test"))
        let e = try json(runHMDist(["eval", "--checkpoint", run, "--split", "test", "--samples", "20",
                                    "--seed", "\(1 ^ 0x5EED)", "--json"], in: tmp))
        let ll = try #require((e["log_likelihood"] as? NSNumber)?.doubleValue)
        #expect(abs(ll - test.last!.1) <= 1e-9 * abs(ll), "eval --split test \(ll), the run's last test estimate \(test.last!.1)")
    }

    /// `--subset N` scores a keyed random choice of N points: all of them when N covers the
    /// split, other points than `--limit`'s first N, other ones for another seed; misuse is named.
    @Test func evalSubsetIsAFixedRandomChoice() throws {
        let tmp = try TestScratch()
        let run = tmp.path("S")
        try #require(try runHMDist(["train", "--data", "bars", "--layers", "25,10", "--steps", "50", "--run-dir", run], in: tmp).succeeded)
        func ll(_ extra: [String]) throws -> Double {
            let e = try json(runHMDist(["eval", "--checkpoint", run, "--exact", "--json"] + extra, in: tmp))
            return try #require((e["log_likelihood"] as? NSNumber)?.doubleValue)
        }
        let all = try ll([])
        #expect(try ll(["--subset", "100000"]) == all)
        let a = try ll(["--subset", "7"]), b = try ll(["--subset", "7", "--subset-seed", "2"]), first = try ll(["--limit", "7"])
        #expect(a == (try ll(["--subset", "7"])))
        #expect(a != b && a != first && a != all, "\(a) \(b) \(first) \(all)")
        let e = try json(runHMDist(["eval", "--checkpoint", run, "--exact", "--subset", "7", "--json"], in: tmp))
        #expect(e["subset"] as? Int == 7 && e["count"] as? Int == 7 && e["subset_seed"] as? Int == 1)
        for bad in [["--subset", "0"], ["--subset", "5", "--limit", "5"]] {
            let r = try runHMDist(["eval", "--checkpoint", run, "--exact"] + bad, in: tmp)
            #expect(!r.succeeded && r.stderr.contains("subset"), "\(r)")
        }
    }

    @Test func evalExactAndImportanceSampledAgree() throws {
        let tmp = try TestScratch()
        let run = tmp.path("D")
        try #require(try runHMDist(["train", "--data", "bars", "--layers", "25,10", "--steps", "200", "--run-dir", run], in: tmp).succeeded)

        let exact = try json(runHMDist(["eval", "--checkpoint", run, "--exact", "--json"], in: tmp))
        let sampled = try json(runHMDist(["eval", "--checkpoint", run, "--samples", "2000", "--json"], in: tmp))
        #expect(exact["method"] as? String == "exact")
        #expect(sampled["method"] as? String == "importance")
        #expect((sampled["samples"] as? NSNumber)?.intValue == 2000)
        #expect(exact["samples"] is NSNumber, "\(exact)")
        // The bars test split (the data the model was trained on, by default): 1,000 points.
        #expect((exact["count"] as? NSNumber)?.intValue == 1000, "\(exact)")
        #expect((sampled["count"] as? NSNumber)?.intValue == 1000, "\(sampled)")
        let e = try #require((exact["log_likelihood"] as? NSNumber)?.doubleValue)
        let s = try #require((sampled["log_likelihood"] as? NSNumber)?.doubleValue)
        #expect(e.isFinite && e < 0 && e > -25 * log(2.0), "exact \(e)")
        // 10 latent units, K = 2000: the estimate is all but exact (measured: 0.0006 nats below).
        // It is a stochastic lower bound (Jensen), so it must not be above the exact value by
        // more than noise.
        #expect(abs(s - e) < 0.1, "importance \(s) vs exact \(e)")
        #expect(s < e + 0.01, "importance \(s) above exact \(e)")

        // --checkpoint takes the run directory, its checkpoints/ directory or one step-N/.
        for path in [run + "/checkpoints", run + "/checkpoints/step-00000200"] {
            let other = try json(runHMDist(["eval", "--checkpoint", path, "--exact", "--json"], in: tmp))
            #expect((other["log_likelihood"] as? NSNumber)?.doubleValue == e, "--checkpoint \(path): \(other)")
        }
    }

    @Test func sampleWritesAPNG() throws {
        let tmp = try TestScratch()
        let run = tmp.path("D")
        try #require(try runHMDist(["train", "--data", "bars", "--layers", "25,10", "--steps", "20", "--run-dir", run], in: tmp).succeeded)
        let png = tmp.path("F.png")
        let r = try runHMDist(["sample", "--checkpoint", run, "--count", "16", "--out", png], in: tmp)
        try #require(r.succeeded, "\(r)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(bytes.count > 8 + 25 && Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
                "\(bytes.prefix(16))")
        #expect(Array(bytes[12..<16]) == Array("IHDR".utf8), "the first chunk must be IHDR")
    }

    // MARK: --config

    @Test func configFileKeysAreTheFlagNamesAndFlagsWin() throws {
        let tmp = try TestScratch()
        let run = tmp.path("C")
        let yaml = tmp.path("run.yaml")
        try """
            data: bars
            layers: [25, 10]
            algorithm: ws
            steps: 30
            checkpoint-every: 10
            keep: 5
            run-dir: \(run)
            log-every: 10
            lr: 0.002
            """.write(toFile: yaml, atomically: true, encoding: .utf8)
        let r = try runHMDist(["train", "--config", yaml, "--steps", "20"], in: tmp)
        try #require(r.succeeded, "\(r)")
        let manifest = try CheckpointReader.readManifest(run)
        #expect(manifest.step == 20, "--steps 20 must win over the file's steps: 30")
        // The file's hyphenated keys are read, not only accepted.
        let steps = CheckpointReader.committedSteps(in: run).map(\.step).sorted()
        #expect(steps == [10, 20], "checkpoint-every: 10 from the file: \(steps)")
        #expect(manifest.config["algorithm"]?.stringValue == "ws")
        let config = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        #expect(config.contains("steps: 20") && config.contains("algorithm: ws") && config.contains("log-every: 10"), "\(config)")

        // A run's own config.yaml is a valid --config.
        let again = try runHMDist(["train", "--config", run + "/config.yaml", "--run-dir", tmp.path("C2"), "--steps", "5"], in: tmp)
        #expect(again.succeeded, "the run's config.yaml as --config: \(again)")
    }

    /// Every example config shipped in `cluster-configs/` is valid: it loads (no unknown key,
    /// values of the right types) and its settings pass validation.
    @Test func shippedConfigsAreValid() throws {
        let dir = try packageRoot().appendingPathComponent("cluster-configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 4, "\(files)")
        for file in files {
            let path = dir.appendingPathComponent(file).path
            #expect(throws: Never.self, "\(file)") { _ = try TrainingOptions.resolve(ConfigFile.load(path: path)) }
        }
    }

    @Test func unknownConfigKeyIsRefused() throws {
        let tmp = try TestScratch()
        let yaml = tmp.path("typo.yaml")
        try "data: bars\nlayers: [25, 10]\nlerning-rate: 1\nsteps: 5\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        let r = try runHMDist(["train", "--config", yaml, "--run-dir", tmp.path("T")], in: tmp)
        expectCleanFailure(r, mentions: [yaml, "lerning-rate"])
        #expect(!FileManager.default.fileExists(atPath: tmp.path("T/checkpoints")), "trained despite the bad key")
    }

    // MARK: bad input

    struct BadInput: CustomStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        /// Each must appear in stderr (`$TMP` is the scratch directory).
        var mentions: [String]
        var description: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "first width is not the data's", arguments: ["train", "--data", "bars", "--layers", "30,10", "--steps", "2"],
                 mentions: ["bars", "25", "30"]),
        BadInput(name: "truncated IDX file", arguments: ["train", "--data", "$TMP/cut-train-images-idx3-ubyte", "--layers", "25,4", "--steps", "2"],
                 mentions: ["$TMP/cut-train-images-idx3-ubyte"]),
        BadInput(name: "truncated IDX file in a directory", arguments: ["train", "--data", "$TMP/idx", "--layers", "25,4", "--steps", "2"],
                 mentions: ["$TMP/idx/train-images-idx3-ubyte"]),
        BadInput(name: "unknown algorithm", arguments: ["train", "--data", "bars", "--layers", "25,10", "--algorithm", "foo", "--steps", "2"],
                 mentions: ["algorithm", "foo"]),
        BadInput(name: "missing data", arguments: ["train", "--data", "$TMP/nowhere", "--steps", "2"],
                 mentions: ["$TMP/nowhere"]),
        BadInput(name: "non-numeric layers", arguments: ["train", "--data", "bars", "--layers", "25,x", "--steps", "2"],
                 mentions: ["layers", "25,x"]),
        BadInput(name: "zero steps", arguments: ["train", "--data", "bars", "--layers", "25,10", "--steps", "0"],
                 mentions: ["steps"]),
        BadInput(name: "config value of the wrong type", arguments: ["train", "--config", "$TMP/wrong-type.yaml"],
                 mentions: ["$TMP/wrong-type.yaml", "steps"]),
        BadInput(name: "missing config file", arguments: ["train", "--config", "$TMP/absent.yaml"],
                 mentions: ["$TMP/absent.yaml"]),
        BadInput(name: "unknown eval split", arguments: ["train", "--data", "bars", "--layers", "25,10", "--eval-split", "train", "--steps", "2"],
                 mentions: ["eval-split", "valid or test", "train"]),
        BadInput(name: "eval split the data lacks", arguments: ["train", "--data", "$TMP/whole-images-idx3-ubyte", "--layers", "25,4", "--eval-split", "test", "--steps", "2"],
                 mentions: ["$TMP/whole-images-idx3-ubyte", "eval-split", "no test split"]),
        BadInput(name: "nonexistent checkpoint", arguments: ["eval", "--checkpoint", "/nonexistent"],
                 mentions: ["/nonexistent"]),
        BadInput(name: "sample from a nonexistent checkpoint", arguments: ["sample", "--checkpoint", "/nonexistent", "--count", "4", "--out", "$TMP/x.png"],
                 mentions: ["/nonexistent"]),
        BadInput(name: "a directory that is no checkpoint", arguments: ["eval", "--checkpoint", "$TMP"],
                 mentions: ["$TMP"]),
    ]

    @Test(arguments: badInputs)
    func badInputGetsAClearErrorNotACrash(_ input: BadInput) throws {
        let tmp = try TestScratch()
        // A valid IDX header (ubyte, 100 × 5 × 5) with 10 of its 100 images.
        let truncated = [0, 0, 0x08, 3, 0, 0, 0, 100, 0, 0, 0, 5, 0, 0, 0, 5] + [UInt8](repeating: 1, count: 250)
        try Data(truncated).write(to: URL(fileURLWithPath: tmp.path("cut-train-images-idx3-ubyte")))
        try FileManager.default.createDirectory(atPath: tmp.path("idx"), withIntermediateDirectories: true)
        try Data(truncated).write(to: URL(fileURLWithPath: tmp.path("idx/train-images-idx3-ubyte")))
        // A whole one: 100 black-and-white 5 × 5 images, a single file (train and valid only).
        let whole = [0, 0, 0x08, 3, 0, 0, 0, 100, 0, 0, 0, 5, 0, 0, 0, 5] + (0..<2500).map { UInt8($0 % 3 == 0 ? 255 : 0) }
        try Data(whole).write(to: URL(fileURLWithPath: tmp.path("whole-images-idx3-ubyte")))
        try "data: bars\nsteps: abc\n".write(toFile: tmp.path("wrong-type.yaml"), atomically: true, encoding: .utf8)

        let r = try runHMDist(input.arguments.map { $0.replacingOccurrences(of: "$TMP", with: tmp.root) }, in: tmp)
        expectCleanFailure(r, mentions: input.mentions.map { $0.replacingOccurrences(of: "$TMP", with: tmp.root) })
    }

    @Test func exactEvaluationRefusesLargeModels() throws {
        let tmp = try TestScratch()
        let run = tmp.path("Big")
        // 21 latent units: one more than --exact enumerates.
        try #require(try runHMDist(["train", "--data", "bars", "--layers", "25,21", "--steps", "1", "--batch", "10", "--run-dir", run], in: tmp).succeeded)
        let r = try runHMDist(["eval", "--checkpoint", run, "--exact", "--json"], in: tmp)
        expectCleanFailure(r, mentions: ["exact", "21", "20"])
        #expect(r.stdout.isEmpty, "no JSON on a refusal: \(r.stdout)")
    }

    // MARK: resume (docs/training.md: resume is exact)

    /// train to 40 in one go vs. to 20, then `--resume auto` to 40: bit-identical parameters
    /// and optimizer state.
    @Test func resumedRunIsBitIdenticalToAnUninterruptedOne() throws {
        try checkResume(flags: ["--layers", "25,10"], split: 20, total: 40)
    }

    /// The same with ws and 25 steps per epoch (batch 400), resuming past two epoch
    /// boundaries, so that the data order of a later epoch is involved.
    @Test func resumedWakeSleepAcrossEpochsIsBitIdentical() throws {
        try checkResume(flags: ["--layers", "25,10", "--algorithm", "ws", "--batch", "400"], split: 55, total: 70)
    }

    private func checkResume(flags: [String], split: Int, total: Int) throws {
        let tmp = try TestScratch()
        let straight = tmp.path("D"), resumed = tmp.path("D2")
        let base = ["train", "--data", "bars", "--log-every", "5"] + flags
        try #require(try runHMDist(base + ["--steps", "\(total)", "--checkpoint-every", "\(split)", "--run-dir", straight], in: tmp).succeeded)
        try #require(try runHMDist(base + ["--steps", "\(split)", "--run-dir", resumed], in: tmp).succeeded)
        let firstPart = try Data(contentsOf: URL(fileURLWithPath: resumed + "/metrics.jsonl"))
        let second = try runHMDist(base + ["--steps", "\(total)", "--run-dir", resumed, "--resume", "auto"], in: tmp)
        try #require(second.succeeded, "\(second)")

        // It did resume: metrics.jsonl kept the first part's lines byte for byte (a fresh
        // run starts the file anew, and its timings would differ) and added only later steps.
        let all = try Data(contentsOf: URL(fileURLWithPath: resumed + "/metrics.jsonl"))
        if all.count > firstPart.count && all.prefix(firstPart.count) == firstPart {
            let added = String(decoding: all.dropFirst(firstPart.count), as: UTF8.self).split(separator: "\n")
            let addedSteps = try added.map { try #require((JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? NSNumber).intValue }
            #expect(addedSteps.allSatisfy { $0 > split }, "the resumed run logged steps \(addedSteps)")
        } else {
            Issue.record("metrics.jsonl was not continued: did the run resume? \(second)")
        }

        let a = try CheckpointReader.load(straight), b = try CheckpointReader.load(resumed)
        try expectIdentical(a, b, step: total)
    }

    /// `--resume auto` skips a corrupt newest checkpoint, resumes from the previous good one
    /// (docs/checkpoint-format.md), and the run still ends with a good final checkpoint, identical to an
    /// uninterrupted run's.
    @Test func resumeFallsBackPastACorruptCheckpointAndSavesTheFinalModel() throws {
        let tmp = try TestScratch()
        let straight = tmp.path("D"), damaged = tmp.path("D2")
        let base = ["train", "--data", "bars", "--layers", "25,10", "--steps", "40", "--checkpoint-every", "20"]
        try #require(try runHMDist(base + ["--run-dir", straight], in: tmp).succeeded)
        try #require(try runHMDist(base + ["--run-dir", damaged], in: tmp).succeeded)
        // Flip one byte in the middle of the newest shard.
        let shardDir = damaged + "/checkpoints/step-00000040"
        let shard = try #require(FileManager.default.contentsOfDirectory(atPath: shardDir).first { $0.hasPrefix("shard-") })
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: shardDir + "/" + shard)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: shardDir + "/" + shard))

        let r = try runHMDist(base + ["--run-dir", damaged, "--resume", "auto"], in: tmp)
        try #require(r.succeeded, "\(r)")
        #expect(r.stdout.contains("step-00000040") || r.stderr.contains("step-00000040"),
                "the skipped checkpoint is reported by path: \(r)")
        let b: Checkpoint
        do { b = try CheckpointReader.load(damaged) } catch {
            Issue.record("after `--resume auto` fell back to step 20 and trained to step 40, the run directory's newest checkpoint does not load: \(error)")
            return
        }
        try expectIdentical(CheckpointReader.load(straight), b, step: 40)
    }

    private func expectIdentical(_ a: Checkpoint, _ b: Checkpoint, step: Int) throws {
        #expect(a.manifest.step == step && b.manifest.step == step, "\(a.directory) \(b.directory)")
        #expect(a.manifest.samplesSeen == b.manifest.samplesSeen && a.manifest.epoch == b.manifest.epoch)
        #expect(Set(a.tensors.keys) == Set(b.tensors.keys))
        #expect(a.tensors.keys.contains("generative.0.weight") && a.tensors.keys.contains { $0.hasPrefix("optimizer.") })
        for name in a.tensors.keys.sorted() {
            let x = try #require(a[name]), y = try #require(b[name])
            #expect(x.shape == y.shape && x.dtype == y.dtype, "\(name)")
            if x.bytes != y.bytes {
                let xv = (try? x.values(as: Float.self)) ?? [], yv = (try? y.values(as: Float.self)) ?? []
                let worst = zip(xv, yv).map { abs($0 - $1) }.max() ?? .nan
                Issue.record("\(name) differs between the straight and the resumed run (max |Δ| \(worst))")
            }
        }
    }

    // MARK: bench (docs/training.md)

    @Test(arguments: [("rws", 663.6), ("ws", 238.56)])
    func benchCountsTheFixedWorkOfB1(_ algorithm: String, _ mflop: Double) throws {
        let tmp = try TestScratch()
        var args = ["bench", "--workload", "b1", "--steps", "2", "--rounds", "1", "--json"]
        if algorithm != "rws" { args += ["--algorithm", algorithm] }
        let result = try json(runHMDist(args, in: tmp))
        #expect(result["workload"] as? String == "b1")
        let got = try #require((result["mflop_per_step"] as? NSNumber)?.doubleValue, "\(result)")
        #expect(abs(got - mflop) <= 0.05, "\(algorithm): \(got) MFLOP per step, docs/training.md fixes \(mflop)")
        for key in ["points_per_second", "gemm_bound_points_per_second"] {
            let v = (result[key] as? NSNumber)?.doubleValue ?? .nan
            #expect(v > 0 && v.isFinite, "\(key) = \(v)")
        }
    }
}

// MARK: - Running the executable

// The runner is Support/RunHMDist.swift.

/// The one JSON object a `--json` command prints on stdout.
fileprivate func json(_ r: RunResult) throws -> [String: Any] {
    try #require(r.succeeded, "\(r)")
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    return try #require(object as? [String: Any], "stdout is not one JSON object: \(r.stdout)")
}

/// The lines of a run's metrics.jsonl, each a JSON object.
fileprivate func metrics(_ run: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }
}

/// A refusal: a non-zero exit (not a signal, not a Swift runtime trap), with an error message
/// on stderr that mentions each of `mentions`.
func expectCleanFailure(_ r: RunResult, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.exited, "crashed: \(r)", sourceLocation: sourceLocation)
    #expect(r.status != 0, "accepted: \(r)", sourceLocation: sourceLocation)
    for crash in ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction"] {
        #expect(!r.stderr.contains(crash), "crashed: \(r)", sourceLocation: sourceLocation)
    }
    for word in mentions {
        #expect(r.stderr.contains(word), "the error does not mention '\(word)': \(r)", sourceLocation: sourceLocation)
    }
}
