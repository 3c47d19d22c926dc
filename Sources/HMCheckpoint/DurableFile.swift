import CKernels
import Foundation
import Glibc

/// File operations on plain POSIX calls, because durability is the point: a checkpoint is
/// only committed once its bytes, its directory entries and the rename have reached the disk
/// (`fsync` on the file, then on the directory). Foundation's atomic writes do not promise it.
public enum DurableFile {
    /// Writes `bytes` to `path` (created or truncated) and fsyncs the file before returning.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// Creates (or truncates) `path`, lets `produce` write it through the sink it is given,
    /// in pieces, and fsyncs the file before returning. The kernel is asked to start writing
    /// back each whole page written so far at once (whole pages only: a page still being
    /// filled is not written back twice), and every `syncInterval` bytes a `BackgroundSync`
    /// flushes what has been written, so that the final fsync finds little left to do.
    public static func write(to path: String, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "open for writing") }
        var closed = false
        defer { if !closed { close(fd) } }
        let background = BackgroundSync(fd: fd)
        defer { _ = background.finish() }
        var offset = 0, started = 0, synced = 0
        try produce { piece in
            guard piece.count > 0 else { return }
            let written = try transfer(piece.count, path, "write") { Glibc.write(fd, piece.baseAddress! + $0, piece.count - $0) }
            guard written == piece.count else { throw CheckpointError(.io, path: path, "write made no progress") }
            offset += piece.count
            let pages = offset & ~4095
            if pages > started {
                hm_start_writeback(fd, Int64(started), Int64(pages - started))
                started = pages
            }
            if offset - synced >= syncInterval {
                background.request()
                synced = offset
            }
        }
        // An error a background sync saw is not reported to later syncs of the same file.
        let backgroundError = background.finish()
        guard backgroundError == 0 else {
            throw CheckpointError(.io, path: path, "fdatasync failed: \(String(cString: strerror(backgroundError)))")
        }
        guard fsync(fd) == 0 else { throw failure(path, "fsync") }
        closed = true
        guard close(fd) == 0 else { throw failure(path, "close") }
    }

    /// How many bytes `write(to:_:)` writes between background syncs.
    static let syncInterval = 4 << 20

    /// The whole content of the file at `path`.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw errno == ENOENT ? CheckpointError(.notFound, path: path, "missing") : failure(path, "open")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "fstat") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = try bytes.withUnsafeMutableBytes { buffer in
            try transfer(buffer.count, path, "read") { Glibc.read(fd, buffer.baseAddress! + $0, buffer.count - $0) }
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Makes the entries of `directory` (created, renamed or removed files) durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(directory, "open directory") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(directory, "fsync directory") }
    }

    /// Atomic within one file system: readers see either the old or the new entry.
    static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            throw failure(source, "rename to \(destination)")
        }
    }

    static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw failure(path, "mkdir") }
    }

    static func removeTree(_ path: String) throws {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw CheckpointError(.io, path: path, "cannot remove: \(error.localizedDescription)")
        }
    }

    /// Names in `directory`, sorted; nil when it is not a readable directory.
    static func entries(of directory: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: directory))?.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size of a regular file, nil when there is none.
    static func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Repeats `call(bytesDone)` (one read or write) until `count` bytes are done or it
    /// moves nothing, retrying on EINTR; returns the bytes done.
    private static func transfer(_ count: Int, _ path: String, _ operation: String,
                                 _ call: (Int) -> Int) throws -> Int {
        var done = 0
        while done < count {
            let moved = call(done)
            if moved < 0 {
                if errno == EINTR { continue }
                throw failure(path, operation)
            }
            if moved == 0 { break }
            done += moved
        }
        return done
    }

    private static func failure(_ path: String, _ operation: String) -> CheckpointError {
        CheckpointError(.io, path: path, "\(operation) failed: \(String(cString: strerror(errno)))")
    }
}
