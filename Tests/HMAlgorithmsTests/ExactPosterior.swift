import Foundation
@testable import HMCore

/// The exact posterior p(h | x) of a machine with enumerable latents, computed with the
/// machine's own layers (each tested on its own against formulas and finite differences):
/// for every point, every latent configuration's states and posterior probability. The
/// oracle for algorithms written against the layer seam, whatever the layers' kinds.
struct ExactPosterior {
    /// states[b][l] is [C, w_l] (l = 0 the point repeated); weights[b] the C posterior probabilities.
    var states: [[Matrix]] = []
    var weights: [[Double]] = []

    init(_ m: HelmholtzMachine, _ xs: Matrix) {
        let kinds = m.model.kinds, w = m.widths, L = m.depth
        let counts = (1...L).map { kinds[$0].stateCount(width: w[$0])! }, C = counts.reduce(1, *)
        for b in 0..<xs.rows {
            let s = (0...L).map { Matrix(rows: C, cols: w[$0]) }
            for c in 0..<C {
                s[0].row(c).update(from: xs.row(b), count: w[0])
                var rest = c
                for l in 1...L { kinds[l].writeState(rest % counts[l - 1], into: s[l].row(c), width: w[l]); rest /= counts[l - 1] }
            }
            let joint = Self.logJoint(m, s, rows: C)
            let top = joint.max()!, z = joint.reduce(0) { $0 + exp($1 - top) }
            states.append(s)
            weights.append(joint.map { exp($0 - top) / z })
        }
    }

    /// log p(x, h) of each row of the states.
    static func logJoint(_ m: HelmholtzMachine, _ s: [Matrix], rows C: Int, deltas: [Matrix]? = nil) -> [Double] {
        let L = m.depth, out = DoubleBuffer(C)
        out.zero(C)
        for l in 0...L {
            let layer = l == L ? m.prior : m.generative[l], pre = Matrix(rows: l == L ? 1 : C, cols: layer.preWidth)
            layer.preactivation(l == L ? nil : s[l + 1], into: pre)
            layer.score(pre: pre, preEvery: l == L ? C : 1, value: s[l], valueEvery: 1, rows: C, delta: deltas?[l], logProb: out.pointer)
        }
        return (0..<C).map { out[$0] }
    }

    /// E[f(states) | x_b] for a function of one configuration's layer states.
    func expectation(_ b: Int, _ f: ([[Float]]) -> [Double]) -> [Double] {
        var sum: [Double] = []
        for c in weights[b].indices {
            let v = f(states[b].map { Array(UnsafeBufferPointer(start: $0.row(c), count: $0.cols)) })
            if sum.isEmpty { sum = [Double](repeating: 0, count: v.count) }
            for i in v.indices { sum[i] += weights[b][c] * v[i] }
        }
        return sum
    }

    /// Adds `scale` · Σ_b E[∇_θ log p(x_b, h) | x_b] to the machine's generative gradients: the
    /// exact gradient of the free energy's generative part.
    func accumulateGenerativeGradient(_ m: HelmholtzMachine, scale: Double) {
        let L = m.depth
        for b in states.indices {
            let C = weights[b].count
            let deltas = (0...L).map { Matrix(rows: C, cols: ($0 == L ? m.prior : m.generative[$0]).deltaWidth) }
            _ = Self.logJoint(m, states[b], rows: C, deltas: deltas)
            let w = weights[b].map { Float($0 * scale) }
            for l in 0...L {
                deltas[l].scaleRows(by: w)
                (l == L ? m.prior : m.generative[l]).accumulateGradient(delta: deltas[l], input: l == L ? nil : states[b][l + 1])
            }
        }
    }
}
