/// Checks checkpoints without using them and names every problem: the file and the reason
/// (missing shard, size mismatch, SHA-256 mismatch, zstd error, bad manifest, …). Backs
/// `hm-dist inspect --verify`.
public enum CheckpointVerifier {
    /// Problems of `path`: for one `step-N/`, that step; for a run or `checkpoints/`
    /// directory, every committed step, `LATEST`, and leftovers of interrupted saves.
    /// Empty means everything checked is good.
    public static func verify(_ path: String) -> [CheckpointError] {
        guard DurableFile.isDirectory(path) else {
            return [CheckpointError(.notFound, path: path, "no such directory")]
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if CheckpointLayout.step(ofStagingName: name) != nil {
            return [uncommitted(path)]
        }
        if CheckpointReader.hasManifest(path) || CheckpointLayout.step(ofDirectoryName: name) != nil {
            return verifyStep(path)
        }
        let directory = CheckpointReader.checkpointsDirectory(for: path)
        let names = DurableFile.entries(of: directory) ?? []
        var problems: [CheckpointError] = []
        var steps = 0
        for name in names {
            let entry = CheckpointLayout.join(directory, name)
            if CheckpointLayout.step(ofStagingName: name) != nil
                || name == CheckpointLayout.latestFileName + CheckpointLayout.stagingSuffix {
                problems.append(uncommitted(entry))
            } else if CheckpointLayout.step(ofDirectoryName: name) != nil, DurableFile.isDirectory(entry) {
                steps += 1
                problems += verifyStep(entry)
            }
        }
        let latest = CheckpointLayout.join(directory, CheckpointLayout.latestFileName)
        if steps == 0 {
            problems.append(CheckpointError(.notFound, path: directory, "no committed checkpoint"))
        } else if CheckpointReader.latestStepDirectory(in: directory) == nil {
            let reason = DurableFile.size(latest) == nil
                ? "missing" : "does not name a committed step-N directory"
            problems.append(CheckpointError(.notFound, path: latest, reason))
        }
        return problems
    }

    private static func verifyStep(_ directory: String) -> [CheckpointError] {
        var problems: [CheckpointError] = []
        do {
            _ = try StepReader.read(directory) { problems.append($0) }
        } catch {
            problems.append(StepReader.wrap(error, directory))
        }
        return problems
    }

    private static func uncommitted(_ path: String) -> CheckpointError {
        CheckpointError(.uncommitted, path: path,
                        "left by an interrupted save: never loaded, removed by the next save of that step")
    }
}
