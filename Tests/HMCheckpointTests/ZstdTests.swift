import Foundation
import HMCheckpoint
import Testing

@Suite struct ZstdTests {
    /// Deterministic bytes that zstd cannot compress, so a flipped byte lands in a raw block
    /// and only the content checksum can catch it.
    static func noise(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    @Test(arguments: [0, 1, 1000, 300_000])
    func roundTrip(_ count: Int) throws {
        let input = Self.noise(count / 2) + [UInt8](repeating: 0, count: count - count / 2)
        let frame = try Zstd.compress(input, level: 3)
        #expect(try Zstd.decompress(frame) == input)
    }

    /// The streaming form (what checkpoints use): parts, empty ones among them, compressed in
    /// this thread from the parts themselves or on zstd's worker thread, and handed out in
    /// pieces, make one frame — checksum and content size in its header — that decompresses
    /// to their concatenation.
    @Test(arguments: [0, 1])
    func partsStreamIntoOneFrame(workers: Int) throws {
        let parts = [Self.noise(3_000_000), [], [UInt8](repeating: 7, count: 100_000), Self.noise(17), Self.noise(2_500_000)]
        var frame: [UInt8] = [], pieces = 0
        try parts[0].withUnsafeBytes { a in try parts[1].withUnsafeBytes { b in try parts[2].withUnsafeBytes { c in
            try parts[3].withUnsafeBytes { d in try parts[4].withUnsafeBytes { e in
                try Zstd.compress([a, b, c, d, e], level: 1, workers: workers) { frame += $0; pieces += 1 }
            } }
        } } }
        #expect(pieces > 1, "5.6 MB of noise came out in one piece")
        #expect(frame[4] & 0x04 != 0, "Content_Checksum_flag")
        #expect(frame[4] >> 6 != 0 || frame[4] & 0x20 != 0, "Frame_Content_Size present")
        #expect(try Zstd.decompress(frame) == parts.flatMap { $0 })
    }

    /// Fast (negative) levels and high ones make frames the decoder checks like any other:
    /// bit-exact back, and a flipped byte of the (here incompressible) payload caught.
    @Test(arguments: [-10, -1, 1, 19])
    func everyAcceptedLevelRoundTripsAndIsChecked(level: Int) throws {
        let input = Self.noise(400_000) + [UInt8](repeating: 3, count: 50_000)
        var frame: [UInt8] = []
        try input.withUnsafeBytes { try Zstd.compress([$0], level: level) { frame += $0 } }
        #expect(try Zstd.decompress(frame) == input)
        frame[frame.count / 3] ^= 0x01
        #expect(throws: CheckpointError.self) { try Zstd.decompress(frame) }
    }

    /// A rank compresses on its share of the host's cores, one of them left to its own thread.
    @Test(arguments: [
        (1, 2, 1, 0),   // pinned to one CPU (taskset, or a rank bound to a core)
        (2, 2, 1, 1),   // a lone rank on two cores
        (2, 2, 2, 0),   // two unbound ranks on two cores: one core each
        (8, 8, 2, 3),   // two ranks sharing a socket's mask
        (4, 64, 1, 3),  // bound to 4 of 64 cores
        (8, 8, 16, 0),  // more ranks than cores
    ])
    func workersTakeTheRanksShareOfCores(_ available: Int, _ online: Int, _ ranks: Int, _ expected: Int) {
        #expect(Zstd.workers(cpusAvailable: available, cpusOnline: online, ranksOnThisHost: ranks) == expected)
    }

    @Test func repetitiveDataShrinks() throws {
        let input = [UInt8](repeating: 42, count: 100_000)
        #expect(try Zstd.compress(input).count < 1000)
    }

    @Test func frameHeaderCarriesChecksumAndContentSize() throws {
        let frame = try Zstd.compress(Self.noise(5000), level: 1)
        #expect(Array(frame[0..<4]) == [0x28, 0xB5, 0x2F, 0xFD])
        let descriptor = frame[4]
        #expect(descriptor & 0x04 != 0, "Content_Checksum_flag")
        let contentSizeFlag = descriptor >> 6
        let singleSegment = descriptor & 0x20 != 0
        #expect(contentSizeFlag != 0 || singleSegment, "Frame_Content_Size present")
    }

    @Test func flippedByteFailsTheChecksum() throws {
        var frame = try Zstd.compress(Self.noise(10_000))
        frame[frame.count / 2] ^= 0x10
        let error = #expect(throws: CheckpointError.self) { try Zstd.decompress(frame, source: "s.zst") }
        #expect(error?.kind == .compression)
        #expect(error?.path == "s.zst")
        #expect(error?.reason.lowercased().contains("checksum") == true, "\(String(describing: error))")
    }

    @Test func framesWithoutChecksumOrWithTrailingBytesAreRefused() throws {
        let frame = try Zstd.compress(Self.noise(100))
        var unchecked = frame
        unchecked[4] &= ~0x04
        #expect(throws: CheckpointError.self) { try Zstd.decompress(unchecked) }
        #expect(throws: CheckpointError.self) { try Zstd.decompress(frame + [0]) }
        #expect(throws: CheckpointError.self) { try Zstd.decompress(Array(frame.dropLast())) }
        #expect(throws: CheckpointError.self) { try Zstd.decompress([1, 2, 3, 4, 5, 6]) }
    }
}

@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test(arguments: vectors.indices)
    func nistVectors(_ index: Int) {
        let (message, digest) = Self.vectors[index]
        #expect(SHA256.hex(Array(message.utf8)) == digest)
    }

    @Test func oneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(message) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Chunk boundaries (inside a block, across blocks, exactly at 55/56/64) change nothing.
    @Test func incrementalEqualsOneShot() {
        let message = ZstdTests.noise(1000)
        let whole = SHA256.hash(message)
        for chunk in [1, 7, 55, 56, 63, 64, 65, 200] {
            var hasher = SHA256()
            var start = 0
            while start < message.count {
                let end = min(start + chunk, message.count)
                hasher.update(Array(message[start..<end]))
                start = end
            }
            #expect(hasher.finalize() == whole, "chunk \(chunk)")
        }
        for length in [55, 56, 63, 64, 119, 120] {
            #expect(SHA256.hash(Array(message[0..<length])).count == 32)
        }
    }
}
