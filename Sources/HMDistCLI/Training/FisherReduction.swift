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
        try gatherWoodbury(p, comm: comm)
    }

    /// Replaces every Woodbury layer's samples by those of all ranks, in rank order.
    static func gatherWoodbury(_ p: NaturalPreconditioner, comm: Communicator) throws {
        let layers = p.woodburySamples
        guard comm.size > 1, !layers.isEmpty else { return }
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

/// `--reproducible` statistics: the Fisher of a step summed so that it does not depend on the
/// world size at all. Each fixed micro-block's direct-layer sums (float64, the same bits on
/// any world size, since a micro-block is computed alone) are turned into int64 fixed point
/// (2⁴⁰ per unit; a sum of N samples is at most N/4, so up to 2²⁵ samples per step fit) and
/// added exactly, then summed across ranks by an integer allreduce; Woodbury layers' samples
/// are concatenated in micro-block order (each rank owns a contiguous run of blocks, so the
/// gather in rank order is the global block order).
final class FisherFixedPoint {
    static let scale = 0x1p40
    var sums: [[Int64]] = []
    var samples: [(name: String, parents: [Float], weights: [Float], rows: Int, fanIn: Int, units: Int)] = []

    /// Adds the preconditioner's state after an `accumulate` of one micro-block.
    func add(_ p: NaturalPreconditioner) {
        let blocks = p.blocks
        if sums.isEmpty { sums = blocks.map { [Int64](repeating: 0, count: $0.bufferCount) } }
        precondition(sums.count == blocks.count, "the micro-blocks chose different solvers")
        for (k, b) in blocks.enumerated() {
            precondition(sums[k].count == b.bufferCount, "\(b.name): buffer sizes differ between micro-blocks")
            let scale = FisherFixedPoint.scale
            sums[k].withUnsafeMutableBufferPointer { s in
                for i in 0..<b.bufferCount { s[i] &+= Int64((b.buffer[i] * scale).rounded()) }
            }
        }
        let layers = p.woodburySamples
        if samples.isEmpty {
            samples = layers.map { ($0.name, [], [], 0, $0.parents.cols, $0.weights.cols) }
        }
        precondition(samples.map(\.name) == layers.map(\.name), "the micro-blocks chose different solvers")
        for (l, s) in layers.enumerated() {
            samples[l].parents += s.parents.array
            samples[l].weights += s.weights.array
            samples[l].rows += s.parents.rows
        }
    }

    /// Sums across ranks and stores the totals into the preconditioner (whose layout is that
    /// of the last `add`), ready for `factor`.
    func reduce(into p: NaturalPreconditioner, comm: Communicator) throws {
        let blocks = p.blocks
        for (k, b) in blocks.enumerated() {
            try sums[k].withUnsafeMutableBufferPointer { s in
                try comm.allreduceSum(s.baseAddress!, count: s.count)
                for i in 0..<b.bufferCount { b.buffer[i] = Double(s[i]) / FisherFixedPoint.scale }
            }
        }
        for s in samples {
            let parents = Matrix(rows: s.rows, cols: s.fanIn), weights = Matrix(rows: s.rows, cols: s.units)
            if !s.parents.isEmpty { s.parents.withUnsafeBufferPointer { parents.data.update(from: $0.baseAddress!, count: $0.count) } }
            if !s.weights.isEmpty { s.weights.withUnsafeBufferPointer { weights.data.update(from: $0.baseAddress!, count: $0.count) } }
            p.setWoodburySamples(name: s.name, parents: parents, weights: weights)
        }
        try FisherReduction.gatherWoodbury(p, comm: comm)
    }
}

/// The natural gradient's solves shared out over the ranks (`NaturalPreconditioner.share`):
/// after each rank has solved its units, one allgather of every rank's `solvedSegments` (each
/// rank's values padded to the largest share) gives every rank the whole preconditioned
/// gradient. The segments (fixed views of the store) and the buffers are set up on the
/// first step and kept.
final class SolvedGather {
    private var segments: [[UnsafeMutableBufferPointer<Float>]] = []
    private var slot = 0
    private var send = Matrix(rows: 1, cols: 1)
    private var all = Matrix(rows: 1, cols: 1)

    func run(_ p: NaturalPreconditioner, comm: Communicator) throws {
        guard comm.size > 1 else { return }
        if segments.isEmpty {
            segments = (0..<comm.size).map { p.solvedSegments(rank: $0) }
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
            var from = UnsafePointer(all.data + rank * slot)
            for s in segments[rank] {
                s.baseAddress!.update(from: from, count: s.count)
                from += s.count
            }
        }
    }
}
