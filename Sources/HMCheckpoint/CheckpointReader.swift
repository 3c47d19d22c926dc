import Foundation

/// Finds and loads committed checkpoints. A path may be a run directory (holding
/// `checkpoints/`), a `checkpoints/` directory (meaning `LATEST`, or the newest committed
/// step if `LATEST` is missing or bad) or one `step-N/` directory. `*.tmp` directories are
/// interrupted saves and are never loaded.
public enum CheckpointReader {
    /// `path/checkpoints` when `path` is a run directory, else `path`.
    public static func checkpointsDirectory(for path: String) -> String {
        let nested = CheckpointLayout.join(path, CheckpointLayout.checkpointsDirectoryName)
        return DurableFile.isDirectory(nested) ? nested : path
    }

    /// The step directory `path` means.
    public static func resolve(_ path: String) throws -> String {
        guard DurableFile.isDirectory(path) else {
            throw CheckpointError(.notFound, path: path, "no such directory")
        }
        let name = (path as NSString).lastPathComponent
        if CheckpointLayout.step(ofStagingName: name) != nil {
            throw CheckpointError(.uncommitted, path: path, "an interrupted save, never loaded")
        }
        if hasManifest(path) { return path }
        let directory = checkpointsDirectory(for: path)
        if let latest = latestStepDirectory(in: directory) { return latest }
        guard let newest = committedSteps(in: directory).first else {
            throw CheckpointError(.notFound, path: directory, "no committed checkpoint (no step-N/ with a manifest)")
        }
        return newest.directory
    }

    /// Where `LATEST` points, if it names a committed step; nil otherwise.
    static func latestStepDirectory(in directory: String) -> String? {
        guard let bytes = try? DurableFile.read(CheckpointLayout.join(directory, CheckpointLayout.latestFileName)),
              let name = String(bytes: bytes, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              CheckpointLayout.step(ofDirectoryName: name) != nil
        else { return nil }
        let step = CheckpointLayout.join(directory, name)
        return hasManifest(step) ? step : nil
    }

    /// Committed steps (`step-N/` with a manifest) of a run or `checkpoints/` directory,
    /// newest first; the candidates for `--resume auto`.
    public static func committedSteps(in path: String) -> [CommittedStep] {
        let directory = checkpointsDirectory(for: path)
        return (DurableFile.entries(of: directory) ?? []).compactMap { name in
            guard let step = CheckpointLayout.step(ofDirectoryName: name) else { return nil }
            let stepDirectory = CheckpointLayout.join(directory, name)
            return hasManifest(stepDirectory) ? CommittedStep(step: step, directory: stepDirectory) : nil
        }.sorted { $0.step > $1.step }
    }

    /// Only the manifest of the step `path` means (cheap: no shard is read).
    public static func readManifest(_ path: String) throws -> Manifest {
        try Manifest.read(stepDirectory: resolve(path)).manifest
    }

    /// Loads and verifies every byte of the step `path` means; throws the first problem.
    public static func load(_ path: String) throws -> Checkpoint {
        try StepReader.read(resolve(path)) { throw $0 }!
    }

    /// The newest step that loads cleanly, starting with the one `path` resolves to, with the
    /// problems of the steps skipped on the way (for `--resume auto`). Throws when none loads.
    public static func loadNewestValid(_ path: String) throws -> (checkpoint: Checkpoint, skipped: [CheckpointError]) {
        var candidates = committedSteps(in: path).map(\.directory)
        if let first = try? resolve(path) {
            candidates.removeAll { $0 == first }
            candidates.insert(first, at: 0)
        }
        var skipped: [CheckpointError] = []
        for directory in candidates {
            do {
                return (try load(directory), skipped)
            } catch {
                skipped.append(StepReader.wrap(error, directory))
            }
        }
        throw skipped.first ?? CheckpointError(.notFound, path: path, "no committed checkpoint")
    }

    static func hasManifest(_ stepDirectory: String) -> Bool {
        DurableFile.size(CheckpointLayout.join(stepDirectory, CheckpointLayout.manifestFileName)) != nil
    }
}
