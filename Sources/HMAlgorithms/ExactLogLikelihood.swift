import Foundation
import HMCore

/// The exact log p(x) = log Σ_h p(x, h), by enumerating every latent configuration: the
/// oracle that the estimators are tested against. Exponential in the latent units, so it is
/// refused above `maxLatentUnits`.
public enum ExactLogLikelihood {
    /// 2^20 ≈ a million configurations per data point is the most that stays interactive.
    public static let maxLatentUnits = 20

    public struct TooLarge: Error, CustomStringConvertible {
        public let latentUnits: Int
        public var description: String {
            "--exact enumerates all 2^\(latentUnits) latent states of this model; it is limited to models with at most \(ExactLogLikelihood.maxLatentUnits) latent units in total (use the importance-sampled estimate instead)"
        }
    }

    /// log p(x_n) for every row of `data`.
    public static func logLikelihoods(_ machine: HelmholtzMachine, data: Matrix,
                                      configurationsPerPass: Int = 4096) throws -> [Double] {
        let w = machine.widths, L = machine.depth
        let units = w[1...].reduce(0, +)
        guard units <= maxLatentUnits else { throw TooLarge(latentUnits: units) }
        let total = 1 << units
        let C = min(configurationsPerPass, total)
        let h = (0...L).map { Matrix(rows: $0 == 0 ? 0 : C, cols: w[$0]) }
        let pre = (0...L).map { Matrix(rows: $0 == L ? 1 : C, cols: w[$0]) }
        let logPrior = DoubleBuffer(C), logLik = DoubleBuffer(C)
        var running = [RunningLogSumExp](repeating: RunningLogSumExp(), count: data.rows)

        var first = 0
        while first < total {
            let n = min(C, total - first)
            for l in 1...L { h[l].setRows(n) }
            for l in 0..<L { pre[l].setRows(n) }
            // Configuration c sets unit j of the concatenated latent vector to bit j of c.
            for r in 0..<n {
                var bit = 0
                for l in 1...L {
                    for j in 0..<w[l] { h[l][r, j] = Float(((first + r) >> bit) & 1); bit += 1 }
                }
            }
            // log p(h) = log p(h_L) + Σ_{l ≥ 1} log p(h_l | h_{l+1}), shared by all x.
            logPrior.zero(n)
            machine.prior.preactivation(nil, into: pre[L])
            machine.prior.score(pre: pre[L], preEvery: n, value: h[L], valueEvery: 1, rows: n,
                                delta: nil, logProb: logPrior.pointer)
            for l in (1..<L).reversed() {
                machine.generative[l].preactivation(h[l + 1], into: pre[l])
                machine.generative[l].score(pre: pre[l], preEvery: 1, value: h[l], valueEvery: 1,
                                            rows: n, delta: nil, logProb: logPrior.pointer)
            }
            machine.generative[0].preactivation(h[1], into: pre[0])
            for i in 0..<data.rows {
                let x = Matrix(view: data.row(i), rows: 1, cols: data.cols, owner: data)
                logLik.zero(n)
                machine.generative[0].score(pre: pre[0], preEvery: 1, value: x, valueEvery: n,
                                            rows: n, delta: nil, logProb: logLik.pointer)
                for r in 0..<n { running[i].add(logPrior[r] + logLik[r]) }
            }
            first += n
        }
        return running.map(\.value)
    }
}
