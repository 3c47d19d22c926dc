import HMCore

extension AlgorithmCatalog {
    /// The bytes of the largest buffers the algorithm `o` allocates on one rank for a model,
    /// given the rank's largest share of a step's points and dreams: the wake phase's samples
    /// (states, pre-activations and deltas of B·K rows), the sleep phase's dreams, and for the
    /// natural variants the smaller of each layer's Fisher storage (direct: d(d+1)/2 float64
    /// sums and a factor per unit; Woodbury: the N samples of d floats). A lower bound by
    /// design: a run refused on it could never have fitted. In floating point, so that no
    /// setting can overflow it.
    public static func workspaceBytes(_ o: AlgorithmOptions, model: ModelDescription, batch: Int, dreams: Int) -> Double {
        let w = model.widths.map(Double.init), L = w.count - 1, all = w.reduce(0, +)
        let B = Double(batch), D = Double(dreams), K = Double(o.name.usesImportanceSamples ? o.samples : 1)
        let floats = 3 * B * K * all + 4 * D * all
        guard o.name.isNatural else { return 4 * floats }
        var fisher = 0.0
        for l in 0..<L {
            // generative.l: w[l] units over [h_{l+1}; 1]; recognition.l: w[l+1] units over [h_l; 1].
            for (units, d) in [(w[l], w[l + 1] + 1), (w[l + 1], w[l] + 1)] {
                fisher += min(units * d * (d + 1) / 2 * 8 * 2, D * d * 4)
            }
        }
        return 4 * floats + fisher
    }
}
