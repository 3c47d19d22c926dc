import Foundation
import Glibc

/// `fdatasync` of one file on a thread of its own, on request, while the writer goes on.
///
/// A disk with a volatile write cache (a virtual disk, typically) keeps what the writeback
/// sent it until a sync flushes it, so a file fsynced only at the end waits for the whole of
/// it to be flushed after its last byte — on the development VM about 40 ms for 34 MB, as
/// long as writing it. Syncing as the file grows overlaps the flushes with producing it;
/// the writer's final fsync still decides durability. The thread starts on the first
/// request, so small files never make one.
final class BackgroundSync: @unchecked Sendable {
    private let fd: Int32
    private let condition = NSCondition()
    private var started = false, pending = false, closing = false, ended = false
    private var error: Int32 = 0

    init(fd: Int32) { self.fd = fd }

    /// Asks for a sync of everything written so far; requests made while one runs become one.
    func request() {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return }
        pending = true
        if !started {
            started = true
            Thread { [self] in run() }.start()
        }
        condition.signal()
    }

    /// Waits for the thread (a sync in progress, not a pending one: the final fsync does that)
    /// and returns the `errno` of the first sync that failed, 0 if none did. Idempotent.
    func finish() -> Int32 {
        condition.lock()
        defer { condition.unlock() }
        closing = true
        condition.broadcast()
        while started && !ended { condition.wait() }
        return error
    }

    private func run() {
        condition.lock()
        while true {
            while !pending && !closing { condition.wait() }
            if closing { break }
            pending = false
            condition.unlock()
            let failed = fdatasync(fd) == 0 ? 0 : errno
            condition.lock()
            if error == 0 { error = failed }
        }
        ended = true
        condition.broadcast()
        condition.unlock()
    }
}
