import Foundation

/// What `inspect --verify` reports, and the check of a manifest's step against its directory
/// that every reader applies.
public enum CheckpointInspection {
    /// `CheckpointVerifier`'s problems (the same checks every load applies), without repeats,
    /// ordered by path so that each step's problems stand together.
    public static func verify(_ path: String) -> [CheckpointError] {
        var seen = Set<String>()
        return CheckpointVerifier.verify(path).filter { seen.insert($0.description).inserted }
            .enumerated().sorted { ($0.element.path, $0.offset) < ($1.element.path, $1.offset) }.map(\.element)
    }

    /// A manifest of `step-N/` must record step N.
    public static func stepNameProblem(_ directory: String, _ manifest: Manifest) -> CheckpointError? {
        guard let step = CheckpointLayout.step(ofDirectoryName: (directory as NSString).lastPathComponent),
              step != manifest.step else { return nil }
        return CheckpointError(.manifest, path: (directory as NSString).appendingPathComponent(CheckpointLayout.manifestFileName),
                               field: "step", "is \(manifest.step), the directory is step \(step)")
    }

    /// Each step directory checked (and each leftover of an interrupted save) with its state,
    /// then every problem with its file and reason.
    public static func verificationText(_ path: String, _ problems: [CheckpointError]) -> String {
        let name = (path as NSString).lastPathComponent
        let isStep = CheckpointLayout.step(ofDirectoryName: name) != nil || CheckpointLayout.step(ofStagingName: name) != nil
            || FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(CheckpointLayout.manifestFileName))
        let directory = CheckpointReader.checkpointsDirectory(for: path)
        let entries = isStep ? [path] : ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            .filter { CheckpointLayout.step(ofDirectoryName: $0) != nil || CheckpointLayout.step(ofStagingName: $0) != nil }
            .map { (directory as NSString).appendingPathComponent($0) }
        var text = "\nverification (every byte of \(isStep ? "this step" : "every committed step, LATEST and leftovers in \(directory)")):\n"
        for entry in entries {
            let own = problems.filter { $0.path == entry || $0.path.hasPrefix(entry + "/") }
            let state: String
            if CheckpointLayout.step(ofStagingName: (entry as NSString).lastPathComponent) != nil {
                state = "LEFTOVER of an interrupted save (never loaded)"
            } else {
                state = own.isEmpty ? "ok" : "BAD (\(own.count) problem\(own.count == 1 ? "" : "s"))"
            }
            text += "  \((entry as NSString).lastPathComponent)  \(state)\n"
        }
        if problems.isEmpty {
            text += "verified: no problems\n"
        } else {
            text += "problems (\(problems.count)):\n" + problems.map { "  \($0.description)\n" }.joined()
        }
        return text
    }
}

