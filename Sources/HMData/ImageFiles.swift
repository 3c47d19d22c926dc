import Foundation

/// Data sets from IDX image files on disk: a directory of split files, or one file.
enum ImageFiles {
    /// Name fragments that mark a file in a directory as a split's images. Both the MNIST
    /// names (`train-images`, `t10k-images`) and the binarized-MNIST names (`…-train-images`,
    /// `…-valid-images`, `…-test-images`) match; label files do not.
    static let splitMarkers: [(Dataset.Split, [String])] = [
        (.train, ["train-images"]), (.valid, ["valid-images"]), (.test, ["t10k-images", "test-images"]),
    ]

    /// A directory: each split is the one file whose name contains its marker; train is required.
    /// Labels files of the splits (`LabelFiles`) come along when present.
    static func loadDirectory(_ path: String) throws -> Dataset {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DataError(path: path, field: "file", "cannot list directory: \(error.localizedDescription)")
        }
        var files: [Dataset.Split: String] = [:]
        for (split, markers) in splitMarkers {
            let matches = names.filter { name in markers.contains { name.contains($0) } }
            guard matches.count <= 1 else {
                throw DataError(path: path, field: "files",
                                "expected one \(split.rawValue) images file, found \(matches.joined(separator: ", "))")
            }
            files[split] = matches.first.map { (path as NSString).appendingPathComponent($0) }
        }
        guard let trainPath = files[.train] else {
            throw DataError(path: path, field: "files",
                            "expected a file whose name contains train-images, found \(names.isEmpty ? "an empty directory" : names.joined(separator: ", "))")
        }
        let train = try Images.read(trainPath)
        func other(_ split: Dataset.Split) throws -> [Float]? {
            guard let file = files[split] else { return nil }
            let images = try Images.read(file)
            guard images.imageShape == train.imageShape else {
                throw DataError(path: file, field: "header",
                                "expected images of \(train.imageShape) like \(trainPath), found \(images.imageShape)")
            }
            return images.pixels
        }
        let valid = try other(.valid), test = try other(.test)
        var counts: [Dataset.Split: Int] = [.train: train.count]
        if let valid { counts[.valid] = valid.count / train.width }
        if let test { counts[.test] = test.count / train.width }
        let labels = try LabelFiles.loadDirectory(path, names: names, counts: counts)
        return Dataset(name: (path as NSString).lastPathComponent, imageShape: train.imageShape,
                       train: train.pixels, valid: valid, test: test, labels: labels)
    }

    /// One images file: all of it is train data, except that the last tenth (rounded down) is
    /// held out as the valid split, so training can still report a validation estimate.
    /// There is no test split. A labels file beside it (`LabelFiles.besideImagesFile`) is split
    /// the same way.
    static func loadFile(_ path: String) throws -> Dataset {
        let images = try Images.read(path)
        let held = images.count / 10
        let kept = images.count - held, cut = kept * images.width
        var labels: [Dataset.Split: [Int]] = [:]
        if let labelsPath = LabelFiles.besideImagesFile(path) {
            let all = try LabelFiles.read(labelsPath, count: images.count)
            labels[.train] = Array(all[..<kept])
            if held > 0 { labels[.valid] = Array(all[kept...]) }
        }
        return Dataset(name: (path as NSString).lastPathComponent, imageShape: images.imageShape,
                       train: Array(images.pixels[..<cut]),
                       valid: held > 0 ? Array(images.pixels[cut...]) : nil, labels: labels)
    }
}
