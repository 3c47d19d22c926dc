import Foundation
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
