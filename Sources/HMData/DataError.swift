/// A data file or `--data` spec that cannot be used.
///
/// Every error names the file (or spec), the field that is wrong and what was expected, so a
/// user can fix the input without reading the source: `train.gz: header: expected magic
/// 00 00 <type> <dims>, found 1f 00 08 03`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file path, or the `--data` spec when no single file is at fault.
    public var path: String
    /// The part of the input that is wrong: `file`, `gzip`, `header`, `data`, `pixels`, `spec`…
    public var field: String
    /// What was expected and what was found.
    public var message: String

    public init(path: String, field: String, _ message: String) {
        self.path = path
        self.field = field
        self.message = message
    }

    public var description: String { "\(path): \(field): \(message)" }
}
