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
/// hm-dist …`, in `dir` (see `startProcess`) and waits at most `timeout` seconds.
func runHMDist(_ arguments: [String], mpiRanks: Int? = nil, environment: [String: String] = [:],
               in dir: TestScratch, timeout: TimeInterval = 120) throws -> RunResult {
    try startHMDist(arguments, mpiRanks: mpiRanks, environment: environment, in: dir).finish(timeout: timeout)
}

/// Starts `hm-dist arguments`, or `mpirun -n N --oversubscribe hm-dist arguments`.
func startHMDist(_ arguments: [String], mpiRanks: Int? = nil, environment: [String: String] = [:],
                 in dir: TestScratch) throws -> Running {
    let executable = try #require(Executables.hmDist(), "\(Executables.hmDistMissing)")
    if let n = mpiRanks {
        let mpirun = try #require(Executables.onPath("mpirun"), "mpirun (Open MPI) is not on PATH; these tests need it")
        return try startProcess(mpirun, ["-n", "\(n)", "--oversubscribe", executable.path] + arguments, environment: environment,
                                label: "mpirun -n \(n) hm-dist \(arguments.joined(separator: " "))", in: dir)
    }
    return try startProcess(executable, arguments, environment: environment,
                            label: "hm-dist \(arguments.joined(separator: " "))", in: dir)
}

/// Runs a tool found on PATH (`zstd`, `python3`) in `dir`.
func runTool(_ name: String, _ arguments: [String], in dir: TestScratch, timeout: TimeInterval = 120) throws -> RunResult {
    let executable = try #require(Executables.onPath(name), "\(name) is not on PATH")
    return try startProcess(executable, arguments, label: ([name] + arguments).joined(separator: " "), in: dir)
        .finish(timeout: timeout)
}

/// A started process with its output going to files (no pipe can fill up).
final class Running {
    let process: Process
    let command: String
    let outPath: String, errPath: String
    let out: FileHandle, err: FileHandle
    let started = Date()
    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    init(process: Process, command: String, outPath: String, errPath: String, out: FileHandle, err: FileHandle) {
        self.process = process; self.command = command
        self.outPath = outPath; self.errPath = errPath; self.out = out; self.err = err
    }

    /// A test that stopped early (a failed `#require`) leaves nothing running.
    deinit {
        if process.isRunning { for p in [pid] + descendants(of: pid) { kill(p, SIGKILL) } }
    }

    /// Waits up to `timeout` seconds; past it the process gets SIGTERM, then SIGKILL.
    func finish(timeout: TimeInterval) -> RunResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        var timedOut = false
        if process.isRunning {
            // Past the limit: SIGTERM, then SIGKILL to the process and everything it started
            // (a launcher's ranks, a batch script's mpirun), so that nothing outlives the test.
            timedOut = true
            let family = descendants(of: pid)
            process.terminate()
            let grace = Date().addingTimeInterval(5)
            while process.isRunning && Date() < grace { usleep(10_000) }
            for p in [pid] + family + descendants(of: pid) { kill(p, SIGKILL) }
        }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        return RunResult(command: command, status: process.terminationStatus, exited: process.terminationReason == .exit,
                         timedOut: timedOut, seconds: Date().timeIntervalSince(started),
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// Starts `executable arguments` in `dir`, with the launcher and fault variables of the
/// test's own environment removed (so that nothing launches as part of a foreign job),
/// Open MPI allowed to run as root, and `environment` added (and named in the label).
func startProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                  label: String, in dir: TestScratch) throws -> Running {
    var env = ProcessInfo.processInfo.environment
    for key in env.keys where key == "HM_DIST_FAULT" || key.hasPrefix("SLURM_") || key.hasPrefix("PMI_")
        || key.hasPrefix("PMIX_") || key.hasPrefix("OMPI_COMM_WORLD") || key.hasPrefix("OMPI_UNIVERSE") {
        env[key] = nil
    }
    if getuid() == 0 {
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    }
    env.merge(environment) { $1 }
    let id = UUID().uuidString.prefix(8)
    let outPath = dir.path(".out-\(id)"), errPath = dir.path(".err-\(id)")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = env
    process.currentDirectoryURL = URL(fileURLWithPath: dir.root)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try spawnWithEmptySignalMask(process)
    let named = environment.map { "\($0.key)=\($0.value) " }.sorted().joined()
    return Running(process: process, command: named + label, outPath: outPath, errPath: errPath, out: out, err: err)
}

/// `process.run()` on a thread of its own with no signal blocked. Foundation's Process spawns
/// with the calling thread's signal mask, and the test runner's (Dispatch) threads block
/// nearly every signal, SIGUSR1 and SIGTERM among them: a child started from such a thread
/// (bash, mpirun, a bare hm-dist) would keep those signals pending forever, unlike a job that
/// Slurm or a shell starts.
func spawnWithEmptySignalMask(_ process: Process) throws {
    final class Box: @unchecked Sendable { var error: (any Error)? }
    let box = Box(), done = DispatchSemaphore(value: 0)
    let thread = Thread {
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        do { try process.run() } catch { box.error = error }
        done.signal()
    }
    thread.start()
    done.wait()
    if let error = box.error { throw error }
}

/// Every process below `pid` (from /proc), deepest last.
func descendants(of pid: Int32) -> [Int32] {
    var children: [Int32: [Int32]] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let child = Int32(entry),
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        // "pid (comm) state ppid ...": the fields after the command's closing parenthesis.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(child) }
    }
    var out: [Int32] = [], queue = [pid]
    while let next = queue.first {
        queue.removeFirst()
        for c in children[next] ?? [] { out.append(c); queue.append(c) }
    }
    return out
}

/// The package root: the nearest directory above this file with a Package.swift.
func packageRoot() throws -> URL {
    var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while root.path != "/" {
        if FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { return root }
        root = root.deletingLastPathComponent()
    }
    throw CocoaError(.fileNoSuchFile)
}

/// `train` (`base`, with `--reproducible`) for `steps` steps on one rank, and for half of
/// them on two ranks resumed to `steps` on three: the two final checkpoints must be the same
/// bytes. Returns the one-rank run's result.
@discardableResult
func expectOneRankEqualsTwoResumedOnThree(_ base: [String], steps: Int, in tmp: TestScratch, what: String,
                                          sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
    let one = tmp.path("one"), moved = tmp.path("moved")
    let s = try runHMDist(base + ["--steps", "\(steps)", "--run-dir", one], in: tmp)
    try #require(s.succeeded, "\(s)", sourceLocation: sourceLocation)
    let half = try runHMDist(base + ["--steps", "\(steps / 2)", "--run-dir", moved, "--ranks", "2"], in: tmp)
    try #require(half.succeeded, "\(half)", sourceLocation: sourceLocation)
    let r = try runHMDist(base + ["--steps", "\(steps)", "--run-dir", moved, "--ranks", "3", "--resume", "auto"], in: tmp)
    try #require(r.succeeded, "\(r)", sourceLocation: sourceLocation)
    expectSameBytes(try CheckpointReader.load(one), try CheckpointReader.load(moved), what: what, sourceLocation: sourceLocation)
    return s
}
