import Foundation
@testable import HMData

/// A fresh directory under the system's temporary directory, removed after `body`.
/// Tests write their own files here and never read the shared data folder.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("hmdata-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Writes raw bytes (possibly a broken file) for the rejection tests.
func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The error `body` throws, which must be a `DataError`.
func dataError(_ body: () throws -> Any) -> DataError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? DataError
    }
}

extension Dataset {
    /// Examples in train, valid and test, for one-line checks.
    var counts: [Int] { Dataset.Split.allCases.map { count(of: $0) } }
}
