import Foundation
import Testing
@testable import HMData

/// Labels come from IDX files beside the images, split as the images are, and are checked
/// against them; the built-in `digits` carries its own.
@Suite struct LabelTests {
    static func labels(_ count: Int, offset: Int = 0) -> IDXArray {
        IDXArray(shape: [count], uint8: (0..<count).map { UInt8((offset + $0 * 3) % 10) })
    }

    static func expected(_ count: Int, offset: Int = 0) -> [Int] {
        (0..<count).map { (offset + $0 * 3) % 10 }
    }

    @Test func directoryLabelsPerSplit() throws {
        try withTemporaryDirectory { dir in
            try DirectoryTests.images(20).write(to: dir + "/train-images-idx3-ubyte.gz", gzip: true)
            try DirectoryTests.images(7).write(to: dir + "/t10k-images-idx3-ubyte")
            try DirectoryTests.images(5).write(to: dir + "/valid-images-idx3-ubyte")
            try Self.labels(20).write(to: dir + "/train-labels-idx1-ubyte.gz", gzip: true)
            try Self.labels(7, offset: 1).write(to: dir + "/t10k-labels-idx1-ubyte")
            let data = try DataSource.load(spec: dir, binarize: .threshold)
            #expect(data.labels(of: .train) == Self.expected(20))
            #expect(data.labels(of: .test) == Self.expected(7, offset: 1))
            #expect(data.labels(of: .valid) == nil)
            #expect(data.classCount == 10)
        }
    }

    @Test func binarizedMnistNamesAndInt32Labels() throws {
        try withTemporaryDirectory { dir in
            let bits = IDXArray(shape: [6, 2, 2], uint8: (0..<24).map { UInt8($0 % 2) })
            try bits.write(to: dir + "/binarized-mnist-train-images-idx3-ubyte.gz", gzip: true)
            try bits.write(to: dir + "/binarized-mnist-test-images-idx3-ubyte.gz", gzip: true)
            try IDXArray(shape: [6], int32: [0, 1, 2, 3, 4, 11]).write(to: dir + "/binarized-mnist-test-labels-idx1-int.gz", gzip: true)
            // Not a labels file, though beside them.
            try IDXArray(shape: [6], int32: [9, 9, 9, 9, 9, 9]).write(to: dir + "/binarized-mnist-train-source-index-idx1-int.gz", gzip: true)
            let data = try DataSource.load(spec: dir)
            #expect(data.labels(of: .train) == nil)
            #expect(data.labels(of: .test) == [0, 1, 2, 3, 4, 11])
            #expect(data.classCount == 12)
        }
    }

    @Test func wrongCountNamesTheFile() throws {
        try withTemporaryDirectory { dir in
            try DirectoryTests.images(20).write(to: dir + "/train-images-idx3-ubyte")
            try Self.labels(19).write(to: dir + "/train-labels-idx1-ubyte")
            let error = try #require(dataError { try DataSource.load(spec: dir, binarize: .threshold) })
            #expect(error.path == dir + "/train-labels-idx1-ubyte")
            #expect(error.message.contains("expected 20 labels") && error.message.contains("found 19"), "\(error)")
        }
    }

    @Test func labelsThatAreImagesOrNegativeAreRefused() throws {
        try withTemporaryDirectory { dir in
            try DirectoryTests.images(4).write(to: dir + "/train-images-idx3-ubyte")
            try DirectoryTests.images(4).write(to: dir + "/train-labels-idx1-ubyte")
            let error = try #require(dataError { try DataSource.load(spec: dir, binarize: .threshold) })
            #expect(error.field == "header" && error.message.contains("[N]"), "\(error)")
            try IDXArray(shape: [4], int32: [0, 1, -2, 3]).write(to: dir + "/train-labels-idx1-ubyte")
            let negative = try #require(dataError { try DataSource.load(spec: dir, binarize: .threshold) })
            #expect(negative.field == "data" && negative.message.contains("-2") && negative.message.contains("item 2"), "\(negative)")
        }
    }

    @Test func labelsWithoutImagesOfTheirSplitAreRefused() throws {
        try withTemporaryDirectory { dir in
            try DirectoryTests.images(4).write(to: dir + "/train-images-idx3-ubyte")
            try Self.labels(4).write(to: dir + "/test-labels-idx1-ubyte")
            let error = try #require(dataError { try DataSource.load(spec: dir, binarize: .threshold) })
            #expect(error.path.hasSuffix("test-labels-idx1-ubyte") && error.message.contains("no test images"), "\(error)")
        }
    }

    /// One images file: the labels file named like it is split at the same place (last tenth valid).
    @Test func singleFileLabelsSplitLikeTheImages() throws {
        try withTemporaryDirectory { dir in
            try DirectoryTests.images(25).write(to: dir + "/my-images-idx3-ubyte.gz", gzip: true)
            try Self.labels(25).write(to: dir + "/my-labels-idx1-ubyte.gz", gzip: true)
            let data = try DataSource.load(spec: dir + "/my-images-idx3-ubyte.gz", binarize: .threshold)
            #expect(data.counts == [23, 2, 0])
            #expect(data.labels(of: .train) == Array(Self.expected(25)[..<23]))
            #expect(data.labels(of: .valid) == Array(Self.expected(25)[23...]))

            try DirectoryTests.images(10).write(to: dir + "/other-images")
            try Self.labels(10).write(to: dir + "/other-labels")
            #expect(try DataSource.load(spec: dir + "/other-images", binarize: .threshold).labels(of: .train) == Array(Self.expected(10)[..<9]))
            try DirectoryTests.images(10).write(to: dir + "/plain.idx")
            #expect(try DataSource.load(spec: dir + "/plain.idx", binarize: .threshold).labels.isEmpty)
        }
    }

    /// Pinned from the digits labels file that scripts/embed_digits.py embeds: per-class counts
    /// of each split and a few labels by position (load_digits starts 0, 1, …, 9, 0, …).
    @Test func digitsLabels() throws {
        let data = try DataSource.load(spec: "digits")
        #expect(data.classCount == 10)
        func histogram(_ split: Dataset.Split) throws -> [Int] {
            let labels = try #require(data.labels(of: split))
            return (0..<10).map { k in labels.filter { $0 == k }.count }
        }
        #expect(try histogram(.train) == [139, 143, 137, 144, 138, 141, 142, 139, 135, 139])
        #expect(try histogram(.valid) == [21, 18, 21, 17, 21, 22, 17, 20, 22, 21])
        #expect(try histogram(.test) == [18, 21, 19, 22, 22, 19, 22, 20, 17, 20])
        #expect(data.labels(of: .train)?.prefix(12) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        #expect(data.labels(of: .valid)?.prefix(5) == [4, 4, 7, 2, 8])
        #expect(data.labels(of: .test)?.suffix(5) == [9, 0, 8, 9, 8])
    }

    @Test func unlabelledBuiltins() throws {
        #expect(try DataSource.load(spec: "bars").labels.isEmpty)
        #expect(try DataSource.load(spec: "bars").classCount == 0)
    }
}
