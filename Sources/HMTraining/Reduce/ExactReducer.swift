import CKernels
import Foundation
import HMAlgorithms
import HMComm
import HMCore

/// `--reproducible`: each step's batch and dreams are cut into `microBlocks` fixed blocks;
/// every rank computes whole blocks, each block's buffers are turned into int64 fixed point
/// and added exactly, and the integer allreduce is exact too — so the sums are the same bits
/// on any world size. Rows are concatenated in block order (each rank owns a contiguous run of
/// blocks, so gathering in rank order is the global block order).
final class ExactReducer: Reducer {
    let comm: Communicator
    let microBlocks: Int
    private var sums: [Int: FixedPointBuffer] = [:]
    private var rows: [Int: [[Float]]] = [:]
    private var rowCounts: [Int: Int] = [:]

    init(comm: Communicator, microBlocks: Int) {
        self.comm = comm
        self.microBlocks = microBlocks
    }

    var isExact: Bool { true }
    var overlapsSleep: Bool { false }

    func shares(batch: Int, dreams: Int) -> [(examples: Range<Int>, dreams: Range<Int>)] {
        evenShare(of: microBlocks, rank: comm.rank, size: comm.size).map {
            (evenShare(of: batch, rank: $0, size: microBlocks), evenShare(of: dreams, rank: $0, size: microBlocks))
        }
    }

    func begin() {
        for s in sums.values { s.zero() }
        rows = [:]
        rowCounts = [:]
    }

    func afterWake(_ exchanges: [Exchange]) throws -> PendingCollective? { nil }

    func absorb(_ exchanges: [Exchange]) throws {
        for (i, e) in exchanges.enumerated() {
            switch e.payload {
            case .floats(let p, let n): try buffer(i, n, e).add(p, e)
            case .doubles(let p, let n): try buffer(i, n, e).add(p, e)
            case .rows(let matrices, _):
                if rows[i] == nil { rows[i] = matrices.map { _ in [] } }
                for (k, m) in matrices.enumerated() { rows[i]![k] += m.array }
                rowCounts[i, default: 0] += matrices.first?.rows ?? 0
            }
        }
    }

    func finish(_ exchanges: [Exchange], timings: Set<Exchange.Timing>) throws {
        var gathered: [Exchange] = []
        for (i, e) in exchanges.enumerated() where timings.contains(e.timing) {
            switch e.payload {
            case .floats(let p, let n):
                let s = try buffer(i, n, e)
                try comm.allreduceSum(s.sums, count: n)
                s.store(into: p)
            case .doubles(let p, let n):
                let s = try buffer(i, n, e)
                try comm.allreduceSum(s.sums, count: n)
                s.store(into: p)
            case .rows(let matrices, let receive):
                let n = rowCounts[i] ?? 0, local = rows[i] ?? matrices.map { _ in [] }
                let joined = zip(matrices, local).map { m, values -> Matrix in
                    let out = Matrix(rows: n, cols: m.cols)
                    if !values.isEmpty { values.withUnsafeBufferPointer { out.data.update(from: $0.baseAddress!, count: values.count) } }
                    return out
                }
                if comm.size == 1 { receive(joined) }
                gathered.append(Exchange(name: e.name, payload: .rows(joined, receive: receive), timing: e.timing, bound: e.bound))
            }
        }
        if comm.size > 1 && !gathered.isEmpty { try RowGather.gather(gathered, comm: comm) }
    }

    private func buffer(_ i: Int, _ n: Int, _ e: Exchange) throws -> FixedPointBuffer {
        if let s = sums[i], s.count == n { return s }
        let s = FixedPointBuffer(count: n, bound: e.bound)
        sums[i] = s
        return s
    }
}

/// Exact sums in int64 fixed point: 2^40 per unit while the exchange's bound on the whole sum
/// allows (Bernoulli mean gradients are bounded by 1; Fisher sums by their sample count, up to
/// 2^21 at 2^40), fewer fractional bits for larger bounds, so that the sum stays below 2^61.
/// A value beyond that is an error naming the element, never a silent wrap.
final class FixedPointBuffer {
    static let limit = 0x1p61
    let sums: UnsafeMutablePointer<Int64>
    let count: Int
    let scale: Double

    init(count: Int, bound: Double) {
        self.count = count
        scale = Self.scale(bound: bound)
        sums = .allocate(capacity: max(count, 1))
        zero()
    }

    deinit { sums.deallocate() }

    /// 2^min(40, 61 − ⌈log₂ bound⌉).
    static func scale(bound: Double) -> Double {
        let bits = Int(ceil(log2(max(bound, 1))))
        return pow(2, Double(min(40, 61 - bits)))
    }

    func zero() { sums.update(repeating: 0, count: count) }

    func add(_ g: UnsafeMutablePointer<Float>, _ e: Exchange) throws {
        let bad = hm_accumulate_fixed(g, sums, Int64(count), scale, Self.limit)
        if bad >= 0 { throw overflow(e, Int(bad), Double(g[Int(bad)])) }
    }

    func add(_ g: UnsafeMutablePointer<Double>, _ e: Exchange) throws {
        for i in 0..<count {
            let v = g[i] * scale
            guard abs(v) <= Self.limit else { throw overflow(e, i, g[i]) }
            sums[i] &+= Int64(v.rounded())
        }
    }

    func store(into g: UnsafeMutablePointer<Float>) { hm_from_fixed(sums, g, Int64(count), scale) }
    func store(into g: UnsafeMutablePointer<Double>) { for i in 0..<count { g[i] = Double(sums[i]) / scale } }

    func overflow(_ e: Exchange, _ i: Int, _ v: Double) -> FixedPointOverflow {
        FixedPointOverflow(message: "the exact (--reproducible) sum of the \(e.label(i)) cannot hold \(v): fixed point 2^\(Int(log2(scale))) per unit holds |values| up to \(Self.limit / scale) (the exchange's bound is \(e.bound))")
    }
}

struct FixedPointOverflow: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
