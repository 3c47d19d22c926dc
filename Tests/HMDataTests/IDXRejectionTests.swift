import Testing
@testable import HMData

/// Broken files must be refused with an error naming the file and the field at fault.
@Suite struct IDXRejectionTests {
    /// Writes `bytes` (gzipped when asked) and returns the reader's error.
    func readError(_ bytes: [UInt8], gzip: Bool = false) throws -> DataError {
        try withTemporaryDirectory { dir in
            let path = dir + "/broken-images.idx"
            try writeBytes(gzip ? Gzip.compress(bytes) : bytes, to: path)
            let error = try #require(dataError { try IDXArray.read(path: path) })
            #expect(error.path == path)
            #expect(error.description.hasPrefix(path + ": "))
            return error
        }
    }

    let valid = IDXArray(shape: [10, 4], uint8: Array(0..<40)).encoded()

    @Test func badMagic() throws {
        let error = try readError([0x1F, 0x00, 0x08, 0x03] + Array(valid[4...]))
        #expect(error.field == "header")
        #expect(error.message.contains("expected magic 00 00 <type> <dims>, found 1F 00 08 03"))
    }

    @Test func unknownType() throws {
        let error = try readError([0, 0, 0x07, 2] + Array(valid[4...]))
        #expect(error.field == "header")
        #expect(error.message.contains("found 07"))
    }

    @Test(arguments: [false, true])
    func truncatedData(gzip: Bool) throws {
        let error = try readError(Array(valid.dropLast(10)), gzip: gzip)
        #expect(error.field == "data")
        #expect(error.message.contains("file ends after 30 of 40 bytes"))
    }

    @Test func truncatedHeader() throws {
        let error = try readError(Array(valid.prefix(9)))
        #expect(error.field == "header")
        #expect(error.message.contains("file ends after 9 of 12 header bytes"))
    }

    @Test func emptyFile() throws {
        let error = try readError([])
        #expect(error.field == "header")
    }

    @Test(arguments: [false, true])
    func trailingBytes(gzip: Bool) throws {
        let error = try readError(valid + [1, 2, 3], gzip: gzip)
        #expect(error.field == "data")
        #expect(error.message.contains("3 trailing bytes"))
    }

    @Test func zeroDimensions() throws {
        let error = try readError([0, 0, 0x08, 0])
        #expect(error.field == "header")
        #expect(error.message.contains("at least 1 dimension"))
    }

    @Test func zeroSizedDimension() throws {
        let error = try readError([0, 0, 0x08, 2, 0, 0, 0, 0, 0, 0, 0, 4])
        #expect(error.field == "header")
        #expect(error.message.contains("dimension 1"))
    }

    @Test func overflowingShape() throws {
        let error = try readError([0, 0, 0x0E, 3] + Array(repeating: 0xFF, count: 12))
        #expect(error.field == "header")
        #expect(error.message.contains("too large"))
    }

    @Test func corruptGzip() throws {
        var bytes = Gzip.compress(IDXArray(shape: [100, 100], uint8: (0..<10_000).map { UInt8($0 % 7) }).encoded())
        for i in 12..<(bytes.count - 8) { bytes[i] ^= 0x5A }
        let error = try readError(bytes)
        #expect(error.field == "gzip")
        #expect(error.message.contains("corrupt"))
    }

    @Test func gzipWithBadChecksum() throws {
        var bytes = Gzip.compress(valid)
        bytes[bytes.count - 6] ^= 1
        let error = try readError(bytes)
        #expect(error.field == "gzip")
    }

    @Test func truncatedGzip() throws {
        let bytes = Gzip.compress(valid)
        let error = try readError(Array(bytes.prefix(bytes.count / 2)))
        #expect(error.field == "gzip")
        #expect(error.message.contains("truncated"))
    }

    @Test func garbageAfterGzip() throws {
        let error = try readError(Gzip.compress(valid) + [0, 0, 0, 0])
        #expect(error.field == "gzip")
        #expect(error.message.contains("4 trailing bytes"))
    }

    @Test func missingFile() throws {
        let error = try #require(dataError { try IDXArray.read(path: "/nonexistent/train-images.gz") })
        #expect(error.description.hasPrefix("/nonexistent/train-images.gz: file: cannot open"))
    }
}
