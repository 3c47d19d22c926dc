import HMCore
import HMData

/// A split's pixels as a matrix, with its labels: what the classifier trains and is measured on.
enum LabelledRows {
    static func of(_ dataset: Dataset, _ split: Dataset.Split, spec: String) throws -> (Matrix, [Int]) {
        guard let labels = dataset.labels(of: split), let pixels = dataset.split(split) else {
            throw DataError(path: spec, field: "labels",
                            "expected labels for the \(split.rawValue) split (digits, or an IDX file whose name contains \(split == .test ? "test-labels or t10k-labels" : "\(split.rawValue)-labels") beside the images), found none")
        }
        return (Matrix(rows: labels.count, cols: dataset.width, values: pixels), labels)
    }
}
