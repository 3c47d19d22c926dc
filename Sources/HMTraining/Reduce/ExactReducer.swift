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
///
/// An exchange with no finite bound (unbounded gradients) has no scale known in advance: its
/// blocks are kept as they are until `finish`, where the ranks agree on the step's scale from
/// the largest |value| of any block (see `agreedBounds`), then converted in block order.
final class ExactReducer: Reducer {
    let comm: Communicator
    let microBlocks: Int
    private var sums: [Int: FixedPointBuffer] = [:]
    /// This rank's blocks of the unbounded exchanges, in block order, until `finish`.
    private var kept: [Int: [KeptBlock]] = [:]
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
        kept = [:]
        rows = [:]
        rowCounts = [:]
    }

    func afterWake(_ exchanges: [Exchange]) throws -> PendingCollective? { nil }

    func absorb(_ exchanges: [Exchange]) throws {
        for (i, e) in exchanges.enumerated() {
            switch e.payload {
            case .floats(let p, let n) where !e.bound.isFinite: kept[i, default: []].append(.floats(Array(UnsafeBufferPointer(start: p, count: n))))
            case .doubles(let p, let n) where !e.bound.isFinite: kept[i, default: []].append(.doubles(Array(UnsafeBufferPointer(start: p, count: n))))
            case .floats(let p, let n): try buffer(i, n, bound: e.bound).add(p, e)
            case .doubles(let p, let n): try buffer(i, n, bound: e.bound).add(p, e)
            case .rows(let matrices, _):
                if rows[i] == nil { rows[i] = matrices.map { _ in [] } }
                for (k, m) in matrices.enumerated() { rows[i]![k] += m.array }
                rowCounts[i, default: 0] += matrices.first?.rows ?? 0
            }
        }
    }

    func finish(_ exchanges: [Exchange], timings: Set<Exchange.Timing>) throws {
        let agreed = try agreedBounds(exchanges, timings)
        var gathered: [Exchange] = []
        for (i, e) in exchanges.enumerated() where timings.contains(e.timing) {
            switch e.payload {
            case .floats(let p, let n): try summed(i, n, e, bound: agreed[i] ?? e.bound).store(into: p)
            case .doubles(let p, let n): try summed(i, n, e, bound: agreed[i] ?? e.bound).store(into: p)
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

    /// The bound of each unbounded summed exchange for this step: `microBlocks` × its largest
    /// |value| over every block of every rank, agreed in one allgather (a Double per exchange
    /// per rank). That maximum does not depend on how the blocks are spread over ranks, so
    /// neither does the scale; and the whole sum stays below 2^61 (`FixedPointBuffer.scale`).
    private func agreedBounds(_ exchanges: [Exchange], _ timings: Set<Exchange.Timing>) throws -> [Int: Double] {
        let ids = exchanges.indices.filter { i in
            if case .rows = exchanges[i].payload { return false }
            return timings.contains(exchanges[i].timing) && !exchanges[i].bound.isFinite
        }
        guard !ids.isEmpty else { return [:] }
        // Beyond this, microBlocks × the maximum is no longer a finite bound.
        let limit = Double.greatestFiniteMagnitude / Double(microBlocks)
        let mine = try ids.map { i in try (kept[i] ?? []).reduce(0.0) { max($0, try $1.largest(exchanges[i], limit: limit)) } }
        var all = [Double](repeating: 0, count: ids.count * comm.size)
        try mine.withUnsafeBytes { m in
            try all.withUnsafeMutableBytes { try comm.allgather(m.baseAddress!, bytes: m.count, into: $0.baseAddress!) }
        }
        return Dictionary(uniqueKeysWithValues: ids.enumerated().map { k, i in
            (i, Double(microBlocks) * stride(from: k, to: all.count, by: ids.count).map { all[$0] }.max()!)
        })
    }

    /// Exchange `i` summed across ranks (an unbounded one's kept blocks converted first).
    private func summed(_ i: Int, _ n: Int, _ e: Exchange, bound: Double) throws -> FixedPointBuffer {
        let s = buffer(i, n, bound: bound)
        for block in kept.removeValue(forKey: i) ?? [] { try block.add(to: s, e) }
        try comm.allreduceSum(s.sums, count: n)
        return s
    }

    /// The buffer of exchange `i`, kept across steps while its size and scale stay the same.
    private func buffer(_ i: Int, _ n: Int, bound: Double) -> FixedPointBuffer {
        if let s = sums[i], s.count == n, s.scale == FixedPointBuffer.scale(bound: bound) { return s }
        let s = FixedPointBuffer(count: n, bound: bound)
        sums[i] = s
        return s
    }
}

/// One micro-block's values of an unbounded exchange, as the algorithm gave them.
private enum KeptBlock {
    case floats([Float])
    case doubles([Double])

    /// The largest |value|; a value beyond `limit` (or NaN) is an error naming its element.
    func largest(_ e: Exchange, limit: Double) throws -> Double {
        switch self {
        case .floats(let v): try Self.largest(v, e, limit)
        case .doubles(let v): try Self.largest(v, e, limit)
        }
    }

    private static func largest<T: BinaryFloatingPoint>(_ values: [T], _ e: Exchange, _ limit: Double) throws -> Double {
        var m = 0.0
        for (i, v) in values.enumerated() {
            let a = abs(Double(v))
            guard a <= limit else {
                throw FixedPointOverflow(message: "the exact (--reproducible) sum of the \(e.label(i)) cannot hold \(v): an unbounded exchange is scaled by its largest |value|, which must be finite (at most \(limit))")
            }
            m = max(m, a)
        }
        return m
    }

    func add(to s: FixedPointBuffer, _ e: Exchange) throws {
        switch self {
        case .floats(let v): try s.add(v, e)
        case .doubles(let v): try s.add(v, e)
        }
    }
}

/// Exact sums in int64 fixed point: 2^40 per unit while the exchange's bound on the whole sum
/// allows (Bernoulli mean gradients are bounded by 1; Fisher sums by their sample count, up to
/// 2^21 at 2^40; an unbounded exchange by the step's agreed bound), fewer fractional bits for
/// larger bounds, so that the sum stays below 2^61.
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

    func add(_ g: UnsafePointer<Float>, _ e: Exchange) throws {
        let bad = hm_accumulate_fixed(g, sums, Int64(count), scale, Self.limit)
        if bad >= 0 { throw overflow(e, Int(bad), Double(g[Int(bad)])) }
    }

    func add(_ g: UnsafePointer<Double>, _ e: Exchange) throws {
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
