/// A data set of images as flat pixel vectors, split into train, valid and test.
///
/// Pixels are `Float` in [0, 1], row-major N × `width`, the layout the trainer's GEMMs take
/// directly. After `DataSource.load` every pixel is exactly 0 or 1 (the models are Bernoulli).
public struct Dataset: Sendable {
    /// The three splits. Only train is always present.
    public enum Split: String, CaseIterable, Sendable {
        case train, valid, test
    }

    /// A short name for logs and run configs: `digits`, `bars:5`, `mnist`, a file name.
    public let name: String
    /// Pixels per example (784 for MNIST).
    public let width: Int
    /// How one example is drawn as an image (sample PNGs); rows × cols == width.
    public let imageShape: ImageShape
    public let train: [Float]
    public let valid: [Float]?
    public let test: [Float]?
    /// The class label of each example of a split, in the split's order, for the splits that
    /// have them (`digits`, IDX label files beside the images); empty for unlabelled data
    /// (`bars`, spikes). Labels are never trained on: the quality measures' classifier uses them.
    public let labels: [Split: [Int]]

    public init(name: String, imageShape: ImageShape, train: [Float],
                valid: [Float]? = nil, test: [Float]? = nil, labels: [Split: [Int]] = [:]) {
        let width = imageShape.pixels
        precondition(width > 0, "Dataset \(name): empty image shape")
        for split in [train, valid ?? [], test ?? []] {
            precondition(split.count % width == 0, "Dataset \(name): \(split.count) pixels are not rows of \(width)")
        }
        self.name = name
        self.width = width
        self.imageShape = imageShape
        self.train = train
        self.valid = valid
        self.test = test
        self.labels = labels
        for (split, values) in labels {
            precondition(values.count == count(of: split),
                         "Dataset \(name): \(values.count) \(split.rawValue) labels for \(count(of: split)) examples")
        }
    }

    public var trainCount: Int { count(of: .train) }
    public var validCount: Int { count(of: .valid) }
    public var testCount: Int { count(of: .test) }

    /// Number of examples in `split`; 0 when the split is absent.
    public func count(of split: Split) -> Int { (self.split(split)?.count ?? 0) / width }

    /// The pixels of `split`, or nil when the data set has no such split.
    public func split(_ split: Split) -> [Float]? {
        switch split {
        case .train: return train
        case .valid: return valid
        case .test: return test
        }
    }

    /// The pixels of the split named `name` (`train`, `valid`, `test`), as `--split` gives it.
    public func split(named name: String) throws -> [Float] {
        guard let split = Split(rawValue: name) else {
            throw DataError(path: self.name, field: "split", "expected train, valid or test, found \"\(name)\"")
        }
        guard let pixels = self.split(split) else {
            let present = Split.allCases.filter { self.split($0) != nil }.map(\.rawValue)
            throw DataError(path: self.name, field: "split",
                            "this data set has no \(name) split; it has \(present.joined(separator: ", "))")
        }
        return pixels
    }

    /// The labels of `split`, or nil when that split has none.
    public func labels(of split: Split) -> [Int]? { labels[split] }

    /// Number of classes: one more than the largest label of any split; 0 when unlabelled.
    public var classCount: Int { labels.values.compactMap { $0.max() }.max().map { $0 + 1 } ?? 0 }

    /// Whether every pixel of every split is exactly 0 or 1.
    public var isBinary: Bool {
        Split.allCases.allSatisfy { Self.isBinary(split($0) ?? []) }
    }

    static func isBinary(_ pixels: [Float]) -> Bool {
        pixels.withUnsafeBufferPointer { buffer in
            for v in buffer where v != 0 && v != 1 { return false }
            return true
        }
    }
}
