import Foundation

/// A Helmholtz machine: layers numbered from the data (0) upwards, widths
/// `[784, 200, 200, 10]` meaning x ← h1 ← h2 ← h3, built from a `ModelDescription`.
///
/// - generative: a prior on the top layer, then `generative[l] = p(h_l | h_{l+1})`;
/// - recognition: `recognition[l] = q(h_{l+1} | h_l)`.
/// Parameter names are those of the checkpoint format (`generative.0.weight`, …).
public final class HelmholtzMachine: @unchecked Sendable {
    /// What the machine is made of: the manifest records it.
    public let model: ModelDescription
    public let widths: [Int]
    public let store: ParameterStore
    public let prior: ConditionalLayer
    public let generative: [ConditionalLayer]
    public let recognition: [ConditionalLayer]

    /// Number of latent layers (L).
    public var depth: Int { widths.count - 1 }

    /// Where the recognition tensors start in the store: the generative ones are [0, here),
    /// the recognition ones [here, store.count).
    public var recognitionOffset: Int { store.entries.first { $0.name.hasPrefix("recognition.") }!.offset }

    public convenience init(widths: [Int]) {
        self.init(ModelDescription(widths: widths))
    }

    /// Layer l's kind gives p(h_l | h_{l+1}) (the prior for the top layer) and q(h_l | h_{l-1}).
    public init(_ model: ModelDescription) {
        precondition(model.problem == nil, "model: \(model.problem!)")
        self.model = model
        let widths = model.widths, kinds = model.kinds
        self.widths = widths
        let L = widths.count - 1
        var shapes = kinds[L].layerType.parameterShapes(prefix: "generative.prior", inWidth: 0, outWidth: widths[L])
        for l in 0..<L {
            shapes += kinds[l].layerType.parameterShapes(prefix: "generative.\(l)", inWidth: widths[l + 1], outWidth: widths[l])
        }
        for l in 0..<L {
            shapes += kinds[l + 1].layerType.parameterShapes(prefix: "recognition.\(l)", inWidth: widths[l], outWidth: widths[l + 1])
        }
        let store = ParameterStore(shapes)
        self.store = store
        prior = kinds[L].layerType.init(store: store, prefix: "generative.prior", inWidth: 0, outWidth: widths[L])
        generative = (0..<L).map {
            kinds[$0].layerType.init(store: store, prefix: "generative.\($0)", inWidth: widths[$0 + 1], outWidth: widths[$0])
        }
        recognition = (0..<L).map {
            kinds[$0 + 1].layerType.init(store: store, prefix: "recognition.\($0)", inWidth: widths[$0], outWidth: widths[$0 + 1])
        }
    }

    /// Weights ~ N(0, 1/(fan_in + fan_out)), biases 0, log-variances 0 (σ = 1; a hetero
    /// layer's `logvar_weight` 0 too, so every unit starts homoscedastic). Given the data's
    /// pixel means (and variances), the data layer starts at the data's marginals: a Bernoulli
    /// layer's bias at their logits, a Gaussian layer's mean at the means and its
    /// log-variance at log max(variance, the floor). The means are in the data layer's coding
    /// (±1 units: 2p − 1).
    public func initialize(seed: UInt64, pixelMeans: [Float]? = nil, pixelVariances: [Float]? = nil) {
        store.values.fill(0)
        let stream = RandomStream(key: seed, purpose: .initialize, step: 0)
        for (i, e) in store.entries.enumerated() where e.shape.count == 2 && !e.name.hasSuffix(".logvar_weight") {
            let w = store.value(e.name)
            let scale = Float(1 / Double(e.shape[0] + e.shape[1]).squareRoot())
            for r in 0..<w.rows {
                stream.normals(tag: UInt32(i), index: r, into: w.row(r), count: w.cols)
                for c in 0..<w.cols { w.row(r)[c] *= scale }
            }
        }
        guard let pixelMeans else { return }
        precondition(pixelMeans.count == widths[0])
        let bias = store.value("generative.0.bias")
        if model.layers[0].kind.isContinuous {
            bias.data.update(from: pixelMeans, count: pixelMeans.count)
            if let pixelVariances {
                let logvar = store.value(store.entry("generative.0.logvar") != nil ? "generative.0.logvar" : "generative.0.logvar_bias")
                for (j, v) in pixelVariances.enumerated() { logvar.data[j] = max(log(v), GaussianLayer.logVarianceFloor) }
            }
            return
        }
        let signed = model.layers[0].kind.isSigned
        for (j, m) in pixelMeans.enumerated() {
            let p = min(max(signed ? (1 + Double(m)) / 2 : Double(m), 1e-3), 1 - 1e-3)
            bias.data[j] = Float(log(p / (1 - p)))
        }
    }

    /// Exact copy of another machine's parameters (same layers).
    public func copyParameters(from other: HelmholtzMachine) {
        precondition(other.model.layers == model.layers)
        store.values.copy(from: other.store.values)
    }

    /// Copies, tensor by tensor, the block that `other` shares with this machine (the leading
    /// rows and columns) and leaves the rest as it is: a machine grown by units keeps what the
    /// smaller one learned, and its new units keep their initial values.
    public func copyOverlapping(from other: HelmholtzMachine) {
        for e in store.entries {
            guard let o = other.store.entry(e.name), o.shape.count == e.shape.count else { continue }
            let src = other.store.value(e.name), dst = store.value(e.name)
            for r in 0..<min(src.rows, dst.rows) { dst.row(r).update(from: src.row(r), count: min(src.cols, dst.cols)) }
        }
    }
}
