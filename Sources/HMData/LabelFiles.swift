import Foundation

/// Class labels from IDX files beside the images (DESIGN §9): a one-dimensional integer array,
/// one label per image of the same split, in the same order.
enum LabelFiles {
    /// Name fragments that mark a file in a directory as a split's labels, as `ImageFiles`
    /// marks the images: `train-labels`, `t10k-labels`, `binarized-mnist-test-labels`, ….
    static let splitMarkers: [(Dataset.Split, [String])] = [
        (.train, ["train-labels"]), (.valid, ["valid-labels"]), (.test, ["t10k-labels", "test-labels"]),
    ]

    /// Labels above this are taken for a wrong file (the classifier has one output per class).
    static let largestLabel = 65_535

    /// The labels of each split of the directory `path` (whose file names are `names`) that has
    /// a labels file; each must hold as many labels as `counts` gives images for its split.
    static func loadDirectory(_ path: String, names: [String], counts: [Dataset.Split: Int]) throws -> [Dataset.Split: [Int]] {
        var labels: [Dataset.Split: [Int]] = [:]
        for (split, markers) in splitMarkers {
            let matches = names.filter { name in markers.contains { name.contains($0) } }
            guard matches.count <= 1 else {
                throw DataError(path: path, field: "files",
                                "expected at most one \(split.rawValue) labels file, found \(matches.joined(separator: ", "))")
            }
            guard let name = matches.first else { continue }
            let file = (path as NSString).appendingPathComponent(name)
            guard let count = counts[split] else {
                throw DataError(path: file, field: "file", "a \(split.rawValue) labels file, but there is no \(split.rawValue) images file")
            }
            labels[split] = try read(file, count: count)
        }
        return labels
    }

    /// The labels file beside the single images file `imagesPath`: its name with `images`
    /// replaced by `labels` (`digits8x8-images-idx3-ubyte.gz` → `digits8x8-labels-idx1-ubyte.gz`
    /// also matches, `idx3` being free to become `idx1`); nil when there is none.
    static func besideImagesFile(_ imagesPath: String) -> String? {
        let directory = (imagesPath as NSString).deletingLastPathComponent
        let name = (imagesPath as NSString).lastPathComponent
        guard name.contains("images") else { return nil }
        let labelsName = name.replacingOccurrences(of: "images", with: "labels")
        let candidates = [labelsName, labelsName.replacingOccurrences(of: "idx3", with: "idx1")]
        return candidates.map { (directory as NSString).appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Reads one labels file and checks it holds `count` labels in 0...`largestLabel`.
    static func read(_ path: String, count: Int) throws -> [Int] {
        let array = try IDXArray.read(path: path)
        guard array.shape.count == 1 else {
            throw DataError(path: path, field: "header", "expected labels of shape [N], found shape \(array.shape)")
        }
        guard let values = array.int32s() else {
            throw DataError(path: path, field: "header", "expected integer labels, found \(array.elementType)")
        }
        guard values.count == count else {
            throw DataError(path: path, field: "header", "expected \(count) labels, one per image, found \(values.count)")
        }
        if let bad = values.firstIndex(where: { $0 < 0 || $0 > largestLabel }) {
            throw DataError(path: path, field: "data", "expected labels in 0...\(largestLabel), found \(values[bad]) (item \(bad))")
        }
        return values.map(Int.init)
    }
}
