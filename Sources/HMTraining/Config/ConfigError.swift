/// A bad setting: names the file (or `command line`), the key and what was expected.
public struct ConfigError: Error, CustomStringConvertible {
    public let path: String, field: String, message: String
    public init(path: String, field: String, _ message: String) {
        self.path = path
        self.field = field
        self.message = message
    }
    public var description: String { "\(path): \(field): \(message)" }
}
