import Foundation
import Testing
import HMCheckpoint

/// `--fisher-decay ρ` of nws/nrws end to end through the real `hm-dist` executable: a running
/// average of the direct layers' Fisher blocks, with the previous (global) sums added after the
/// reduction across ranks, so that the run agrees across world sizes (bit for bit with
/// `--reproducible`) and resumes exactly from the running sums in the checkpoint. Tiny runs
/// (bars, 25-10-5, ≤ 40 steps). Built like NaturalCommandLineTests.
@Suite(.serialized)
struct FisherDecayCommandLineTests {
    static let model = ["--data", "bars", "--layers", "25,10,5"]
    /// generative.0 (10 dreams < d = 11) and recognition.0 (12 data points < d = 26) take the
    /// Woodbury solver; generative.1 and recognition.1 (and the exact prior) stay direct.
    static let small = ["--batch", "12", "--dreams", "10"]
    static let decay = ["--algorithm", "nrws", "--fisher-decay", "0.9", "--fisher-every", "3"]

    static func parameters(_ c: Checkpoint) -> [String] {
        c.tensors.keys.filter { $0.hasPrefix("generative.") || $0.hasPrefix("recognition.") }.sorted()
    }

    /// 40 steps, `--ranks 1` against `--ranks 2`: the parameters agree within 1e-5 relative
    /// (summation order only), and with `--reproducible` every tensor — parameters, optimizer
    /// state and the running Fisher sums — is the same bytes. The log names the averaged
    /// layers; and the decay does change the run (against `--fisher-decay 0`).
    @Test func nrwsWithDecayAgreesAcrossWorldSizes() throws {
        let tmp = try DecayScratch()
        let base = ["train"] + Self.model + Self.small + Self.decay + ["--steps", "40", "--log-every", "10"]
        for reproducible in [false, true] {
            let flags = reproducible ? ["--reproducible"] : []
            var runs: [Checkpoint] = []
            for ranks in [1, 2] {
                let dir = tmp.path("r\(ranks)\(reproducible ? "x" : "")")
                let r = try decayRun(base + flags + ["--ranks", "\(ranks)", "--run-dir", dir], in: tmp)
                try #require(r.succeeded, "\(r)")
                #expect(r.stdout.contains("Fisher decay 0.9: running average of the direct layers' blocks (generative.1, recognition.1)")
                        && r.stdout.contains("generative.0 woodbury (N = 10 < d = 11"), "\(r)")
                runs.append(try CheckpointReader.load(dir))
            }
            let names = runs[0].tensors.keys.sorted()
            #expect(names.contains("fisher.recognition.1.blocks") && names.contains("fisher.generative.0.parents"), "\(names)")
            #expect(runs[1].tensors.keys.sorted() == names)
            if reproducible {
                for name in names where runs[0][name]?.bytes != runs[1][name]?.bytes {
                    Issue.record("--reproducible --fisher-decay: \(name) differs between --ranks 1 and 2")
                }
            } else {
                let d = try decayDifference(runs[0], runs[1], tensors: Self.parameters(runs[0]))
                print("FisherDecayCommandLineTests: --fisher-decay 0.9, --ranks 1 vs 2: max relative L2 \(d.relative), max |Δ| \(d.maxAbs)")
                #expect(d.relative <= 1e-5, "--ranks 1 vs 2: \(d.relative) in \(d.worstTensor)")
            }
        }
        // Without the decay the trajectory is another one.
        let off = tmp.path("off")
        try #require(try decayRun(base.map { $0 == "0.9" ? "0" : $0 } + ["--run-dir", off], in: tmp).succeeded)
        let d = try decayDifference(try CheckpointReader.load(off), try CheckpointReader.load(tmp.path("r1")),
                                    tensors: Self.parameters(try CheckpointReader.load(off)))
        #expect(d.relative > 1e-3, "--fisher-decay 0.9 did not change the run: \(d.relative)")
    }

    /// 20 steps, then resumed to 40, is the same bytes as 40 straight steps (2 ranks): step 20
    /// falls between the recomputes at 18 and 21, and the recompute at 21 decays the running
    /// sums of step 18, which only the checkpoint gives back.
    @Test func nrwsWithDecayResumesBitIdentically() throws {
        let tmp = try DecayScratch()
        let base = ["train"] + Self.model + Self.small + Self.decay + ["--ranks", "2"]
        let straight = tmp.path("S"), split = tmp.path("R")
        try #require(try decayRun(base + ["--steps", "40", "--run-dir", straight], in: tmp).succeeded)
        try #require(try decayRun(base + ["--steps", "20", "--run-dir", split], in: tmp).succeeded)
        let middle = try CheckpointReader.load(split)
        #expect(try middle["fisher.step"]?.values(as: Int64.self) == [18])
        // The running count of recognition.1 (60 samples a recompute, 7 recomputes: 0, 3, …, 18)
        // is Σ 0.9^k · 60 — the sums in the checkpoint are the running ones.
        let blocks = try #require(middle["fisher.recognition.1.blocks"])
        let count = try #require(try blocks.values(as: Double.self).last)
        let expected = (0..<7).reduce(0.0) { acc, _ in acc * 0.9 + 60 }
        #expect(abs(count - expected) <= 1e-9 * expected, "running count \(count), expected \(expected)")

        let resumed = try decayRun(base + ["--steps", "40", "--run-dir", split, "--resume", "auto"], in: tmp)
        try #require(resumed.succeeded, "\(resumed)")
        #expect(resumed.stdout.contains("resumed with the factors of step 18"), "\(resumed)")
        let a = try CheckpointReader.load(straight), b = try CheckpointReader.load(split)
        #expect(a.manifest.step == 40 && b.manifest.step == 40)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() {
            #expect(a[name]?.bytes == b[name]?.bytes, "\(name) differs between 40 straight steps and 20 + resume + 20")
        }
    }

    /// A damping schedule (α from 0.1 to 0.001 over 40 steps) changes the run, and resuming
    /// between recomputes refactors with the α of the recompute step: 20 + resume + 20 is the
    /// same bytes as 40 straight.
    @Test func dampingScheduleResumesBitIdentically() throws {
        let tmp = try DecayScratch()
        let schedule = ["--damping", "0.1", "--damping-final", "0.001", "--damping-steps", "40"]
        let base = ["train"] + Self.model + Self.small + ["--algorithm", "nrws", "--fisher-every", "3"]
        let straight = tmp.path("S"), split = tmp.path("R"), constant = tmp.path("C")
        let first = try decayRun(base + schedule + ["--steps", "40", "--run-dir", straight], in: tmp)
        try #require(first.succeeded, "\(first)")
        #expect(first.stdout.contains("damping from 0.1 to 0.001 (geometric) over 40 steps"), "\(first)")
        try #require(try decayRun(base + ["--damping", "0.1", "--steps", "40", "--run-dir", constant], in: tmp).succeeded)
        try #require(try decayRun(base + schedule + ["--steps", "20", "--run-dir", split], in: tmp).succeeded)
        let resumed = try decayRun(base + schedule + ["--steps", "40", "--run-dir", split, "--resume", "auto"], in: tmp)
        try #require(resumed.succeeded, "\(resumed)")
        let a = try CheckpointReader.load(straight), b = try CheckpointReader.load(split), c = try CheckpointReader.load(constant)
        for name in a.tensors.keys.sorted() {
            #expect(a[name]?.bytes == b[name]?.bytes, "\(name) differs between 40 straight steps and 20 + resume + 20")
        }
        #expect(a["generative.0.weight"]?.bytes != c["generative.0.weight"]?.bytes, "the schedule changed nothing")
    }

    /// A decay outside [0, 1) is refused with a message that says so.
    @Test func refusedDecay() throws {
        let tmp = try DecayScratch()
        for value in ["1", "-0.5", "nan"] {
            let r = try decayRun(["train"] + Self.model + ["--steps", "2", "--algorithm", "nrws", "--fisher-decay=\(value)"], in: tmp)
            #expect(r.exited && r.status != 0, "\(r)")
            #expect((r.stderr + r.stdout).contains("fisher-decay: expected a number in [0, 1)"), "\(value): \(r)")
        }
    }
}

