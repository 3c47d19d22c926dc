import Foundation
import Testing
@testable import HMData

/// Directories and single files of IDX images resolve to the right splits.
@Suite struct DirectoryTests {
    /// `count` 2×3 ubyte images whose pixel j of image i is `(i * 6 + j) * 7 % 256`.
    static func images(_ count: Int, offset: Int = 0) -> IDXArray {
        IDXArray(shape: [count, 2, 3], uint8: (0..<(count * 6)).map { UInt8((offset + $0) * 7 % 256) })
    }

    static func thresholded(_ array: IDXArray) -> [Float] {
        array.floats().map { $0 / 255 >= 0.5 ? 1 : 0 }
    }

    @Test func mnistStyleDirectory() throws {
        try withTemporaryDirectory { dir in
            let train = Self.images(20), valid = Self.images(5, offset: 1), test = Self.images(7, offset: 2)
            try train.write(to: dir + "/train-images-idx3-ubyte.gz", gzip: true)
            try valid.write(to: dir + "/valid-images-idx3-ubyte")
            try test.write(to: dir + "/t10k-images-idx3-ubyte.gz", gzip: true)
            try IDXArray(shape: [20], uint8: Array(repeating: 3, count: 20))
                .write(to: dir + "/train-labels-idx1-ubyte.gz", gzip: true)
            try writeBytes([1, 2, 3], to: dir + "/.hidden-train-images")
            let data = try DataSource.load(spec: dir, binarize: .threshold)
            #expect(data.width == 6)
            #expect(data.imageShape == ImageShape(rows: 2, cols: 3))
            #expect(data.counts == [20, 5, 7])
            #expect(data.train == Self.thresholded(train))
            #expect(data.valid == Self.thresholded(valid))
            #expect(data.test == Self.thresholded(test))
            #expect(data.isBinary)
            #expect(try data.split(named: "test") == data.test)
        }
    }

    @Test func binarizedMnistStyleDirectoryNeedsNoBinarization() throws {
        try withTemporaryDirectory { dir in
            let bits = { (n: Int, k: Int) in
                IDXArray(shape: [n, 4, 4], uint8: (0..<(n * 16)).map { UInt8(($0 * k) % 3 == 0 ? 1 : 0) })
            }
            try bits(10, 1).write(to: dir + "/binarized-mnist-train-images-idx3-ubyte.gz", gzip: true)
            try bits(4, 2).write(to: dir + "/binarized-mnist-valid-images-idx3-ubyte.gz", gzip: true)
            try bits(3, 5).write(to: dir + "/binarized-mnist-test-images-idx3-ubyte.gz", gzip: true)
            let data = try DataSource.load(spec: dir)
            #expect(data.counts == [10, 4, 3])
            #expect(data.train == bits(10, 1).floats())
            #expect(data.test == bits(3, 5).floats())
            #expect(data.name == (dir as NSString).lastPathComponent)
        }
    }

    @Test func directoryWithoutTrainFileIsRefused() throws {
        try withTemporaryDirectory { dir in
            try Self.images(3).write(to: dir + "/t10k-images-idx3-ubyte")
            let error = try #require(dataError { try DataSource.load(spec: dir, binarize: .threshold) })
            #expect(error.path == dir)
            #expect(error.message.contains("train-images"))
        }
    }

    @Test func twoTrainFilesAreRefused() throws {
        try withTemporaryDirectory { dir in
            try Self.images(3).write(to: dir + "/train-images-idx3-ubyte")
            try Self.images(3).write(to: dir + "/train-images-idx3-ubyte.gz", gzip: true)
            let error = try #require(dataError { try DataSource.load(spec: dir, binarize: .threshold) })
            #expect(error.field == "files")
            #expect(error.message.contains("train-images-idx3-ubyte.gz"))
        }
    }

    @Test func splitsOfDifferentShapesAreRefused() throws {
        try withTemporaryDirectory { dir in
            try Self.images(3).write(to: dir + "/train-images-idx3-ubyte")
            try IDXArray(shape: [2, 3, 2], uint8: Array(repeating: 0, count: 12))
                .write(to: dir + "/test-images-idx3-ubyte")
            let error = try #require(dataError { try DataSource.load(spec: dir, binarize: .threshold) })
            #expect(error.path == dir + "/test-images-idx3-ubyte")
        }
    }

    @Test func singleFileHoldsOutTheLastTenthAsValid() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/my-images.idx.gz"
            let array = Self.images(25)
            try array.write(to: path, gzip: true)
            let data = try DataSource.load(spec: path, binarize: .threshold)
            #expect(data.name == "my-images.idx.gz")
            #expect(data.counts == [23, 2, 0])
            #expect(data.test == nil)
            #expect(data.train + data.valid! == Self.thresholded(array))
            let error = try #require(dataError { try data.split(named: "test") })
            #expect(error.message.contains("no test split"))
        }
    }

    @Test func flatImagesAreDrawnSquare() throws {
        try withTemporaryDirectory { dir in
            try IDXArray(shape: [2, 16], uint8: Array(repeating: 1, count: 32)).write(to: dir + "/a")
            try IDXArray(shape: [2, 6], uint8: Array(repeating: 1, count: 12)).write(to: dir + "/b")
            #expect(try DataSource.load(spec: dir + "/a").imageShape == ImageShape(rows: 4, cols: 4))
            #expect(try DataSource.load(spec: dir + "/b").imageShape == ImageShape(rows: 1, cols: 6))
        }
    }

    @Test func labelsFileIsNotImages() throws {
        try withTemporaryDirectory { dir in
            try IDXArray(shape: [5], uint8: [1, 2, 3, 4, 5]).write(to: dir + "/labels")
            let error = try #require(dataError { try DataSource.load(spec: dir + "/labels") })
            #expect(error.message.contains("labels"))
        }
    }

    @Test func unknownSpecIsExplained() throws {
        let error = try #require(dataError { try DataSource.load(spec: "/nonexistent/mnist") })
        #expect(error.description.hasPrefix("/nonexistent/mnist: spec: no such file or directory"))
        #expect(error.message.contains("digits"))
    }
}
