import HMAlgorithms
import HMComm
import HMCore

/// The communication of a natural-gradient statistics step (DESIGN §3), between
/// `NaturalPreconditioner.accumulate` (this rank's share) and `factor` (the global F):
/// - direct layers: the packed float64 sums and the count, `blocks[k].buffer`, summed in
///   place by one allreduce per layer (the prior's exact blocks too: every rank holds the
///   same, so their mean is unchanged);
/// - Woodbury layers: the samples (parents [n_r, fanIn], Fisher weights [n_r, units]) of every
///   rank, gathered in rank order — which is the global sample order, since each rank's share
///   is a contiguous range of the step's global indices — by one allgather for all layers, each
///   rank's rows padded to a fixed slot (the largest share: shares differ by at most one data
///   point or dream). The row counts travel first, in a small allgather of their own.
/// After it every rank holds the same sums and samples, so every rank factors the same F.
enum FisherReduction {
    static func reduce(_ p: NaturalPreconditioner, comm: Communicator) throws {
        guard comm.size > 1 else { return }
        for b in p.blocks { try comm.allreduceSum(b.buffer, count: b.bufferCount) }

        let layers = p.woodburySamples
        guard !layers.isEmpty else { return }
        let size = comm.size, n = layers.count
        var mine = layers.map { Int64($0.parents.rows) }
        var counts = [Int64](repeating: 0, count: n * size)
        try mine.withUnsafeMutableBytes { m in
            try counts.withUnsafeMutableBytes { try comm.allgather(m.baseAddress!, bytes: m.count, into: $0.baseAddress!) }
        }
        func rows(_ rank: Int, _ l: Int) -> Int { Int(counts[rank * n + l]) }
        let slots = (0..<n).map { l in (0..<size).map { rows($0, l) }.max()! }
        let widths = layers.map { $0.parents.cols + $0.weights.cols }
        // One rank's record: for each layer, slot rows of parents, then slot rows of weights.
        var offsets = [Int](), record = 0
        for l in 0..<n { offsets.append(record); record += slots[l] * widths[l] }
        guard record > 0 else { return }
        let send = Matrix(rows: 1, cols: record)
        for (l, s) in layers.enumerated() {
            let base = send.data + offsets[l], k = s.parents.rows
            if k > 0 {
                base.update(from: s.parents.data, count: k * s.parents.cols)
                (base + slots[l] * s.parents.cols).update(from: s.weights.data, count: k * s.weights.cols)
            }
        }
        let all = Matrix(rows: size, cols: record)
        try comm.allgather(send.data, bytes: record * MemoryLayout<Float>.stride, into: all.data)
        for (l, s) in layers.enumerated() {
            let fanIn = s.parents.cols, units = s.weights.cols
            let total = (0..<size).map { rows($0, l) }.reduce(0, +)
            let parents = Matrix(rows: total, cols: fanIn), weights = Matrix(rows: total, cols: units)
            var at = 0
            for r in 0..<size {
                let k = rows(r, l), base = all.data + r * record + offsets[l]
                if k > 0 {
                    (parents.data + at * fanIn).update(from: base, count: k * fanIn)
                    (weights.data + at * units).update(from: base + slots[l] * fanIn, count: k * units)
                }
                at += k
            }
            precondition(total == p.plans.first { $0.name == s.name }?.samples,
                         "\(s.name): \(total) gathered Fisher samples, the plan counts \(p.plans.first { $0.name == s.name }?.samples ?? -1)")
            p.setWoodburySamples(name: s.name, parents: parents, weights: weights)
        }
    }
}