// MARK: - Helpers (as in DataParallelTests, whose helpers are file-private)

fileprivate struct DecayDifference {
    /// max over tensors of ‖a − b‖₂ / ‖a‖₂.
    var relative = 0.0
    var worstTensor = ""
    /// max elementwise |a − b| over all tensors.
    var maxAbs: Float = 0
}

fileprivate func decayDifference(_ a: Checkpoint, _ b: Checkpoint, tensors names: [String]) throws -> DecayDifference {
    var d = DecayDifference()
    for name in names {
        let x = try #require(a[name], "\(name) missing in \(a.directory)")
        let y = try #require(b[name], "\(name) missing in \(b.directory)")
        try #require(x.shape == y.shape, "\(name): shapes \(x.shape) vs \(y.shape)")
        let xv = try x.values(as: Float.self), yv = try y.values(as: Float.self)
        var diff = 0.0, norm = 0.0
        for (p, q) in zip(xv, yv) {
            diff += Double(p - q) * Double(p - q)
            norm += Double(p) * Double(p)
            d.maxAbs = max(d.maxAbs, abs(p - q))
        }
        let rel = norm > 0 ? diff.squareRoot() / norm.squareRoot() : diff.squareRoot()
        if !(rel <= d.relative) { d.relative = rel; d.worstTensor = name }  // NaN propagates
    }
    return d
}

