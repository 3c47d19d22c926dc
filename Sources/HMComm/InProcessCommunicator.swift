import Foundation

/// N ranks as threads of one process (`hm-dist train --ranks N`, and the tests): the same
/// collectives with the same semantics as MPI, so the distributed path runs without `mpirun`.
///
/// ```
/// try InProcessWorld.run(size: 4) { comm in
///     try comm.allreduceSum(gradients, count: n)
/// }
/// ```
///
/// - Sums are taken in rank order 0, 1, …, N−1 for every element, on whichever thread
///   computes it: the result is deterministic and bit-identical on every rank.
/// - A rank whose body throws, or that calls `abort`, aborts the world: every rank waiting in
///   a collective, and every later collective, throws `CommunicatorError` at once
///   (`.worldAborted`); `run` throws the error of the first rank that failed ("rank 1: …").
/// - A rank whose body returns while another waits in a collective cannot ever complete that
///   collective: the waiting rank throws (`.mismatch`) instead of hanging. Ranks that call
///   different collectives, or the same with different counts or roots, throw likewise.
/// - `abort` marks the world aborted and then ends only its own thread (`pthread_exit`): it
///   returns `Never`, and killing the process would kill the test runner. Swift cleanups of
///   that thread's frames (defers, releases) do not run, so whatever the thread's stack
///   owned leaks; locks it held stay held. Use `throw` where you can; `abort` is for the
///   paths that mirror MPI_Abort.
/// - Non-blocking allreduces complete when started (eagerly); `wait()` then returns at once.
public enum InProcessWorld {
    /// Starts `size` threads (8 MiB stacks), calls `body` on each with that rank's
    /// communicator, waits for all, and returns the bodies' results in rank order. Throws
    /// the first failing rank's error (`CommunicatorError`, `.rankFailed`, with the body's
    /// error as `underlying`).
    @discardableResult
    public static func run<T>(size: Int, stackSize: Int = 8 << 20,
                              body: @escaping (Communicator) throws -> T) throws -> [T] {
        guard size >= 1 else {
            throw CommunicatorError(rank: 0, operation: "InProcessWorld.run", kind: .invalidArgument,
                                    message: "the world size must be at least 1, not \(size)")
        }
        let shared = SharedWorld(size: size)
        let results = Results<T>(size: size)
        for rank in 0..<size {
            let comm = InProcessCommunicator(world: shared, rank: rank)
            let thread = Thread {
                var failure: (any Error)?
                do {
                    results.set(rank, try body(comm))
                } catch {
                    failure = error
                }
                shared.leave(rank: rank, failure: failure)
            }
            thread.stackSize = stackSize
            thread.name = "hm-dist rank \(rank)"
            thread.start()
        }
        shared.waitForAllToLeave()
        if let first = shared.firstFailure { throw first }
        return results.all()
    }

    /// The bodies' results, written by the rank threads.
    private final class Results<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [T?]
        init(size: Int) { values = Array(repeating: nil, count: size) }
        func set(_ rank: Int, _ value: T) { lock.lock(); values[rank] = value; lock.unlock() }
        func all() -> [T] { lock.lock(); defer { lock.unlock() }; return values.map { $0! } }
    }
}

/// One rank of an `InProcessWorld`. Use it from that rank's thread only.
public final class InProcessCommunicator: Communicator {
    public let rank: Int
    public var size: Int { world.size }
    public let hostName: String
    /// Every rank is a thread of this process.
    public var ranksOnThisHost: Int { world.size }
    let world: SharedWorld
    /// Per-rank scratch for the blocked rank-order sum, reused across calls.
    private let scratch = UnsafeMutableRawPointer.allocate(byteCount: SharedWorld.block * 8, alignment: 64)

    init(world: SharedWorld, rank: Int) {
        self.world = world
        self.rank = rank
        self.hostName = HostName.current
    }

    deinit { scratch.deallocate() }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try reduce(buffer, count: count, "allreduceSum(Float × \(count))")
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try reduce(buffer, count: count, "allreduceSum(Double × \(count))")
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws {
        try reduce(buffer, count: count, "allreduceSum(Int64 × \(count))")
    }

