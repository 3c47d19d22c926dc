import Testing
@testable import HMData

@Suite struct DigitsTests {
    @Test func splitsAndWidth() throws {
        let data = try DataSource.load(spec: "digits")
        #expect(data.name == "digits")
        #expect(data.counts == [1397, 200, 200])
        #expect(data.width == 64)
        #expect(data.imageShape == ImageShape(rows: 8, cols: 8))
        #expect(data.isBinary)
    }

    /// Pinned from the 8×8 digits' digits8x8-images-idx3-ubyte.gz binarized at >= 8,
    /// as printed by scripts/embed_digits.py: ones per split and FNV-1a-64 of all 0/1 pixels.
    @Test func pinnedChecksum() throws {
        let data = try DataSource.load(spec: "digits")
        let splits = try [data.train, #require(data.valid), #require(data.test)]
        #expect(splits.map { Int($0.reduce(0, +)) } == [28890, 4091, 4170])
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in splits.joined() { hash = (hash ^ UInt64(v)) &* 0x100_0000_01B3 }
        #expect(hash == 0x9FE7_AE8A_F200_423E)
    }
}

@Suite struct BarsTests {
    /// Every image is exactly the union of its full rows and full columns.
    static func isUnionOfBars(_ image: ArraySlice<Float>, size n: Int) -> Bool {
        let pixel = { (r: Int, c: Int) in image[image.startIndex + r * n + c] == 1 }
        let rows = (0..<n).filter { r in (0..<n).allSatisfy { pixel(r, $0) } }
        let cols = (0..<n).filter { c in (0..<n).allSatisfy { pixel($0, c) } }
        return (0..<n).allSatisfy { r in
            (0..<n).allSatisfy { c in pixel(r, c) == (rows.contains(r) || cols.contains(c)) }
        }
    }

    @Test func defaultBars() throws {
        let data = try DataSource.load(spec: "bars")
        #expect(data.name == "bars:5")
        #expect(data.counts == [10_000, 1_000, 1_000])
        #expect(data.width == 25 && data.imageShape == ImageShape(rows: 5, cols: 5))
        #expect(data.isBinary)
        for split in Dataset.Split.allCases {
            let pixels = try #require(data.split(split))
            let broken = (0..<data.count(of: split)).filter { i in
                !Self.isUnionOfBars(pixels[(i * 25)..<((i + 1) * 25)], size: 5)
            }
            #expect(broken.isEmpty, "\(split) images that are not unions of bars: \(broken.prefix(5))")
        }
        // A row is full when its bar is on (p = 1/5) or all five columns are (p^5).
        let fullRows = stride(from: 0, to: data.train.count, by: 5).filter { start in
            data.train[start..<(start + 5)].allSatisfy { $0 == 1 }
        }.count
        let rate = Double(fullRows) / Double(data.trainCount * 5)
        #expect(abs(rate - (0.2 + 0.8 * 0.00032)) < 0.01)
        #expect(Set(stride(from: 0, to: 25_000, by: 25).map { data.train[$0..<($0 + 25)] }).count > 200, "examples differ")
    }

    @Test func deterministicAcrossLoads() throws {
        let a = try DataSource.load(spec: "bars:5"), b = try DataSource.load(spec: "bars")
        #expect(a.train == b.train && a.valid == b.valid && a.test == b.test)
        #expect(Array(a.train.prefix(25_000)) != a.valid, "splits draw different uniforms")
    }

    @Test func otherSizes() throws {
        let data = try DataSource.load(spec: "bars:8")
        #expect(data.width == 64 && data.imageShape == ImageShape(rows: 8, cols: 8) && data.name == "bars:8")
        #expect(Self.isUnionOfBars(data.test![0..<64], size: 8))
        for bad in ["bars:1", "bars:0", "bars:x", "bars:", "bars:1000"] {
            let error = try #require(dataError { try DataSource.load(spec: bad) })
            #expect(error.field == "spec" && error.path == bad)
        }
    }
}
