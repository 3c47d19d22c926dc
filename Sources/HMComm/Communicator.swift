import Foundation

/// The collective operations data-parallel training needs (docs/training.md). Implementations:
/// `SingleProcessCommunicator` (a world of one: plain `hm-dist train`), `MPICommunicator`
/// (Open MPI's MPI_COMM_WORLD) and `InProcessCommunicator` (N ranks as threads of one process,
/// `InProcessWorld.run`). Knows nothing of Helmholtz machines: it moves numbers.
///
/// Rules, as under MPI: every rank calls the same collectives in the same order with the
/// same counts; a rank's communicator is used from one thread at a time (MPI is initialised
/// with MPI_THREAD_FUNNELED: only the thread that created the `MPICommunicator` may call it).
/// A collective that fails throws `CommunicatorError`; a rank that cannot go on should call
/// `abort`, never `finalize`, so that no other rank waits for it forever.
public protocol Communicator: AnyObject {
    /// This process's (or thread's) rank, 0..<size.
    var rank: Int { get }
    var size: Int { get }
    /// The host this rank runs on (for logs and the per-rank report).
    var hostName: String { get }
    /// The ranks of this world on this rank's host, itself included: those that share its
    /// cores (for sizing helper threads without oversubscribing them).
    var ranksOnThisHost: Int { get }

    /// In-place sum across ranks; every rank ends with the same values. `count` may be 0.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws
    /// Integers wrap on overflow (two's complement), as MPI's C sum does in practice.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws
    /// Starts an in-place sum (MPI_Iallreduce). The buffer must stay valid and untouched
    /// until `wait()` returns. Several may be in flight; every rank starts them in the same
    /// order. Under MPI the transfer progresses inside MPI calls: call `test()` now and then
    /// to move a large one along while computing.
    func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> PendingCollective

    /// Copies `root`'s `bytes` bytes to every rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws
    func barrier() throws
    /// Every rank contributes `bytes` bytes; `recv` receives `size * bytes` bytes, rank 0's
    /// first. `send` and `recv` must not overlap.
    func allgather(_ send: UnsafeRawPointer, bytes: Int, into recv: UnsafeMutableRawPointer) throws

    /// Ends the whole job with `message` (MPI_Abort under MPI; marks the world aborted and
    /// ends only this rank's thread in process); never returns.
    func abort(_ message: String, code: Int32) -> Never
    /// Releases the communicator at the end of a successful run (MPI_Finalize under MPI);
    /// idempotent; no collective may follow. A no-op elsewhere.
    func finalize() throws
}

/// A collective failed. Names the rank that saw the failure and the operation.
public struct CommunicatorError: Error, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// An MPI call returned this error code.
        case mpi(code: Int32)
        /// Another rank of the world failed or aborted (in-process world).
        case worldAborted(byRank: Int)
        /// The ranks disagree about the collective (operation, count, root), or one of them
        /// left the world while others wait in a collective: it can never complete.
        case mismatch
        /// A bad argument (negative count, root out of range, …).
        case invalidArgument
        /// A rank's own failure: its body threw or it called `abort` (`InProcessWorld.run`).
        case rankFailed
        /// The launcher and MPI disagree about the world, or MPI cannot be used.
        case setup
    }

    /// The rank that reports the error (for `.rankFailed`: the rank that failed).
    public let rank: Int
    /// The operation, e.g. "allreduceSum(Float × 1000)", "MPI_Init_thread", "body", "abort".
    public let operation: String
    public let kind: Kind
    public let message: String
    /// The error a rank's body threw (`.rankFailed`), if any.
    public let underlying: (any Error)?

    public init(rank: Int, operation: String, kind: Kind, message: String,
                underlying: (any Error)? = nil) {
        self.rank = rank
        self.operation = operation
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "rank \(rank): \(operation): \(message)" }
}

/// A started non-blocking collective. `wait()` completes it (idempotent); a pending one that
/// is dropped is waited for in `deinit` (errors ignored) so that MPI never writes into a
/// buffer that its owner believes free.
public final class PendingCollective {
    private var waitBody: (() throws -> Void)?
    private let testBody: (() throws -> Bool)?
    private var failure: (any Error)?

    /// `wait` completes the operation; `test` (optional) reports completion without blocking
    /// and must make `wait` a no-op once it returned true.
    public init(wait: @escaping () throws -> Void, test: (() throws -> Bool)? = nil) {
        self.waitBody = wait
        self.testBody = test
    }

    /// An operation that completed when it was started.
    public static func completed() -> PendingCollective {
        PendingCollective(wait: {}, test: { true })
    }

    /// Whether `wait()` has returned (or `test()` found it complete).
    public var isComplete: Bool { waitBody == nil }

    /// Blocks until the operation completed on this rank; rethrows its failure (every time).
    public func wait() throws {
        if let failure { throw failure }
        guard let body = waitBody else { return }
        waitBody = nil
        do { try body() } catch { failure = error; throw error }
    }

    /// Progresses the operation without blocking; true once it completed.
    @discardableResult
    public func test() throws -> Bool {
        if let failure { throw failure }
        guard waitBody != nil else { return true }
        guard let testBody else { return false }
        do {
            if try testBody() { waitBody = nil; return true }
            return false
        } catch { failure = error; waitBody = nil; throw error }
    }

    deinit {
        if let body = waitBody { try? body() }
    }
}

/// A world of one: every collective is the identity (allgather copies).
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var hostName: String { HostName.current }
    public var ranksOnThisHost: Int { 1 }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try check(count: count, "allreduceSum(Float × \(count))")
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try check(count: count, "allreduceSum(Double × \(count))")
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws {
        try check(count: count, "allreduceSum(Int64 × \(count))")
    }
    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> PendingCollective {
        try check(count: count, "startAllreduceSum(Float × \(count))")
        return .completed()
    }
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        let op = "broadcast(\(bytes) bytes from rank \(root))"
        try check(count: bytes, op)
        guard root == 0 else {
            throw CommunicatorError(rank: 0, operation: op, kind: .invalidArgument,
                                    message: "root \(root) is outside the world of 1")
        }
    }
    public func barrier() throws {}
    public func allgather(_ send: UnsafeRawPointer, bytes: Int, into recv: UnsafeMutableRawPointer) throws {
        try check(count: bytes, "allgather(\(bytes) bytes)")
        if bytes > 0 { memmove(recv, send, bytes) }
    }
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
    public func finalize() throws {}

    private func check(count: Int, _ operation: @autoclosure () -> String) throws {
        guard count >= 0 else {
            throw CommunicatorError(rank: 0, operation: operation(), kind: .invalidArgument,
                                    message: "negative count")
        }
    }
}

enum HostName {
    /// gethostname(2), or "unknown".
    static var current: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(cString: buffer)
    }
}
