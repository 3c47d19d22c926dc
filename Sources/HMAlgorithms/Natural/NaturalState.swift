import HMCore

/// The checkpoint state of `nws` / `nrws`: the statistics the factors in use were computed
/// from, so that a resumed run refactors the same F + αI instead of waiting for the next
/// recompute step with other factors (docs/checkpoint-format.md):
/// - `fisher.step` (int64 [1]): the step whose samples they are;
/// - `fisher.<layer>.blocks` (**float64**, [units · d(d+1)/2 + 1]) for every direct layer,
///   `generative.prior` included: the packed upper triangles of the summed Σ c h̃h̃ᵀ of each
///   unit (unit i at i · d(d+1)/2, row j of its triangle at j·d − j(j−1)/2, d = fan-in + 1,
///   the bias last), then the global sample count;
/// - `fisher.<layer>.parents` (float32 [N, fan-in]) and `fisher.<layer>.weights` (float32
///   [N, units], the Fisher weights σ'(a)) for every Woodbury layer: the gathered samples of
///   all ranks in global order.
/// `<layer>` is `generative.prior`, `generative.l`, `recognition.l` (under the dreams) or, for
/// nrws, `recognition.l.wake` (under the data). The same on every rank; empty before the first
/// statistics step.
extension NaturalWakeSleep {
    public var state: [StateTensor] {
        guard let s = statistics else { return [] }
        var out = [StateTensor(name: "fisher.step", shape: [1], values: .int64([Int64(s.step)]))]
        for b in s.blocks {
            out.append(StateTensor(name: "fisher.\(b.name).blocks", shape: [b.bufferCount],
                                   values: .float64(Array(UnsafeBufferPointer(start: b.buffer, count: b.bufferCount)))))
        }
        for w in s.woodbury {
            out.append(StateTensor(name: "fisher.\(w.name).parents", shape: [w.parents.rows, w.parents.cols], values: .float32(w.parents.array)))
            out.append(StateTensor(name: "fisher.\(w.name).weights", shape: [w.weights.rows, w.weights.cols], values: .float32(w.weights.array)))
        }
        return out
    }

    /// Refactors from the `fisher.*` tensors for steps of the world's global sizes; a
    /// checkpoint without them, or with statistics that do not fit this run's solvers, is refused.
    public func restore(_ state: [String: StateTensor]) throws {
        guard let step = state["fisher.step"]?.integers?.first else {
            throw AlgorithmStateError(field: "fisher.step", "missing: the checkpoint holds no Fisher statistics for \(name)")
        }
        var blocks: [String: [Double]] = [:]
        var parents: [String: Matrix] = [:], weights: [String: Matrix] = [:]
        for (tensorName, t) in state where tensorName.hasPrefix("fisher.") && tensorName != "fisher.step" {
            let stem = String(tensorName.dropFirst("fisher.".count))
            if stem.hasSuffix(".blocks") {
                guard let v = t.doubles else { throw AlgorithmStateError(field: tensorName, "expected float64 values") }
                blocks[String(stem.dropLast(".blocks".count))] = v
            } else if stem.hasSuffix(".parents") || stem.hasSuffix(".weights") {
                guard t.shape.count == 2, let values = t.floats else {
                    throw AlgorithmStateError(field: tensorName, "expected a float32 matrix, found shape \(t.shape)")
                }
                let m = Matrix(rows: t.shape[0], cols: t.shape[1])
                if !values.isEmpty { values.withUnsafeBufferPointer { m.data.update(from: $0.baseAddress!, count: values.count) } }
                if stem.hasSuffix(".parents") { parents[String(stem.dropLast(".parents".count))] = m }
                else { weights[String(stem.dropLast(".weights".count))] = m }
            }
        }
        var samples: [String: (parents: Matrix, weights: Matrix)] = [:]
        for layer in Set(parents.keys).union(weights.keys) {
            guard let p = parents[layer], let w = weights[layer] else {
                throw AlgorithmStateError(field: "fisher.\(layer).\(parents[layer] == nil ? "parents" : "weights")",
                                          "missing beside its \(parents[layer] == nil ? "weights" : "parents")")
            }
            samples[layer] = (p, w)
        }
        do {
            try restore(step: Int(step), globalBatch: world.globalBatch, globalDreams: world.globalDreams,
                        blocks: blocks, woodbury: samples)
        } catch {
            throw AlgorithmStateError(field: "fisher", "the saved Fisher statistics do not fit this run: \(error)")
        }
    }
}
