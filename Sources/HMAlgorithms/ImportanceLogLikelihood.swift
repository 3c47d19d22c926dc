import Foundation
import HMCore

/// The importance-sampled log-likelihood with q as proposal (docs/training.md):
/// log p̂(x) = logsumexp_k (log p(x, h_k) − log q(h_k | x)) − log K, h_k ~ q(h | x).
///
/// Samples are drawn in chunks of `chunk` per data point (chunk c uses step field c of the
/// evaluation stream and sample index n·chunk + k), so K can be in the thousands without a
/// K-row workspace, and the result does not depend on how many points are scored at once.
/// Accumulation is in float64.
public struct ImportanceLogLikelihood {
    public let samples: Int
    public let chunk: Int
    public let seed: UInt64
    /// At most this many sample rows per pass (bounds the workspace).
    public let maxRows: Int

    public init(samples: Int, seed: UInt64, chunk: Int = 500, maxRows: Int = 5000) {
        precondition(samples > 0)
        self.samples = samples
        self.chunk = min(chunk, samples)
        self.seed = seed
        self.maxRows = max(maxRows, self.chunk)
    }

    /// log p̂(x_n) for every row of `data` ([N, w0]); `firstIndex` is the global index of row 0
    /// (so that a shard of a data set draws the same samples as the whole).
    public func logLikelihoods(_ machine: HelmholtzMachine, data: Matrix, firstIndex: Int = 0) -> [Double] {
        estimates(machine, data: data, firstIndex: firstIndex).logLikelihoods
    }

    /// log p̂(x_n) and, from the same draws, the free energy of every row,
    /// F(x) = E_q[log q(h | x) − log p(x, h)] ≈ −(1/K) Σ_k log w_k (nats; F ≥ −log p(x)).
    public func estimates(_ machine: HelmholtzMachine, data: Matrix, firstIndex: Int = 0) -> (logLikelihoods: [Double], freeEnergies: [Double]) {
        let points = max(1, maxRows / chunk)
        let sampler = ImportanceSampler(machine: machine, batch: points, samples: chunk)
        var result = [Double](repeating: 0, count: data.rows), free = result
        var start = 0
        while start < data.rows {
            let n = min(points, data.rows - start)
            let x = Matrix(view: data.row(start), rows: n, cols: data.cols, owner: data)
            var running = [RunningLogSumExp](repeating: RunningLogSumExp(), count: n)
            var drawn = 0
            for c in 0... {
                let kc = min(chunk, samples - drawn)
                if kc <= 0 { break }
                sampler.run(x, stream: RandomStream(key: seed, purpose: .evaluate, step: c),
                            firstExample: firstIndex + start, withDeltas: false)
                for b in 0..<n {
                    for k in 0..<kc {
                        let lw = sampler.logWeight(b * chunk + k)
                        running[b].add(lw)
                        free[start + b] -= lw
                    }
                }
                drawn += kc
            }
            for b in 0..<n {
                result[start + b] = running[b].value - log(Double(samples))
                free[start + b] /= Double(samples)
            }
            start += n
        }
        return (result, free)
    }
}
