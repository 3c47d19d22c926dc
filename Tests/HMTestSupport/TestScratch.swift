import Foundation

/// A temporary directory, removed when the value goes away.
public final class TestScratch {
    public let root: String
    public init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hm-dist-test-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        root = url.path
    }
    deinit { try? FileManager.default.removeItem(atPath: root) }
    public func path(_ name: String) -> String { root + "/" + name }
}
