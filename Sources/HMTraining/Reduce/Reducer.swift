import HMAlgorithms
import HMComm
import HMCore

/// How a step's exchanges are combined across ranks. The engine runs one sequence for every
/// algorithm and reducer: the reducer decides which shares of the step this rank computes and
/// how their buffers are summed.
protocol Reducer: AnyObject {
    /// Whether sums are exact (then the result does not depend on the world size).
    var isExact: Bool { get }
    /// Whether the `.duringSleep` buffers travel while the sleep phase computes (`afterWake`).
    var overlapsSleep: Bool { get }
    /// This rank's shares of a step of `batch` points and `dreams` dreams (global ranges).
    func shares(batch: Int, dreams: Int) -> [(examples: Range<Int>, dreams: Range<Int>)]
    /// Before a step's first share.
    func begin()
    /// After a share's wake phase, when `overlapsSleep`: starts what may travel during the
    /// sleep phase; returns the last collective started, to be progressed during it.
    func afterWake(_ exchanges: [Exchange]) throws -> PendingCollective?
    /// After a share's phases: takes in its part of every exchange.
    func absorb(_ exchanges: [Exchange]) throws
    /// Combines the exchanges with the given timings across ranks, into the buffers of
    /// `exchanges` (the last share's).
    func finish(_ exchanges: [Exchange], timings: Set<Exchange.Timing>) throws
}

/// Floating-point sums, one share per rank: the generative gradients travel (non-blocking)
/// while the sleep phase computes; the rest is summed after it. Results differ between world
/// sizes by summation order only.
final class PlainReducer: Reducer {
    let comm: Communicator
    private var pending: [PendingCollective] = []

    init(comm: Communicator) { self.comm = comm }

    var isExact: Bool { false }
    var overlapsSleep: Bool { true }

    func shares(batch: Int, dreams: Int) -> [(examples: Range<Int>, dreams: Range<Int>)] {
        [(evenShare(of: batch, rank: comm.rank, size: comm.size), evenShare(of: dreams, rank: comm.rank, size: comm.size))]
    }

    func begin() { pending = [] }

    func afterWake(_ exchanges: [Exchange]) throws -> PendingCollective? {
        for e in exchanges where e.timing == .duringSleep {
            guard case .floats(let p, let n) = e.payload else { preconditionFailure("\(e.name): only floats travel during the sleep phase") }
            pending.append(try comm.startAllreduceSum(p, count: n))
        }
        return pending.last
    }

    func absorb(_ exchanges: [Exchange]) throws {}

    func finish(_ exchanges: [Exchange], timings: Set<Exchange.Timing>) throws {
        var rows: [Exchange] = []
        for e in exchanges where timings.contains(e.timing) && e.timing != .duringSleep {
            switch e.payload {
            case .floats(let p, let n): try comm.allreduceSum(p, count: n)
            case .doubles(let p, let n): if comm.size > 1 { try comm.allreduceSum(p, count: n) }
            case .rows: rows.append(e)
            }
        }
        if timings.contains(.duringSleep) {
            for p in pending { try p.wait() }
            pending = []
        }
        if comm.size > 1 && !rows.isEmpty { try RowGather.gather(rows, comm: comm) }
    }
}
