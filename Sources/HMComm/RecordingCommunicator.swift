import Foundation

/// A communicator that passes every collective on to another and, while `isRecording`, tallies
/// them by kind and size: what a stretch of work sends, for a cost model of the network
/// (`bench --json`'s `collectives`). Knows the calls, not what the numbers mean.
public final class RecordingCommunicator: Communicator {
    /// Calls of one operation with one size: `bytes` is this rank's contribution (the whole
    /// buffer for a sum or a broadcast, the send buffer for an allgather).
    public struct Tally: Codable, Sendable, Equatable {
        public var operation: String
        public var bytes: Int
        public var count: Int
    }

    public let inner: Communicator
    public var isRecording = false
    /// In the order each kind was first seen.
    public private(set) var tallies: [Tally] = []

    public init(_ inner: Communicator) { self.inner = inner }

    public func reset() { tallies = [] }

    func note(_ operation: String, _ bytes: Int) {
        guard isRecording else { return }
        if let i = tallies.firstIndex(where: { $0.operation == operation && $0.bytes == bytes }) {
            tallies[i].count += 1
        } else {
            tallies.append(Tally(operation: operation, bytes: bytes, count: 1))
        }
    }

    public var rank: Int { inner.rank }
    public var size: Int { inner.size }
    public var hostName: String { inner.hostName }
    public var ranksOnThisHost: Int { inner.ranksOnThisHost }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        note("allreduce", count * 4)
        try inner.allreduceSum(buffer, count: count)
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        note("allreduce", count * 8)
        try inner.allreduceSum(buffer, count: count)
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws {
        note("allreduce", count * 8)
        try inner.allreduceSum(buffer, count: count)
    }
    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> PendingCollective {
        note("allreduce", count * 4)
        return try inner.startAllreduceSum(buffer, count: count)
    }
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        note("broadcast", bytes)
        try inner.broadcast(buffer, bytes: bytes, root: root)
    }
    public func barrier() throws {
        note("barrier", 0)
        try inner.barrier()
    }
    public func allgather(_ send: UnsafeRawPointer, bytes: Int, into recv: UnsafeMutableRawPointer) throws {
        note("allgather", bytes)
        try inner.allgather(send, bytes: bytes, into: recv)
    }
    public func abort(_ message: String, code: Int32) -> Never { inner.abort(message, code: code) }
    public func finalize() throws { try inner.finalize() }
}
