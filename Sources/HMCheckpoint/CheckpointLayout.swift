/// The names on disk (docs/checkpoint-format.md), in one place because scripts and other tools rely on
/// them: `checkpoints/step-00001200/shard-00000-of-00002.safetensors.zst`, `manifest.json`,
/// `LATEST`, and `step-00001200.tmp/` while a save is in progress.
public enum CheckpointLayout {
    public static let checkpointsDirectoryName = "checkpoints"
    public static let manifestFileName = "manifest.json"
    /// The SHA-256 of `manifest.json`'s bytes (64 hex digits and a newline), beside it: a
    /// damaged manifest cannot vouch for itself.
    public static let manifestDigestFileName = "manifest.sha256"
    public static let latestFileName = "LATEST"
    public static let stagingSuffix = ".tmp"

    public static func stepDirectoryName(_ step: Int) -> String {
        "step-" + padded(step, 8)
    }

    public static func stagingDirectoryName(_ step: Int) -> String {
        stepDirectoryName(step) + stagingSuffix
    }

    public static func shardFileName(rank: Int, worldSize: Int) -> String {
        "shard-\(padded(rank, 5))-of-\(padded(worldSize, 5)).safetensors.zst"
    }

    /// The step of a committed step directory's name (exactly as `stepDirectoryName`
    /// spells it), else nil.
    public static func step(ofDirectoryName name: String) -> Int? {
        guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0,
              stepDirectoryName(step) == name
        else { return nil }
        return step
    }

    /// The step of a staging directory's name (`step-<digits>.tmp`), else nil.
    public static func step(ofStagingName name: String) -> Int? {
        guard name.hasSuffix(stagingSuffix) else { return nil }
        return step(ofDirectoryName: String(name.dropLast(stagingSuffix.count)))
    }

    /// A name without directory parts: what a manifest may refer to.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
