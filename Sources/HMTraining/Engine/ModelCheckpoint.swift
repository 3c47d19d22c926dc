import Foundation
import HMAlgorithms
import HMCheckpoint
import HMCore
import HMData

/// The Helmholtz-machine side of a checkpoint (docs/checkpoint-format.md): which tensors a
/// run stores, the model description in the manifest's `architecture`, and how a machine, its
/// optimizer and its algorithm's state are rebuilt from them. HMCheckpoint only sees tensors.
public enum ModelCheckpoint {
    /// The tensors a checkpoint stores. Parameters and optimizer state are views of the
    /// machine's and optimizer's buffers, not copies (34 MB per save for B3): save them before
    /// either changes or goes away, as a save between steps does.
    public static func tensors(_ machine: HelmholtzMachine, optimizer: Optimizer?, state: [StateTensor] = []) -> [SavedTensor] {
        let store = machine.store
        func view(_ name: String, _ buffer: Matrix, _ e: ParameterStore.Entry) -> SavedTensor {
            .view(TensorView(name: name, dtype: .f32, shape: e.shape,
                             bytes: UnsafeRawBufferPointer(start: buffer.data + e.offset, count: e.count * MemoryLayout<Float>.size)))
        }
        var out = store.entries.map { view($0.name, store.values, $0) }
        if let optimizer {
            for (slot, buffer) in optimizer.slots {
                out += store.entries.map { view("optimizer.\($0.name).\(slot)", buffer, $0) }
            }
            out.append(.tensor(Tensor(name: "optimizer.step", shape: [1], values: [Int64(optimizer.stepCount)])))
        }
        for s in state {
            switch s.values {
            case .float32(let v): out.append(.tensor(Tensor(name: s.name, shape: s.shape, values: v)))
            case .float64(let v): out.append(.tensor(Tensor(name: s.name, shape: s.shape, values: v)))
            case .int64(let v): out.append(.tensor(Tensor(name: s.name, shape: s.shape, values: v)))
            }
        }
        return out
    }

    /// `--standardize`'s statistics as `data.mean` and `data.std`.
    public static func tensors(_ s: Standardization?) -> [Tensor] {
        guard let s else { return [] }
        return [Tensor(name: "data.mean", shape: [s.mean.count], values: s.mean), Tensor(name: "data.std", shape: [s.std.count], values: s.std)]
    }

    /// The standardisation a checkpoint's model was trained with, if any.
    /// The spike binning the checkpoint's run used (its recorded `bin-ms`, `window`, `stride`,
    /// `valid-from`; the defaults where absent), so spike data is cut as in training.
    public static func spikeBinning(_ checkpoint: Checkpoint) -> SpikeBinning {
        let config = checkpoint.manifest.config
        return SpikeBinning(binMs: config["bin-ms"]?.doubleValue ?? SpikeBinning().binMs,
                            window: config["window"]?.intValue ?? SpikeBinning().window,
                            stride: config["stride"]?.intValue, validFrom: config["valid-from"]?.doubleValue)
    }

