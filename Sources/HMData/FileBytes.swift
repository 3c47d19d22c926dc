#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and writes with errors that name the path and the system's reason.
///
/// C stdio rather than Foundation, because `strerror` gives the user the plain reason
/// ("No such file or directory", "Permission denied") and a read of a 47 MB file is one call.
enum FileBytes {
    static func read(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw systemError(path, "cannot open") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: chunk[0..<got])
            if got < chunk.count { break }
        }
        if ferror(file) != 0 { throw systemError(path, "cannot read") }
        return bytes
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "wb") else { throw systemError(path, "cannot create") }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file)
        if written != bytes.count || closed != 0 { throw systemError(path, "cannot write") }
    }

    private static func systemError(_ path: String, _ what: String) -> DataError {
        DataError(path: path, field: "file", "\(what): \(String(cString: strerror(errno)))")
    }
}
