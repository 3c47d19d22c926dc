/// A run that cannot be reported: the file, and what was expected of it.
public struct ReportError: Error, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