    public static func standardization(_ checkpoint: Checkpoint, width: Int) throws -> Standardization? {
        guard let m = checkpoint["data.mean"] else { return nil }
        guard let s = checkpoint["data.std"], m.shape == [width], s.shape == [width] else {
            throw ConfigError(path: checkpoint.directory, field: "data.std", "expected data.mean and data.std of shape [\(width)] together")
        }
        let std = try s.values(as: Float.self)
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ConfigError(path: checkpoint.directory, field: "data.std", "expected positive finite values")
        }
        return Standardization(mean: try m.values(as: Float.self), std: std)
    }

    /// The tensors of a checkpoint that are neither parameters nor the optimizer's: the
    /// algorithm's state, for `TrainingAlgorithm.restore`.
    public static func state(_ checkpoint: Checkpoint, machine: HelmholtzMachine) throws -> [String: StateTensor] {
        let parameters = Set(machine.store.entries.map(\.name))
        var out: [String: StateTensor] = [:]
        for (name, t) in checkpoint.tensors where !parameters.contains(name) && !name.hasPrefix("optimizer.") && !name.hasPrefix("data.") {
            let values: StateTensor.Values
            switch t.dtype {
            case .f32: values = .float32(try t.values(as: Float.self))
            case .f64: values = .float64(try t.values(as: Double.self))
            case .i64: values = .int64(try t.values(as: Int64.self))
            default: throw ConfigError(path: checkpoint.directory, field: name, "state tensors are F32, F64 or I64, found \(t.dtype.rawValue)")
            }
            out[name] = StateTensor(name: name, shape: t.shape, values: values)
        }
        return out
    }

    /// The manifest's `architecture`: `layers` (widths, data first), `distributions` (each
    /// layer's kind), `roles` and `image_shape`.
    public static func architecture(_ model: ModelDescription) -> JSONValue {
        .object([
            "layers": .array(model.widths.map { .int($0) }),
            "distributions": .array(model.kinds.map { .string($0.rawValue) }),
            "roles": .array(model.layers.map { .string($0.role.rawValue) }),
            "image_shape": .array(model.imageShape.map { .int($0) }),
        ])
    }

    /// The model a manifest's `architecture` describes. Checkpoints written before roles were
    /// recorded mean data, then latents.
    public static func model(_ architecture: JSONValue, source: String) throws -> ModelDescription {
        guard let widths = architecture["layers"]?.arrayValue?.compactMap(\.intValue),
              widths.count >= 2, widths.allSatisfy({ $0 > 0 }) else {
            throw ConfigError(path: source, field: "architecture.layers", "expected a list of at least two positive widths")
        }
        let names = architecture["distributions"]?.arrayValue?.map { $0.stringValue ?? "?" } ?? widths.map { _ in "bernoulli" }
        guard names.count == widths.count else {
            throw ConfigError(path: source, field: "architecture.distributions", "expected \(widths.count) entries, one per layer, found \(names.count)")
        }
        let roleNames = architecture["roles"]?.arrayValue?.map { $0.stringValue ?? "?" }
            ?? widths.indices.map { $0 == 0 ? "data" : "latent" }
        guard roleNames.count == widths.count else {
            throw ConfigError(path: source, field: "architecture.roles", "expected \(widths.count) entries, one per layer, found \(roleNames.count)")
        }
        var layers: [LayerDescription] = []
        for (l, w) in widths.enumerated() {
            guard let kind = LayerKind(rawValue: names[l]) else {
                throw ConfigError(path: source, field: "architecture.distributions.\(l)", "expected one of \(LayerKind.allCases.map(\.rawValue).joined(separator: ", ")), found \(names[l]) (a newer version's layer kind?)")
            }
            guard let role = LayerRole(rawValue: roleNames[l]) else {
                throw ConfigError(path: source, field: "architecture.roles.\(l)", "expected one of \(LayerRole.allCases.map(\.rawValue).joined(separator: ", ")), found \(roleNames[l])")
            }
            layers.append(LayerDescription(width: w, kind: kind, role: role))
        }
        let model = ModelDescription(layers: layers, imageShape: architecture["image_shape"]?.arrayValue?.compactMap(\.intValue))
        if let problem = model.problem { throw ConfigError(path: source, field: "architecture", problem) }
        return model
    }

    /// The machine stored in `checkpoint`, rebuilt from its manifest and parameters alone.
    public static func machine(from checkpoint: Checkpoint) throws -> HelmholtzMachine {
        let model = try model(checkpoint.manifest.architecture, source: checkpoint.directory + "/manifest.json")
        let machine = HelmholtzMachine(model)
        for e in machine.store.entries {
            try restore(checkpoint, name: e.name, entry: e, into: machine.store.values)
        }
        return machine
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

/// A tensor as a save writes it: a view of a buffer that stays where it is, or one of its own.
public enum SavedTensor: TensorSource {
    case view(TensorView)
    case tensor(Tensor)

    private var source: any TensorSource {
        switch self {
        case .view(let v): return v
        case .tensor(let t): return t
        }
    }
    public var name: String { source.name }
    public var dtype: DType { source.dtype }
    public var shape: [Int] { source.shape }
    public var byteCount: Int { source.byteCount }
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .view(let v): return try v.withBytes(body)
        case .tensor(let t): return try t.withBytes(body)
        }
    }
}
