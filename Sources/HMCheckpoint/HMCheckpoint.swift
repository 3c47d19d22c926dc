/// HMCheckpoint stores named tensors and opaque JSON metadata as sharded, zstd-compressed
/// safetensors checkpoints (docs/checkpoint-format.md). It deliberately knows nothing of Helmholtz
/// machines: the model code decides the tensor names, this module only guarantees that what
/// was committed comes back bit for bit, or that the reason it cannot is named.
///
/// Entry points: `CheckpointStore` (a world of one), `CheckpointWriter` (N ranks),
/// `CheckpointReader` (resolve and load), `CheckpointVerifier` (report every problem).
public enum HMCheckpoint {
    /// The `format_version` this build writes and the only one it reads.
    public static let formatVersion = 1
}
