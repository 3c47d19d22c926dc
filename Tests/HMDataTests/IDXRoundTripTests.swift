import Testing
@testable import HMData

@Suite struct IDXRoundTripTests {
    static let shape = [3, 2, 2]

    /// One array of each element type, with extreme values, and the floats it must decode to.
    static let cases: [(IDXArray, [Float])] = [
        (IDXArray(shape: shape, uint8: [0, 1, 2, 127, 128, 200, 254, 255, 3, 4, 5, 6]),
         [0, 1, 2, 127, 128, 200, 254, 255, 3, 4, 5, 6]),
        (IDXArray(shape: shape, int8: [-128, -1, 0, 1, 127, 5, -5, 6, 7, 8, 9, 10]),
         [-128, -1, 0, 1, 127, 5, -5, 6, 7, 8, 9, 10]),
        (IDXArray(shape: shape, int16: [-32768, -1, 0, 1, 32767, 256, 258, -300, 7, 8, 9, 10]),
         [-32768, -1, 0, 1, 32767, 256, 258, -300, 7, 8, 9, 10]),
        (IDXArray(shape: shape, int32: [Int32.min, -1, 0, 1, 16_777_216, 65_536, 60_000, -70_000, 7, 8, 9, 10]),
         [-2_147_483_648, -1, 0, 1, 16_777_216, 65_536, 60_000, -70_000, 7, 8, 9, 10]),
        (IDXArray(shape: shape, float32: [0, 1, 0.5, -2.25, 1e-30, 3.4e38, .infinity, 0.1, 0.2, 0.3, 0.4, 0.6]),
         [0, 1, 0.5, -2.25, 1e-30, 3.4e38, .infinity, 0.1, 0.2, 0.3, 0.4, 0.6]),
        (IDXArray(shape: shape, float64: [0, 1, 0.5, -2.25, 1e-300, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8]),
         [0, 1, 0.5, -2.25, 0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8]),
    ]

    @Test(arguments: IDXElementType.allCases, [false, true])
    func roundTrip(type: IDXElementType, gzip: Bool) throws {
        let (array, floats) = try #require(Self.cases.first { $0.0.elementType == type })
        try withTemporaryDirectory { dir in
            let path = dir + "/a.idx" + (gzip ? ".gz" : "")
            try array.write(to: path, gzip: gzip)
            let bytes = try FileBytes.read(path)
            #expect(Gzip.isCompressed(bytes) == gzip)
            let back = try IDXArray.read(path: path)
            #expect(back == array)
            #expect(back.shape == Self.shape)
            #expect(back.elementType == type)
            #expect(back.floats() == floats)
            #expect(back.int32s() == (type.isInteger ? floats.map { Int32($0) } : nil))
        }
    }

    @Test func headerIsBigEndianAsInTheSpec() {
        let bytes = IDXArray(shape: [2, 258], int16: Array(repeating: 1, count: 516)).encoded()
        #expect(Array(bytes.prefix(12)) == [0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 1, 2])
        #expect(Array(bytes[12..<14]) == [0, 1])
        #expect(bytes.count == 12 + 516 * 2)
    }

    @Test func float32IsStoredMostSignificantByteFirst() {
        let bytes = IDXArray(shape: [1], float32: [1]).encoded()
        #expect(Array(bytes.suffix(4)) == [0x3F, 0x80, 0, 0])
    }

    @Test func multiMemberGzipIsOneStream() throws {
        let bytes = IDXArray(shape: [4], uint8: [9, 8, 7, 6]).encoded()
        let twoMembers = Gzip.compress(Array(bytes[..<7])) + Gzip.compress(Array(bytes[7...]))
        #expect(try Gzip.decompress(twoMembers, path: "x") == bytes)
    }

    @Test func largeArrayRoundTripsThroughGzip() throws {
        let values = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let array = IDXArray(shape: [300, 1000], uint8: values)
        try withTemporaryDirectory { dir in
            try array.write(to: dir + "/big.gz", gzip: true)
            #expect(try IDXArray.read(path: dir + "/big.gz") == array)
        }
    }
}
