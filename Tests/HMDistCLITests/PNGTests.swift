import CZlib
import Foundation
import Testing
@testable import HMReport

@Suite struct PNGTests {
    struct Chunk {
        var type: String
        var data: [UInt8]
        var crc: UInt32
    }

    static func uint32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Splits a PNG after its signature into chunks, by hand.
    static func chunks(_ png: [UInt8]) throws -> [Chunk] {
        var chunks: [Chunk] = []
        var at = 8
        while at < png.count {
            try #require(at + 12 <= png.count)
            let length = Int(uint32(png[at..<(at + 4)]))
            try #require(at + 12 + length <= png.count)
            let type = String(decoding: png[(at + 4)..<(at + 8)], as: UTF8.self)
            let data = Array(png[(at + 8)..<(at + 8 + length)])
            chunks.append(Chunk(type: type, data: data, crc: uint32(png[(at + 8 + length)..<(at + 12 + length)])))
            at += 12 + length
        }
        return chunks
    }

    static func inflate(_ data: [UInt8], expectedCount: Int) -> [UInt8]? {
        var length = uLongf(expectedCount + 16)
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
        }
        return status == Z_OK ? Array(output.prefix(Int(length))) : nil
    }

    static let image = PNG.GrayImage(width: 5, height: 3, pixels: (0..<15).map { UInt8($0 * 17) })

    @Test func signatureChunksAndCRCs() throws {
        let png = try PNG.encode(Self.image)
        #expect(Array(png.prefix(8)) == [137, 80, 78, 71, 13, 10, 26, 10])
        let chunks = try Self.chunks(png)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        for chunk in chunks {
            let typed = Array(chunk.type.utf8) + chunk.data
            let expected = typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            #expect(chunk.crc == expected, "CRC of \(chunk.type)")
        }
        let header = chunks[0].data
        #expect(header.count == 13)
        #expect(Self.uint32(header[0..<4]) == 5 && Self.uint32(header[4..<8]) == 3)
        #expect(Array(header[8..<13]) == [8, 0, 0, 0, 0], "8-bit gray, deflate, no interlace")
        #expect(chunks[2].data.isEmpty)
    }

    @Test func idatInflatesToFilteredScanlines() throws {
        let chunks = try Self.chunks(try PNG.encode(Self.image))
        let expected: [UInt8] = [0, 0, 17, 34, 51, 68, 0, 85, 102, 119, 136, 153, 0, 170, 187, 204, 221, 238]
        #expect(Self.inflate(chunks[1].data, expectedCount: expected.count) == expected)
    }

    @Test func corruptedCRCWouldBeSeen() throws {
        var png = try PNG.encode(Self.image)
        png[png.count - 20] ^= 1  // inside IDAT's data or CRC
        let chunks = try Self.chunks(png)
        let idat = try #require(chunks.first { $0.type == "IDAT" })
        let typed = Array("IDAT".utf8) + idat.data
        #expect(idat.crc != typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) })
    }

    @Test func rejectsWrongPixelCount() {
        #expect(throws: PNG.Failure.self) { try PNG.encode(PNG.GrayImage(width: 2, height: 2, pixels: [1, 2, 3])) }
    }

    @Test func tileGridWithSeparatorsAndScaling() {
        let images: [[Float]] = [[0, 1, 0.5, 1.7], [1, 1, 1, 1], [0, 0, 0, -3]]
        let grid = PNG.tile(images, rows: 2, columns: 2, gridColumns: 2, scale: 2, separator: 9)
        #expect(grid.width == 9 && grid.height == 9)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { grid.pixels[y * grid.width + x] }
        // First image, scaled 2×: values 0, 1 / 0.5, 1.7 (clamped).
        #expect((0..<4).map { pixel($0, 0) } == [0, 0, 255, 255])
        #expect((0..<4).map { pixel($0, 3) } == [128, 128, 255, 255])
        // Separators: column 4 and row 4, one pixel wide.
        #expect((0..<9).allSatisfy { pixel(4, $0) == 9 && pixel($0, 4) == 9 })
        #expect(pixel(5, 0) == 255 && pixel(8, 3) == 255)
        #expect(pixel(0, 5) == 0 && pixel(3, 8) == 0)
        // The fourth cell is empty.
        #expect((5..<9).allSatisfy { y in (5..<9).allSatisfy { pixel($0, y) == 9 } })
    }

    @Test func defaultGridIsSquareish() {
        let grid = PNG.tile(Array(repeating: [0.25], count: 10), rows: 1, columns: 1)
        #expect(grid.width == 4 * 2 - 1 && grid.height == 3 * 2 - 1)
        #expect(grid.pixels[0] == 64)
    }

    @Test func writesAFile() throws {
        let path = NSTemporaryDirectory() + "hmdist-png-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PNG.write(Self.image, to: path)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == (try PNG.encode(Self.image)))
    }
}
