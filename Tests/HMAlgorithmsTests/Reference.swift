import Foundation
import HMCore

/// An independent, naive float64 implementation of a sigmoid-belief Helmholtz machine, read
/// from a machine's parameters: the oracle the estimators and gradients are tested against.
struct Reference {
    let widths: [Int]
    var tensors: [String: [Double]] = [:]

    init(_ m: HelmholtzMachine) {
        widths = m.widths
        for e in m.store.entries { tensors[e.name] = m.store.value(e.name).array.map(Double.init) }
    }

    var L: Int { widths.count - 1 }

    static func logBernoulli(_ s: Double, _ a: Double) -> Double {
        s * a - (max(a, 0) + log1p(exp(-abs(a))))
    }
    static func sigmoid(_ a: Double) -> Double { 1 / (1 + exp(-a)) }

    /// Pre-activation of unit i of a layer: b_i + Σ_j W[i, j] · parent_j.
    func pre(_ name: String, _ i: Int, _ parent: [Double]) -> Double {
        let w = tensors["\(name).weight"]!, b = tensors["\(name).bias"]!
        var a = b[i]
        for j in 0..<parent.count { a += w[i * parent.count + j] * parent[j] }
        return a
    }

    /// log p(x, h) with h = [h1, …, hL].
    func logJoint(_ x: [Double], _ h: [[Double]]) -> Double {
        let states = [x] + h
        var lp = 0.0
        let prior = tensors["generative.prior.logits"]!
        for i in 0..<widths[L] { lp += Self.logBernoulli(states[L][i], prior[i]) }
        for l in 0..<L {
            for i in 0..<widths[l] { lp += Self.logBernoulli(states[l][i], pre("generative.\(l)", i, states[l + 1])) }
        }
        return lp
    }

    func logQ(_ x: [Double], _ h: [[Double]]) -> Double {
        let states = [x] + h
        var lq = 0.0
        for l in 0..<L {
            for i in 0..<widths[l + 1] { lq += Self.logBernoulli(states[l + 1][i], pre("recognition.\(l)", i, states[l])) }
        }
        return lq
    }

    /// ∇ log p(x, h) (generative tensors) or ∇ log q(h | x) (recognition tensors), by name.
    func gradient(_ x: [Double], _ h: [[Double]], generative: Bool) -> [String: [Double]] {
        let states = [x] + h
        var g: [String: [Double]] = [:]
        func layer(_ name: String, _ child: [Double], _ parent: [Double]) {
            var gw = [Double](repeating: 0, count: child.count * parent.count)
            var gb = [Double](repeating: 0, count: child.count)
            for i in 0..<child.count {
                let d = child[i] - Self.sigmoid(pre(name, i, parent))
                gb[i] = d
                for j in 0..<parent.count { gw[i * parent.count + j] = d * parent[j] }
            }
            g["\(name).weight"] = gw
            g["\(name).bias"] = gb
        }
        if generative {
            let prior = tensors["generative.prior.logits"]!
            g["generative.prior.logits"] = (0..<widths[L]).map { states[L][$0] - Self.sigmoid(prior[$0]) }
            for l in 0..<L { layer("generative.\(l)", states[l], states[l + 1]) }
        } else {
            for l in 0..<L { layer("recognition.\(l)", states[l + 1], states[l]) }
        }
        return g
    }

    /// Every binary vector of width n.
    static func all(_ n: Int) -> [[Double]] {
        (0..<(1 << n)).map { c in (0..<n).map { Double((c >> $0) & 1) } }
    }

    /// Every latent configuration [h1, …, hL].
    var latentConfigurations: [[[Double]]] {
        var configs: [[[Double]]] = [[]]
        for l in 1...L { configs = configs.flatMap { c in Self.all(widths[l]).map { c + [$0] } } }
        return configs
    }

    func exactLogLikelihood(_ x: [Double]) -> Double {
        let terms = latentConfigurations.map { logJoint(x, $0) }
        let top = terms.max()!
        return top + log(terms.reduce(0) { $0 + exp($1 - top) })
    }
}

/// A machine with N(0, scale²) parameters, so that posteriors are far from uniform.
func randomMachine(_ widths: [Int], seed: UInt64, scale: Float = 1.5) -> HelmholtzMachine {
    randomMachine(ModelDescription(widths: widths), seed: seed, scale: scale)
}

func randomMachine(_ model: ModelDescription, seed: UInt64, scale: Float = 1.5) -> HelmholtzMachine {
    let m = HelmholtzMachine(model)
    let stream = RandomStream(key: seed, purpose: .initialize, step: 99)
    stream.normals(tag: 7, index: 0, into: m.store.values.data, count: m.store.count)
    for i in 0..<m.store.count { m.store.values.data[i] *= scale }
    return m
}

extension Matrix {
    convenience init(_ rows: [[Double]]) {
        self.init(rows: rows.count, cols: rows[0].count, values: rows.flatMap { $0.map(Float.init) })
    }
}
