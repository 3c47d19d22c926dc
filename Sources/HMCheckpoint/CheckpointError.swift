import Foundation

/// Every failure of this module, and every problem `CheckpointVerifier` reports.
///
/// One type rather than many cases because users act on three things only: which file, which
/// field, and why. `kind` lets code (tests, `--resume auto`) branch without parsing text.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public enum Kind: String, Sendable {
        /// A system call failed (open, write, fsync, rename, …).
        case io
        /// A file or directory that must exist does not.
        case notFound
        /// A safetensors file is not well-formed.
        case malformed
        /// zstd refused the data (corrupt frame, bad checksum, wrong frame layout).
        case compression
        /// A file's size differs from the one recorded in the manifest.
        case sizeMismatch
        /// A file's SHA-256 differs from the one recorded in the manifest.
        case checksumMismatch
        /// manifest.json is missing, not JSON, of another version, or inconsistent.
        case manifest
        /// A tensor's dtype or shape differs from the manifest.
        case tensorMismatch
        /// A `*.tmp` staging directory: an interrupted save, never loaded.
        case uncommitted
        /// The step to be saved is already committed; committed steps are never overwritten.
        case alreadyCommitted
        /// The caller passed something this module cannot store.
        case invalidArgument
    }

    public var kind: Kind
    /// The file or directory concerned.
    public var path: String
    /// The field inside the file, when there is one (e.g. `w.data_offsets`).
    public var field: String?
    public var reason: String

    public init(_ kind: Kind, path: String, field: String? = nil, _ reason: String) {
        self.kind = kind
        self.path = path
        self.field = field
        self.reason = reason
    }

    public var description: String {
        "\(path): " + (field.map { "\($0): " } ?? "") + reason
    }

    public var errorDescription: String? { description }
}