    /// Completes at once (the world's collectives are synchronous); `wait()` returns at once.
    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> PendingCollective {
        try reduce(buffer, count: count, "startAllreduceSum(Float × \(count))")
        return .completed()
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        let op = "broadcast(\(bytes) bytes from rank \(root))"
        try checkCount(bytes, op)
        guard (0..<size).contains(root) else {
            throw CommunicatorError(rank: rank, operation: op, kind: .invalidArgument,
                                    message: "root \(root) is outside the world of \(size)")
        }
        try world.collective(rank: rank, signature: .init(kind: "broadcast", count: bytes, root: root),
                             operation: op, pointer: buffer) { slots in
            if self.rank != root, bytes > 0 { memcpy(buffer, slots[root]!, bytes) }
        }
    }

    public func barrier() throws {
        try world.collective(rank: rank, signature: .init(kind: "barrier", count: 0, root: 0),
                             operation: "barrier", pointer: nil) { _ in }
    }

    public func allgather(_ send: UnsafeRawPointer, bytes: Int, into recv: UnsafeMutableRawPointer) throws {
        let op = "allgather(\(bytes) bytes)"
        try checkCount(bytes, op)
        try world.collective(rank: rank, signature: .init(kind: "allgather", count: bytes, root: 0),
                             operation: op, pointer: UnsafeMutableRawPointer(mutating: send)) { slots in
            guard bytes > 0 else { return }
            for r in 0..<self.size { memcpy(recv + r * bytes, slots[r]!, bytes) }
        }
    }

    /// Marks the world aborted with "message" (the first failure is what `run` throws), then
    /// ends this thread with `pthread_exit`; see `InProcessWorld` for what that leaves behind.
    public func abort(_ message: String, code: Int32) -> Never {
        let error = CommunicatorError(rank: rank, operation: "abort(code \(code))", kind: .rankFailed,
                                      message: message)
        world.leave(rank: rank, failure: error)
        pthread_exit(nil)
    }

    public func finalize() throws {}

    // MARK: Sum in rank order

    /// Every rank publishes its buffer; rank k then sums the k-th slice of the elements over
    /// all ranks' buffers, in rank order, block by block into its scratch, and writes the
    /// sums into every rank's buffer. Slices are disjoint, so no element is read by one
    /// thread while another writes it; the second barrier inside `collective` keeps the
    /// buffers alive until every slice is done.
    private func reduce<S: RankSummable>(_ buffer: UnsafeMutablePointer<S>, count: Int, _ op: String) throws {
        try checkCount(count, op)
        let kind = "allreduceSum(\(S.self))"
        try world.collective(rank: rank, signature: .init(kind: kind, count: count, root: 0),
                             operation: op, pointer: UnsafeMutableRawPointer(buffer)) { slots in
            let n = self.size
            let per = (count + n - 1) / n
            let lo = min(count, self.rank * per), hi = min(count, lo + per)
            let buffers = (0..<n).map { slots[$0]!.assumingMemoryBound(to: S.self) }
            let tmp = self.scratch.bindMemory(to: S.self, capacity: SharedWorld.block)
            var start = lo
            while start < hi {
                let m = min(SharedWorld.block, hi - start)
                let bytes = m * MemoryLayout<S>.stride
                memcpy(tmp, buffers[0] + start, bytes)
                for r in 1..<n {
                    let src = buffers[r] + start
                    for j in 0..<m { tmp[j] = S.summing(tmp[j], src[j]) }
                }
                for r in 0..<n { memcpy(buffers[r] + start, tmp, bytes) }
                start += m
            }
        }
    }

    private func checkCount(_ count: Int, _ op: String) throws {
        guard count >= 0 else {
            throw CommunicatorError(rank: rank, operation: op, kind: .invalidArgument,
                                    message: "negative count \(count)")
        }
    }
}

/// The state the ranks of one in-process world share: a generation-counted barrier (mutex +
/// condition variable), the pointers and signatures the ranks publish for the current
/// collective, and the abort state.
final class SharedWorld {
    /// Elements per block of the rank-order sum (scratch is `block` × 8 bytes per rank).
    static let block = 4096

    struct Signature: Equatable {
        var kind: String
        var count: Int
        var root: Int
        var text: String { kind == "barrier" ? "barrier" : "\(kind) count \(count) root \(root)" }
    }

    let size: Int
    private let condition = NSCondition()
    private var generation = 0
    private var arrived = 0
    private var slots: [UnsafeMutableRawPointer?]
    private var signatures: [Signature?]
    /// Ranks whose thread has ended (returned, thrown or aborted).
    private var left = 0
    private var leftRanks: [Int] = []
    /// Set once, by the first rank that fails; what every waiting rank reports.
    private(set) var firstFailure: CommunicatorError?

