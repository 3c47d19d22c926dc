import Foundation
import HMAlgorithms
import HMCheckpoint
import HMCore

/// The Helmholtz-machine side of a checkpoint: which tensors a run stores (DESIGN §5 names),
/// and how a machine and its optimizer are rebuilt from them. HMCheckpoint itself only sees
/// named tensors.
public enum ModelCheckpoint {
    public static func tensors(_ machine: HelmholtzMachine, optimizer: Optimizer?) -> [Tensor] {
        let store = machine.store
        var out: [Tensor] = store.entries.map { e in
            Tensor(name: e.name, shape: e.shape, values: slice(store.values, e))
        }
        if let optimizer {
            for (slot, buffer) in optimizer.slots {
                for e in store.entries {
                    out.append(Tensor(name: "optimizer.\(e.name).\(slot)", shape: e.shape, values: slice(buffer, e)))
                }
            }
            out.append(Tensor(name: "optimizer.step", shape: [1], values: [Int64(optimizer.stepCount)]))
        }
        return out
    }

    /// `nws`/`nrws`: the statistics the factors in use were computed from, so that a resumed
    /// run refactors the same F + αI (DESIGN §4, promise 1) instead of waiting for the next
    /// recompute step with other factors:
    /// - `fisher.step` (int64 [1]): the step whose samples they are;
    /// - `fisher.<layer>.blocks` (**float64**, [units · d(d+1)/2 + 1]) for every direct layer,
    ///   `generative.prior` included: the packed upper triangles of the summed Σ c h̃h̃ᵀ of each
    ///   unit (unit i at i · d(d+1)/2, row j of its triangle at j·d − j(j−1)/2, d = fan-in + 1,
    ///   the bias last), then the global sample count — `FisherBlocks.buffer` after the
    ///   allreduce;
    /// - `fisher.<layer>.parents` (float32 [N, fan-in]) and `fisher.<layer>.weights` (float32
    ///   [N, units], the Fisher weights σ'(a)) for every Woodbury layer: the gathered samples of
    ///   all ranks in global order.
    /// `<layer>` names a block set of the preconditioner: `generative.prior`, `generative.l`,
    /// `recognition.l` (under the dreams, for the sleep-q term) and, for nrws,
    /// `recognition.l.wake` (under the data, for the wake-q term).
    /// The same on every rank. Empty before the first statistics step.
    public static func fisherTensors(_ natural: NaturalWakeSleep) -> [Tensor] {
        guard let s = natural.statistics else { return [] }
        var out = [Tensor(name: "fisher.step", shape: [1], values: [Int64(s.step)])]
        for b in s.blocks {
            out.append(Tensor(name: "fisher.\(b.name).blocks", shape: [b.bufferCount],
                              values: Array(UnsafeBufferPointer(start: b.buffer, count: b.bufferCount))))
        }
        for w in s.woodbury {
            out.append(Tensor(name: "fisher.\(w.name).parents", shape: [w.parents.rows, w.parents.cols], values: w.parents.array))
            out.append(Tensor(name: "fisher.\(w.name).weights", shape: [w.weights.rows, w.weights.cols], values: w.weights.array))
        }
        return out
    }