/// A temporary directory, removed when the value goes away.
fileprivate final class DecayScratch {
    let root: String
    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hm-dist-decay-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        root = url.path
    }
    deinit { try? FileManager.default.removeItem(atPath: root) }
    func path(_ name: String) -> String { root + "/" + name }
}

fileprivate struct DecayResult: CustomStringConvertible {
    var command: String
    var status: Int32
    var exited: Bool
    var timedOut: Bool
    var seconds: Double
    var stdout: String
    var stderr: String
    var succeeded: Bool { exited && status == 0 && !timedOut }
    var description: String {
        "\(command): \(exited ? "exit \(status)" : "killed by signal \(status)") after \(String(format: "%.2f", seconds)) s\(timedOut ? " (timed out)" : "")\n--- stdout\n\(stdout.suffix(3000))\n--- stderr\n\(stderr.suffix(3000))"
    }
}

/// Runs the built `hm-dist` (found as `BLASTests` finds it), or `mpirun -n N --oversubscribe
/// hm-dist …`, in `dir`, output to files, the launcher variables of the test's own environment
/// removed, with a time limit.
fileprivate func decayFindOnPath(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = String(dir) + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
    }
    return nil
}

fileprivate func decayRun(_ arguments: [String], mpiRanks: Int? = nil, in dir: DecayScratch, timeout: TimeInterval = 120) throws -> DecayResult {
    let executable = try #require(BLASTests.findExecutable(), """
        the hm-dist executable was not found next to the test binary \
        (\(BLASTests.testBinaryDirectory?.path ?? "?")) nor in any .build* directory of the \
        package: build it first (`swift build --build-tests`); these tests cannot run without it
        """)
    var env = ProcessInfo.processInfo.environment
    for key in env.keys where key == "HM_DIST_FAULT" || key.hasPrefix("SLURM_") || key.hasPrefix("PMI_")
        || key.hasPrefix("PMIX_") || key.hasPrefix("OMPI_COMM_WORLD") || key.hasPrefix("OMPI_UNIVERSE") {
        env[key] = nil
    }
    let process = Process()
    let command: String
    if let n = mpiRanks {
        let mpirun = try #require(decayFindOnPath("mpirun"), "mpirun (Open MPI) is not on PATH; these tests need it")
        process.executableURL = mpirun
        process.arguments = ["-n", "\(n)", "--oversubscribe", executable.path] + arguments
        command = "mpirun -n \(n) hm-dist \(arguments.joined(separator: " "))"
        if getuid() == 0 {
            env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
    } else {
        process.executableURL = executable
        process.arguments = arguments
        command = "hm-dist \(arguments.joined(separator: " "))"
    }
    let id = UUID().uuidString.prefix(8)
    let outPath = dir.path(".out-\(id)"), errPath = dir.path(".err-\(id)")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    process.environment = env
    process.currentDirectoryURL = URL(fileURLWithPath: dir.root)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let start = Date()
    try process.run()
    let deadline = start.addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    var timedOut = false
    if process.isRunning {
        timedOut = true
        process.terminate()
        let grace = Date().addingTimeInterval(10)
        while process.isRunning && Date() < grace { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    try out.close()
    try err.close()
    return DecayResult(command: command, status: process.terminationStatus, exited: process.terminationReason == .exit,
                     timedOut: timedOut, seconds: seconds,
                     stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                     stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}