    init(size: Int) {
        self.size = size
        slots = Array(repeating: nil, count: size)
        signatures = Array(repeating: nil, count: size)
    }

    /// A collective: publish `pointer`, barrier, check that every rank called the same
    /// collective, run `work` with everyone's pointers, barrier. Throws when the world is or
    /// becomes aborted, or when the ranks disagree.
    func collective(rank: Int, signature: Signature, operation: String,
                    pointer: UnsafeMutableRawPointer?,
                    work: ([UnsafeMutableRawPointer?]) throws -> Void) throws {
        condition.lock()
        slots[rank] = pointer
        signatures[rank] = signature
        condition.unlock()
        try arriveAndWait(rank: rank, operation: operation)

        // Everyone has published and nobody publishes again before the second barrier.
        condition.lock()
        let published = slots
        let all = signatures
        condition.unlock()
        if let other = all.firstIndex(where: { $0 != signature }) {
            // Every rank sees the same disagreement and throws; nobody reads a slot.
            let error = CommunicatorError(
                rank: rank, operation: operation, kind: .mismatch,
                message: "the ranks called different collectives: rank \(rank) \(signature.text), rank \(other) \(all[other]?.text ?? "nothing")")
            fail(error)
            throw error
        }
        try work(published)
        try arriveAndWait(rank: rank, operation: operation)
    }

    /// The generation-counted barrier.
    private func arriveAndWait(rank: Int, operation: String) throws {
        guard size > 1 else {
            condition.lock()
            defer { condition.unlock() }
            if let error = abortedError(rank: rank, operation: operation) { throw error }
            return
        }
        condition.lock()
        defer { condition.unlock() }
        if let error = abortedError(rank: rank, operation: operation) { throw error }
        let mine = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation &+= 1
            condition.broadcast()
            return
        }
        while generation == mine {
            if let error = abortedError(rank: rank, operation: operation) { throw error }
            if left > 0 {
                // A rank that has left never arrives: this barrier can never complete.
                let error = CommunicatorError(
                    rank: rank, operation: operation, kind: .mismatch,
                    message: "rank \(leftRanks[0]) has left the world (its body returned) while rank \(rank) waits in \(operation); the collective can never complete")
                failLocked(error)
                throw error
            }
            condition.wait()
        }
    }

    private func abortedError(rank: Int, operation: String) -> CommunicatorError? {
        guard let first = firstFailure else { return nil }
        return CommunicatorError(rank: rank, operation: operation, kind: .worldAborted(byRank: first.rank),
                                 message: "the world was aborted by rank \(first.rank): \(first.message)")
    }

    private func fail(_ error: CommunicatorError) {
        condition.lock()
        failLocked(error)
        condition.unlock()
    }

    private func failLocked(_ error: CommunicatorError) {
        if firstFailure == nil { firstFailure = error }
        condition.broadcast()
    }

    /// A rank's thread ends, with its body's error if it threw (or its abort).
    func leave(rank: Int, failure: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        if let failure, firstFailure == nil {
            if let error = failure as? CommunicatorError, error.kind == .rankFailed {
                firstFailure = error
            } else if let error = failure as? CommunicatorError {
                // A rank that throws its collective's error reports it as its own failure.
                firstFailure = CommunicatorError(rank: rank, operation: "body", kind: .rankFailed,
                                                 message: error.description, underlying: error)
            } else {
                firstFailure = CommunicatorError(rank: rank, operation: "body", kind: .rankFailed,
                                                 message: String(describing: failure), underlying: failure)
            }
        }
        left += 1
        leftRanks.append(rank)
        condition.broadcast()
    }

    func waitForAllToLeave() {
        condition.lock()
        while left < size { condition.wait() }
        condition.unlock()
    }
}

/// The element types the in-process world sums: floating point as IEEE addition, integers
/// wrapping (as MPI's C sum does in practice).
protocol RankSummable {
    static func summing(_ a: Self, _ b: Self) -> Self
}
extension Float: RankSummable {
    @inline(__always) static func summing(_ a: Float, _ b: Float) -> Float { a + b }
}
extension Double: RankSummable {
    @inline(__always) static func summing(_ a: Double, _ b: Double) -> Double { a + b }
}
extension Int64: RankSummable {
    @inline(__always) static func summing(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
}
