import Foundation
import HMCore

/// The exact log p(x) = log Σ_h p(x, h), by enumerating every latent configuration: the
/// oracle that the estimators are tested against. Exponential in the latent units, so it is
/// refused above `maxLatentUnits`.
public enum ExactLogLikelihood {
    /// 2^20 ≈ a million configurations per data point is the most that stays interactive.
    public static let maxConfigurations = 1 << 20

    public struct TooLarge: Error, CustomStringConvertible {
        /// The number of latent configurations, nil when a latent layer is continuous.
        public let configurations: Double?
        public var description: String {
            guard let configurations else {
                return "--exact enumerates every latent state, and this model has a continuous (Gaussian) latent layer; use the importance-sampled estimate instead"
            }
            return "--exact enumerates all \(String(format: "2^%.4g", log2(configurations))) latent configurations of this model; it is limited to 2^20 (use the importance-sampled estimate instead)"
        }
    }

    /// The number of latent configurations, or the reason they cannot be enumerated.
    public static func configurations(_ model: ModelDescription) throws -> Int {
        var total = 1.0
        for l in model.layers.dropFirst() {
            guard let n = l.kind.stateCount(width: l.width) else { throw TooLarge(configurations: nil) }
            total *= Double(n)
        }
        guard total <= Double(maxConfigurations) else { throw TooLarge(configurations: total) }
        return Int(total)
    }

    /// log p(x_n) for every row of `data`: any data layer (a Gaussian one over discrete latents
    /// is a finite mixture), discrete latents only.
    public static func logLikelihoods(_ machine: HelmholtzMachine, data: Matrix,
                                      configurationsPerPass: Int = 4096) throws -> [Double] {
        let w = machine.widths, L = machine.depth, kinds = machine.model.kinds
        let total = try configurations(machine.model)
        let states = (1...L).map { kinds[$0].stateCount(width: w[$0])! }
        let C = min(configurationsPerPass, total)
        let h = (0...L).map { Matrix(rows: $0 == 0 ? 0 : C, cols: w[$0]) }
        let pre = (0...L).map { Matrix(rows: $0 == L ? 1 : C, cols: $0 == L ? machine.prior.preWidth : machine.generative[$0].preWidth) }
        let logPrior = DoubleBuffer(C), logLik = DoubleBuffer(C)
        var running = [RunningLogSumExp](repeating: RunningLogSumExp(), count: data.rows)

        var first = 0
        while first < total {
            let n = min(C, total - first)
            for l in 1...L { h[l].setRows(n) }
            for l in 0..<L { pre[l].setRows(n) }
            // Configuration c is a mixed-radix number: layer 1's state is the lowest digit.
            for r in 0..<n {
                var c = first + r
                for l in 1...L {
                    kinds[l].writeState(c % states[l - 1], into: h[l].row(r), width: w[l])
                    c /= states[l - 1]
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
