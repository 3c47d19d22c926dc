/// A loaded, fully verified step: every shard matched its size and SHA-256, decompressed,
/// decoded, and every tensor matched the manifest's dtype and shape.
public struct Checkpoint: Sendable {
    public init(directory: String, manifest: Manifest, tensors: [String: Tensor], protected: Bool = true) {
        self.directory = directory
        self.manifest = manifest
        self.tensors = tensors
        self.protected = protected
    }

    /// The `step-N/` directory it was loaded from.
    public let directory: String
    public let manifest: Manifest
    public let tensors: [String: Tensor]
    /// Whether the manifest had a digest (`manifest.sha256`); older checkpoints have none.
    public var protected = true

    public subscript(name: String) -> Tensor? { tensors[name] }
}

/// A committed step directory (`step-N/` holding a manifest), as listed for fallback.
public struct CommittedStep: Equatable, Sendable {
    public let step: Int
    public let directory: String
}
