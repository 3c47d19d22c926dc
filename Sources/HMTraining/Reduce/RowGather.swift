import HMAlgorithms
import HMComm
import HMCore

/// Gathers row exchanges across ranks: every rank's rows of every matrix, in rank order, by
/// one allgather for all of them, each rank's rows padded to a fixed slot (the largest share:
/// shares differ by at most one data point or dream). The row counts travel first, in a small
/// allgather of their own. Each exchange's `receive` then gets the whole.
enum RowGather {
    static func gather(_ exchanges: [Exchange], comm: Communicator) throws {
        let sets: [(matrices: [Matrix], receive: ([Matrix]) -> Void)] = exchanges.compactMap {
            if case .rows(let m, let receive) = $0.payload { return (m, receive) } else { return nil }
        }
        guard !sets.isEmpty else { return }
        let size = comm.size, n = sets.count
        var mine = sets.map { Int64($0.matrices.first?.rows ?? 0) }
        var counts = [Int64](repeating: 0, count: n * size)
        try mine.withUnsafeMutableBytes { m in
            try counts.withUnsafeMutableBytes { try comm.allgather(m.baseAddress!, bytes: m.count, into: $0.baseAddress!) }
        }
        func rows(_ rank: Int, _ l: Int) -> Int { Int(counts[rank * n + l]) }
        let slots = (0..<n).map { l in (0..<size).map { rows($0, l) }.max()! }
        // One rank's record: for each set, slot rows of its first matrix, then of the next, …
        var offsets = [Int](), record = 0
        for (l, s) in sets.enumerated() {
            offsets.append(record)
            record += slots[l] * s.matrices.reduce(0) { $0 + $1.cols }
        }
        let send = Matrix(rows: 1, cols: max(record, 1))
        for (l, s) in sets.enumerated() {
            var at = send.data + offsets[l]
            for m in s.matrices {
                if m.rows > 0 { at.update(from: m.data, count: m.rows * m.cols) }
                at += slots[l] * m.cols
            }
        }
        let all = Matrix(rows: size, cols: max(record, 1))
        if record > 0 { try comm.allgather(send.data, bytes: record * MemoryLayout<Float>.stride, into: all.data) }
        for (l, s) in sets.enumerated() {
            let total = (0..<size).map { rows($0, l) }.reduce(0, +)
            let out = s.matrices.map { Matrix(rows: total, cols: $0.cols) }
            var at = 0
            for r in 0..<size {
                let k = rows(r, l)
                var from = UnsafePointer(all.data + r * all.cols + offsets[l])
                for (m, o) in zip(s.matrices, out) {
                    if k > 0 { (o.data + at * m.cols).update(from: from, count: k * m.cols) }
                    from += slots[l] * m.cols
                }
                at += k
            }
            s.receive(out)
        }
    }
}

/// The work the ranks split after the sum (`TrainingAlgorithm.ownedSegments`): after each rank
/// has computed its segments, one allgather (each rank's values padded to the largest share)
/// gives every rank all of them. The segments and buffers are set up on the first step and kept.
final class SegmentGather {
    private var segments: [[UnsafeMutableBufferPointer<Float>]] = []
    private var slot = 0
    private var send = Matrix(rows: 1, cols: 1)
    private var all = Matrix(rows: 1, cols: 1)

    func run(_ algorithm: TrainingAlgorithm, comm: Communicator) throws {
        guard comm.size > 1 else { return }
        if segments.isEmpty {
            guard let first = algorithm.ownedSegments(rank: 0) else { return }
            segments = [first] + (1..<comm.size).map { algorithm.ownedSegments(rank: $0) ?? [] }
            slot = segments.map { $0.reduce(0) { $0 + $1.count } }.max() ?? 0
            send = Matrix(rows: 1, cols: max(slot, 1))
            all = Matrix(rows: comm.size, cols: max(slot, 1))
        }
        guard slot > 0 else { return }
        var at = send.data
        for s in segments[comm.rank] {
            at.update(from: s.baseAddress!, count: s.count)
            at += s.count
        }
        try comm.allgather(send.data, bytes: slot * MemoryLayout<Float>.stride, into: all.data)
        for rank in 0..<comm.size where rank != comm.rank {
            var from = UnsafePointer(all.data + rank * all.cols)
            for s in segments[rank] {
                s.baseAddress!.update(from: from, count: s.count)
                from += s.count
            }
        }
    }
}
