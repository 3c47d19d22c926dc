import HMCore

/// q(g | x) of a machine with a categorical goal on top: the mean over K samples h ~ q(h | x)
/// of q(g | h_{L−1}) — the recognition network's answer to "which goal made x?". Its argmax
/// against the labels is the goal accuracy (`eval --goal-accuracy`).
public struct GoalPosterior {
    public let samples: Int
    public let seed: UInt64

    public init(samples: Int, seed: UInt64) {
        precondition(samples > 0)
        self.samples = samples
        self.seed = seed
    }

    /// q(g | x_n) for every row of `data`, [N][G].
    public func probabilities(_ machine: HelmholtzMachine, data: Matrix) -> [[Double]] {
        let L = machine.depth, G = machine.widths[L], K = samples
        let points = max(1, 2000 / K)
        let sampler = ImportanceSampler(machine: machine, batch: points, samples: K)
        let p = Matrix(rows: points * K, cols: G)
        var result: [[Double]] = []
        var start = 0
        while start < data.rows {
            let n = min(points, data.rows - start)
            let x = Matrix(view: data.row(start), rows: n, cols: data.cols, owner: data)
            sampler.run(x, stream: RandomStream(key: seed, purpose: .evaluate, step: 0), firstExample: start, withDeltas: false)
            let pre = sampler.qPre[L - 1]
            p.setRows(pre.rows)
            machine.recognition[L - 1].mean(pre: pre, into: p)
            // Layer L − 1's pre-activation has one row per point when it reads x (L = 1).
            let every = pre.rows == n ? K : 1
            for b in 0..<n {
                var mean = [Double](repeating: 0, count: G)
                for k in 0..<K { for g in 0..<G { mean[g] += Double(p[(b * K + k) / every, g]) / Double(K) } }
                result.append(mean)
            }
            start += n
        }
        return result
    }

    /// The fraction of rows whose most probable goal is their label.
    public func accuracy(_ machine: HelmholtzMachine, data: Matrix, labels: [Int]) -> Double {
        let q = probabilities(machine, data: data)
        let right = zip(q, labels).filter { probs, y in probs.indices.max { probs[$0] < probs[$1] } == y }.count
        return Double(right) / Double(max(labels.count, 1))
    }
}
