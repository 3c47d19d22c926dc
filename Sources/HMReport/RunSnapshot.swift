import Foundation
import HMCheckpoint
import HMTraining

/// What a run directory holds at the moment it is read: `metrics.jsonl`, `config.yaml`,
/// `run.json` (world, hosts, BLAS, the algorithm's log), `growth.json` of `--grow`, and the
/// committed checkpoints, each verified byte for byte. A run still training is read as it is
/// (the page is a snapshot).
public struct RunSnapshot {
    public struct CheckpointRow {
        public let step: Int
        public let directory: String
        public let bytes: Int
        public let manifest: Manifest?
        /// Every problem `CheckpointVerifier` finds; empty: verified.
        public let problems: [CheckpointError]
    }

    public let path: String
    public var label: String
    public let metrics: MetricsFile
    public let configText: String?
    /// The settings of `config.yaml`, resolved, or why they could not be.
    public let config: Result<TrainingConfig, Error>?
    public let runInfo: [String: Any]?
    public let growthText: String?
    public let checkpoints: [CheckpointRow]
    /// The newest checkpoint that verified, loaded (samples and receptive fields come from it).
    public let newest: Checkpoint?

    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError(path: path, "no such directory: expected a run directory (train --run-dir), holding metrics.jsonl")
        }
        self.path = path
        label = (path as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? path
        metrics = try MetricsFile(path: path + "/metrics.jsonl")
        configText = try? String(contentsOfFile: path + "/config.yaml", encoding: .utf8)
        config = configText.map { text in
            Result { try TrainingOptions.resolve(ConfigFile.load(text: text, path: path + "/config.yaml")) }
        }
        runInfo = FileManager.default.contents(atPath: path + "/run.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        growthText = try? String(contentsOfFile: path + "/growth.json", encoding: .utf8)
        checkpoints = CheckpointReader.committedSteps(in: path).map { Self.row($0) }
        if let good = checkpoints.first(where: { $0.problems.isEmpty }) {
            do {
                newest = try CheckpointReader.load(good.directory)
            } catch {
                throw ReportError(path: good.directory, "the checkpoint verified but cannot be loaded: \(error)")
            }
        } else if let bad = checkpoints.first {
            throw ReportError(path: bad.directory, "no checkpoint of the run verifies: expected at least one readable committed step; first problem: \(bad.problems.first.map { "\($0)" } ?? "unknown")")
        } else {
            newest = nil
        }
    }

    static func row(_ step: CommittedStep) -> CheckpointRow {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: step.directory)) ?? []
        let bytes = files.reduce(0) { total, name in
            total + (((try? FileManager.default.attributesOfItem(atPath: step.directory + "/" + name))?[.size] as? Int) ?? 0)
        }
        return CheckpointRow(step: step.step, directory: step.directory, bytes: bytes,
                             manifest: try? CheckpointReader.readManifest(step.directory),
                             problems: CheckpointInspection.verify(step.directory))
    }

    /// The held-out split whose estimates `metrics.jsonl` records (`test` or `valid`), if any.
    public var heldOutField: String? {
        ["test_log_likelihood", "valid_log_likelihood"].first { f in metrics.records.contains { $0[f] != nil } }
    }
}
