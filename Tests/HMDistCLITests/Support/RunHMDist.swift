// Shared by the command-line test files: running the built binary (alone or under mpirun)
// in a scratch directory, and comparing two checkpoints' tensors.
import Foundation
import HMTestSupport
import Testing
import HMCheckpoint

// MARK: - Comparing checkpoints

struct CheckpointDifference {
    /// max over tensors of ‖a − b‖₂ / ‖a‖₂.
    var relative = 0.0
    var worstTensor = ""
    /// max elementwise |a − b| over all tensors.
    var maxAbs: Float = 0
}

func checkpointDifference(_ a: Checkpoint, _ b: Checkpoint, tensors names: [String]) throws -> CheckpointDifference {
    var d = CheckpointDifference()
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

// MARK: - Running the executable

/// A temporary directory, removed when the value goes away.
final class TestScratch {
    let root: String
    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hm-dist-test-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        root = url.path
    }
    deinit { try? FileManager.default.removeItem(atPath: root) }
    func path(_ name: String) -> String { root + "/" + name }
}

struct RunResult: CustomStringConvertible {
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

/// Runs the built `hm-dist` (`Executables.hmDist()`), or `mpirun -n N --oversubscribe
/// hm-dist …`, in `dir` with output to files (no pipe can fill up), the launcher variables of
/// the test's own environment removed, `environment` added, and a time limit: past it the
/// process (mpirun, which takes its ranks with it) is terminated and `timedOut` set.
func runHMDist(_ arguments: [String], mpiRanks: Int? = nil, environment: [String: String] = [:],
                       in dir: TestScratch, timeout: TimeInterval = 120) throws -> RunResult {
    let executable = try #require(Executables.hmDist(), "\(Executables.hmDistMissing)")
    var env = ProcessInfo.processInfo.environment
    for key in env.keys where key == "HM_DIST_FAULT" || key.hasPrefix("SLURM_") || key.hasPrefix("PMI_")
        || key.hasPrefix("PMIX_") || key.hasPrefix("OMPI_COMM_WORLD") || key.hasPrefix("OMPI_UNIVERSE") {
        env[key] = nil
    }
    let process = Process()
    var command: String
    if let n = mpiRanks {
        let mpirun = try #require(Executables.onPath("mpirun"), "mpirun (Open MPI) is not on PATH; these tests need it")
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
    env.merge(environment) { $1 }
    if !environment.isEmpty {
        command = environment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ") + " " + command
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
    return RunResult(command: command, status: process.terminationStatus, exited: process.terminationReason == .exit,
                    timedOut: timedOut, seconds: seconds,
                    stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                    stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}
