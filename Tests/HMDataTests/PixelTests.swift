import Testing
@testable import HMData

/// Pixel scaling and binarization.
@Suite struct PixelTests {
    /// Loads `array` written as a single file (all train, last tenth valid).
    func load(_ array: IDXArray, _ binarize: Binarization) throws -> Dataset {
        try withTemporaryDirectory { dir in
            try array.write(to: dir + "/images", gzip: true)
            return try DataSource.load(spec: dir + "/images", binarize: binarize)
        }
    }

    @Test func nonBinaryDataNeedsBinarization() throws {
        let grey = IDXArray(shape: [10, 2, 2], float32: Array(repeating: 0.3, count: 40))
        let error = try #require(dataError { try load(grey, .none) })
        #expect(error.field == "pixels")
        #expect(error.message.contains("--binarize threshold|stochastic"))
        let bytes = IDXArray(shape: [10, 2, 2], uint8: Array(repeating: 200, count: 40))
        #expect(dataError { try load(bytes, .none) } != nil)
    }

    @Test func ubyteIsScaledBy255AndThresholdedAtOneHalf() throws {
        let levels: [UInt8] = [0, 127, 128, 255]
        let data = try load(IDXArray(shape: [10, 4], uint8: Array((0..<10).map { _ in levels }.joined())), .threshold)
        #expect(Array(data.train.prefix(4)) == [0, 0, 1, 1])
    }

    @Test func thresholdOfFloats() throws {
        let values: [Float] = [0.2, 0.5, 0.7, 0.49999]
        let data = try load(IDXArray(shape: [10, 4], float32: Array((0..<10).map { _ in values }.joined())), .threshold)
        #expect(Array(data.train.prefix(4)) == [0, 1, 1, 0])
        #expect(data.isBinary)
    }

    @Test func binaryDataIsUsedAsIs() throws {
        let bits: [UInt8] = (0..<40).map { UInt8($0 % 3 == 0 ? 1 : 0) }
        for binarize in Binarization.allCases {
            let data = try load(IDXArray(shape: [10, 4], uint8: bits), binarize)
            #expect(data.train + data.valid! == bits.map(Float.init))
        }
    }

    @Test func stochasticBinarizationHasTheRightMeanAndIsDeterministic() throws {
        let p: [Float] = [0.3, 0.9]
        let array = IDXArray(shape: [1000, 2, 50], float32: (0..<100_000).map { p[$0 % 100 / 50] })
        let data = try load(array, .stochastic)
        #expect(data.isBinary)
        var sums = [Float](repeating: 0, count: 2), counts = [Float](repeating: 0, count: 2)
        for (i, v) in (data.train + data.valid!).enumerated() {
            sums[i % 100 / 50] += v
            counts[i % 100 / 50] += 1
        }
        // 50,000 draws each: the standard error is about 0.002.
        #expect(abs(sums[0] / counts[0] - 0.3) < 0.01)
        #expect(abs(sums[1] / counts[1] - 0.9) < 0.01)
        let again = try load(array, .stochastic)
        #expect(again.train == data.train && again.valid == data.valid)
        #expect(data.train.prefix(100) != data.train[100..<200], "examples draw different uniforms")
    }

    @Test func integerDataBeyondOneIsRefused() throws {
        let error = try #require(dataError { try load(IDXArray(shape: [10, 2], int16: Array(repeating: 2, count: 20)), .threshold) })
        #expect(error.field == "data")
        #expect(error.message.contains("expected ubyte 0..255 or integer 0/1"))
    }

    @Test func floatDataOutsideTheUnitIntervalIsRefused() throws {
        for bad: Float in [1.5, -0.1, .nan] {
            let values = [bad] + Array(repeating: 0.5, count: 19)
            let error = try #require(dataError { try load(IDXArray(shape: [10, 2], float32: values), .threshold) })
            #expect(error.message.contains(bad.isNaN ? "item 0, pixel 0: expected a finite value, found nan" : "expected float pixels in [0, 1]"), "\(error.message)")
        }
    }
}
