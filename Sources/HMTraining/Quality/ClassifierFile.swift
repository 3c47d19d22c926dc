import Foundation
import HMAlgorithms
import HMCheckpoint
import HMData

/// A `LabelClassifier` on disk: one safetensors file holding its parameters
/// (`classifier.<layer>.weight` [out, in], `classifier.<layer>.bias` [out], float32) and, in the
/// metadata, what it classifies and how well: `kind` (`hm-dist-label-classifier`), `classes`,
/// `width`, `hidden`, `image_rows`, `image_cols`, `data`, `binarize`, `split` and
/// `test_accuracy` (of that held-out split), `train_accuracy`.
public enum ClassifierFile {
    public static let kind = "hm-dist-label-classifier"

    /// What the metadata says beside the parameters.
    public struct Info: Sendable, Equatable {
        public var data: String
        public var binarize: String
        public var imageShape: ImageShape
        /// The held-out split `testAccuracy` was measured on (`test`, else `valid`).
        public var split: String
        public var testAccuracy: Double
        public var trainAccuracy: Double

        public init(data: String, binarize: String, imageShape: ImageShape, split: String, testAccuracy: Double, trainAccuracy: Double) {
            self.data = data
            self.binarize = binarize
            self.imageShape = imageShape
            self.split = split
            self.testAccuracy = testAccuracy
            self.trainAccuracy = trainAccuracy
        }
    }

    public static func write(_ classifier: LabelClassifier, info: Info, to path: String) throws {
        let tensors = classifier.entries.map { e in
            Tensor(name: e.name, shape: e.shape, values: Array(UnsafeBufferPointer(start: classifier.parameters.data + e.offset, count: e.count)))
        }
        let metadata = [
            "kind": kind, "classes": "\(classifier.classes)", "width": "\(classifier.width)", "hidden": "\(classifier.hidden)",
            "image_rows": "\(info.imageShape.rows)", "image_cols": "\(info.imageShape.cols)", "data": info.data,
            "binarize": info.binarize, "split": info.split,
            "test_accuracy": "\(info.testAccuracy)", "train_accuracy": "\(info.trainAccuracy)",
        ]
        try DurableFile.write(try Safetensors.encode(tensors, metadata: metadata), to: path)
    }

    /// Reads a file `write` wrote; anything else (another safetensors file, a checkpoint shard,
    /// a file of another shape) is refused with an error naming the file and the field.
    public static func read(_ path: String) throws -> (classifier: LabelClassifier, info: Info) {
        let bytes = try DurableFile.read(path)
        let contents = try Safetensors.decode(bytes, source: path)
        let meta = contents.metadata
        func fail(_ field: String, _ message: String) -> ConfigError { ConfigError(path: path, field: field, message) }
        guard meta["kind"] == kind else {
            throw fail("kind", "expected a label classifier written by `hm-dist classifier` (metadata kind \(kind)), found \(meta["kind"].map { "kind \($0)" } ?? "no kind")")
        }
        func integer(_ key: String, atLeast low: Int) throws -> Int {
            guard let text = meta[key], let value = Int(text), value >= low else {
                throw fail(key, "expected an integer of at least \(low) in the metadata, found \(meta[key] ?? "none")")
            }
            return value
        }
        func number(_ key: String) throws -> Double {
            guard let text = meta[key], let value = Double(text) else { throw fail(key, "expected a number in the metadata, found \(meta[key] ?? "none")") }
            return value
        }
        let width = try integer("width", atLeast: 1), classes = try integer("classes", atLeast: 2), hidden = try integer("hidden", atLeast: 0)
        let rows = try integer("image_rows", atLeast: 1), cols = try integer("image_cols", atLeast: 1)
        guard rows * cols == width else { throw fail("image_rows", "an image of \(rows) × \(cols) is not \(width) pixels") }
        let classifier = LabelClassifier(width: width, classes: classes, hidden: hidden)
        let tensors = Dictionary(contents.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard tensors.count == classifier.entries.count else {
            throw fail("tensors", "expected \(classifier.entries.map(\.name).joined(separator: ", ")), found \(contents.tensors.map(\.name).sorted().joined(separator: ", "))")
        }
        for e in classifier.entries {
            guard let tensor = tensors[e.name], tensor.shape == e.shape, tensor.dtype == .f32 else {
                throw fail(e.name, "expected an f32 tensor of shape \(e.shape), found \(tensors[e.name].map { "\($0.dtype.rawValue) \($0.shape)" } ?? "none")")
            }
            let values = try tensor.values(as: Float.self)
            (classifier.parameters.data + e.offset).update(from: values, count: e.count)
        }
        let info = Info(data: meta["data"] ?? "", binarize: meta["binarize"] ?? "none", imageShape: ImageShape(rows: rows, cols: cols),
                        split: meta["split"] ?? "test", testAccuracy: try number("test_accuracy"), trainAccuracy: try number("train_accuracy"))
        return (classifier, info)
    }
}