    /// Refactors `natural`'s preconditioner from the `fisher.*` tensors of `checkpoint` for steps
    /// of the given global sizes; a checkpoint without them, or with statistics that do not fit
    /// this run's solvers, is refused. Returns the step the statistics come from.
    @discardableResult
    public static func restoreFisher(_ natural: NaturalWakeSleep, globalBatch: Int, globalDreams: Int,
                                     from checkpoint: Checkpoint) throws -> Int {
        guard let t = checkpoint["fisher.step"], let step = try t.values(as: Int64.self).first else {
            throw ConfigError(path: checkpoint.directory, field: "fisher.step",
                              "missing: the checkpoint holds no Fisher statistics for \(natural.name)")
        }
        var blocks: [String: [Double]] = [:]
        var samples: [String: (parents: Matrix, weights: Matrix)] = [:]
        var parents: [String: Matrix] = [:], weights: [String: Matrix] = [:]
        for name in checkpoint.tensors.keys where name.hasPrefix("fisher.") && name != "fisher.step" {
            let t = checkpoint[name]!
            let stem = String(name.dropFirst("fisher.".count))
            if stem.hasSuffix(".blocks") {
                blocks[String(stem.dropLast(".blocks".count))] = try t.values(as: Double.self)
            } else if stem.hasSuffix(".parents") || stem.hasSuffix(".weights") {
                guard t.shape.count == 2 else {
                    throw ConfigError(path: checkpoint.directory, field: name, "expected a matrix, found shape \(t.shape)")
                }
                let m = Matrix(rows: t.shape[0], cols: t.shape[1])
                let values = try t.values(as: Float.self)
                if !values.isEmpty { values.withUnsafeBufferPointer { m.data.update(from: $0.baseAddress!, count: values.count) } }
                if stem.hasSuffix(".parents") { parents[String(stem.dropLast(".parents".count))] = m }
                else { weights[String(stem.dropLast(".weights".count))] = m }
            }
        }
        for layer in Set(parents.keys).union(weights.keys) {
            guard let p = parents[layer], let w = weights[layer] else {
                throw ConfigError(path: checkpoint.directory, field: "fisher.\(layer).\(parents[layer] == nil ? "parents" : "weights")",
                                  "missing beside its \(parents[layer] == nil ? "weights" : "parents")")
            }
            samples[layer] = (p, w)
        }
        do {
            try natural.restore(step: Int(step), globalBatch: globalBatch, globalDreams: globalDreams,
                                blocks: blocks, woodbury: samples)
        } catch {
            throw ConfigError(path: checkpoint.directory, field: "fisher", "the saved Fisher statistics do not fit this run: \(error)")
        }
        return Int(step)
    }

    public static func architecture(_ machine: HelmholtzMachine, imageShape: (rows: Int, cols: Int)) -> JSONValue {
        .object([
            "layers": .array(machine.widths.map { .int($0) }),
            "distributions": .array(machine.widths.map { _ in .string("bernoulli") }),
            "image_shape": .array([.int(imageShape.rows), .int(imageShape.cols)]),
        ])
    }

    /// The machine stored in `checkpoint`, and the image shape of its data.
    public static func machine(from checkpoint: Checkpoint) throws -> (HelmholtzMachine, (rows: Int, cols: Int)) {
        let where_ = checkpoint.directory + "/manifest.json"
        guard let widths = checkpoint.manifest.architecture["layers"]?.arrayValue?.compactMap(\.intValue),
              widths.count >= 2, widths.allSatisfy({ $0 > 0 }) else {
            throw ConfigError(path: where_, field: "architecture.layers", "expected a list of at least two positive widths")
        }
        let shape = checkpoint.manifest.architecture["image_shape"]?.arrayValue?.compactMap(\.intValue) ?? []
        let image = shape.count == 2 && shape[0] * shape[1] == widths[0] ? (shape[0], shape[1]) : (1, widths[0])
        let machine = HelmholtzMachine(widths: widths)
        for e in machine.store.entries {
            try restore(checkpoint, name: e.name, entry: e, into: machine.store.values)
        }
        return (machine, image)
    }

    /// Loads the optimizer's slots and step count; a checkpoint without them is refused.
    public static func restore(_ optimizer: Optimizer, machine: HelmholtzMachine, from checkpoint: Checkpoint) throws {
        for (slot, buffer) in optimizer.slots {
            for e in machine.store.entries {
                try restore(checkpoint, name: "optimizer.\(e.name).\(slot)", entry: e, into: buffer)
            }
        }
        guard let t = checkpoint["optimizer.step"], let step = try t.values(as: Int64.self).first else {
            throw ConfigError(path: checkpoint.directory, field: "optimizer.step", "missing: the checkpoint holds no optimizer state")
        }
        optimizer.stepCount = Int(step)
    }

    private static func slice(_ buffer: Matrix, _ e: ParameterStore.Entry) -> [Float] {
        Array(UnsafeBufferPointer(start: buffer.data + e.offset, count: e.count))
    }

    private static func restore(_ checkpoint: Checkpoint, name: String, entry e: ParameterStore.Entry,
                                into buffer: Matrix) throws {
        guard let t = checkpoint[name] else {
            throw ConfigError(path: checkpoint.directory, field: name, "tensor missing from the checkpoint")
        }
        guard t.shape == e.shape else {
            throw ConfigError(path: checkpoint.directory, field: name, "expected shape \(e.shape), found \(t.shape)")
        }
        let values = try t.values(as: Float.self)
        values.withUnsafeBufferPointer { (buffer.data + e.offset).update(from: $0.baseAddress!, count: e.count) }
    }
}

extension RunConfig {
    var json: JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(self))) ?? .null
    }
}
