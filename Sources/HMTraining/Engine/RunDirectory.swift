import Foundation
import HMComm

/// Everything of a run in one directory (docs/command-line.md): `config.yaml`, `metrics.jsonl`,
/// `checkpoints/`. Written by rank 0 only.
public struct RunDirectory {
    public let path: String
    public var checkpoints: String { path + "/checkpoints" }
    public var metrics: String { path + "/metrics.jsonl" }

    public init(_ path: String) throws {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ConfigError(path: path, field: "run-dir", "cannot create the directory: \(error.localizedDescription)")
        }
    }

    public func writeConfig(_ config: TrainingConfig) throws {
        let file = path + "/config.yaml"
        do { try ConfigFile.yaml(config).write(toFile: file, atomically: true, encoding: .utf8) } catch {
            throw ConfigError(path: file, field: "file", "cannot be written: \(error.localizedDescription)")
        }
    }

    /// `run.json`: what the log says of where and how the run ran (world size, hosts, BLAS,
    /// the algorithm and its log, e.g. the Fisher solvers chosen), for `hm-dist report`.
    /// Rewritten at every start: a resumed run may run elsewhere.
    public func writeRunInfo(worldSize: Int, hosts: [(host: String, ranks: [Int])], blas: String, algorithm: String, log: String?) throws {
        let file = path + "/run.json"
        var record: [String: Any] = ["world_size": worldSize, "hosts": hosts.map { ["host": $0.host, "ranks": $0.ranks] as [String: Any] },
                                     "blas": blas, "algorithm": algorithm]
        if let log { record["algorithm_log"] = log }
        do {
            try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw ConfigError(path: file, field: "file", "cannot be written: \(error.localizedDescription)")
        }
    }
}

/// Appends one JSON object per line to `metrics.jsonl`.
public final class MetricsLog {
    let handle: FileHandle?

    /// `append` keeps earlier lines (a resumed run); otherwise the file starts empty.
    public init(path: String?, append: Bool) throws {
        guard let path else { handle = nil; return }
        if !append || !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ConfigError(path: path, field: "file", "cannot be created")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw ConfigError(path: path, field: "file", "cannot be opened for writing")
        }
        h.seekToEndOfFile()
        handle = h
    }

    public func write(_ record: [String: Any]) {
        guard let handle, let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        handle.write(data + Data("\n".utf8))
    }
}

/// The human progress report: a line rewritten in place on a terminal, plain periodic lines
/// otherwise (logs of batch jobs).
public struct Progress {
    /// Under mpirun a rank's stdout is a pseudo-terminal even when the job's output goes to a
    /// file, so launched ranks always write plain lines.
    public let isTerminal = isatty(STDOUT_FILENO) != 0 && MPICommunicator.expectedWorldSize() == nil

    public init() {}

    /// `firstStep` is the step this process started from (a resumed run's checkpoint), so that
    /// `elapsed` is set against the steps this process has taken.
    public func report(step: Int, firstStep: Int, total: Int, epoch: Int, rate: Double, bound: Double,
                       elapsed: Double, final: Bool = false) {
        let eta = Progress.remaining(step: step, firstStep: firstStep, total: total, elapsed: elapsed)
        let line = String(format: "step %d/%d  epoch %d  %.0f points/s  bound %.3f  elapsed %@  ETA %@",
                          step, total, epoch, rate, bound, Progress.duration(elapsed), Progress.duration(eta))
        if isTerminal {
            print("\r" + line + "   ", terminator: final ? "\n" : "")
            fflush(stdout)
        } else {
            print(line)
            fflush(stdout)  // batch logs are files: show progress as it happens
        }
    }

    /// Seconds left at the pace of this process's own steps; 0 at the end or before a step.
    public static func remaining(step: Int, firstStep: Int, total: Int, elapsed: Double) -> Double {
        let done = step - firstStep
        return done > 0 && step < total ? Double(total - step) * elapsed / Double(done) : 0
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t / 60 % 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }
}
