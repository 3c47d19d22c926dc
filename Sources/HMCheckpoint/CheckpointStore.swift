/// One-call saving and loading for a world of one (tests, `export`, single-process runs):
/// the N-rank protocol of `CheckpointWriter` run in sequence in one process.
public struct CheckpointStore: Sendable {
    /// The `checkpoints/` directory.
    public let directory: String
    /// Committed steps kept after each save; 0 keeps all.
    public var keep: Int
    public var compressionLevel: Int

    public init(_ checkpointsDirectory: String, keep: Int = 3, compressionLevel: Int = 3) {
        self.directory = checkpointsDirectory
        self.keep = keep
        self.compressionLevel = compressionLevel
    }

    /// Saves and commits `tensors` as step `info.step`, split into `shards` files balanced
    /// by bytes. Returns the committed `step-N/` directory.
    @discardableResult
    public func save(_ info: CheckpointInfo, tensors: [Tensor], shards: Int = 1) throws -> String {
        guard shards > 0 else {
            throw CheckpointError(.invalidArgument, path: directory, field: "shards", "must be at least 1")
        }
        let writer = CheckpointWriter(checkpointsDirectory: directory, compressionLevel: compressionLevel)
        let staging = try writer.prepare(step: info.step)
        let parts = ShardPlan.split(tensors, into: shards)
        let records = try parts.enumerated().map { rank, part in
            try writer.writeShard(rank: rank, worldSize: shards, tensors: part, into: staging)
        }
        return try writer.commit(info: info, tensors: Manifest.tensorEntries(for: parts), shards: records, keep: keep)
    }

    /// The step `LATEST` names (or the newest committed one), fully verified.
    public func load() throws -> Checkpoint {
        try CheckpointReader.load(directory)
    }

    public func committedSteps() -> [CommittedStep] {
        CheckpointReader.committedSteps(in: directory)
    }

    public func verify() -> [CheckpointError] {
        CheckpointVerifier.verify(directory)
    }
}
