import Foundation
import HMComm

/// Values the rank threads write, read by the test afterwards.
final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func update<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    var current: Value { update { $0 } }
}

/// Runs `body` on its own thread and waits at most `seconds`: nil when it did not finish
/// (the thread is left behind; the test fails instead of hanging).
func withTimeout<T>(_ seconds: Double, _ body: @escaping () throws -> T)
    -> (result: Result<T, any Error>?, elapsed: Double)
{
    let outcome = Shared<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    let start = Date()
    let thread = Thread {
        let r = Result { try body() }
        outcome.update { $0 = r }
        done.signal()
    }
    thread.stackSize = 8 << 20
    thread.start()
    let finished = done.wait(timeout: .now() + seconds) == .success
    return (finished ? outcome.current : nil, Date().timeIntervalSince(start))
}

/// Runs an in-process world of `size` under a 30 s guard and returns the per-rank results.
func world<T>(_ size: Int, _ body: @escaping (Communicator) throws -> T) throws -> [T] {
    let (result, _) = withTimeout(30) { try InProcessWorld.run(size: size, body: body) }
    guard let result else { throw TimedOut(seconds: 30) }
    return try result.get()
}

struct TimedOut: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "the world did not finish within \(seconds) s" }
}

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom on purpose" }
}

extension Array {
    /// Runs `body` with the array's base address (a valid pointer even when empty).
    mutating func withBase<R>(_ body: (UnsafeMutablePointer<Element>) throws -> R) rethrows -> R {
        try withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { return try body(base) }
            let dummy = UnsafeMutablePointer<Element>.allocate(capacity: 1)
            defer { dummy.deallocate() }
            return try body(dummy)
        }
    }
}
