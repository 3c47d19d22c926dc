import Testing
@testable import HMCheckpoint

/// The SHA-extensions block function (used by `SHA256()` where the CPU has it) and the
/// portable Swift one (`SHA256(portable: true)`) give identical digests. Where the CPU lacks
/// the extensions both sides are the portable path and the tests still pass.
@Suite struct SHA256PathTests {
    /// Deterministic pseudo-random bytes (SplitMix64), a different stream per seed.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 0xD1B5_4A32_D192_ED03
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for shift in stride(from: 0, to: 64, by: 8) where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: z >> UInt64(shift))
                index += 1
            }
        }
        return bytes
    }

    static func digest(_ bytes: [UInt8], portable: Bool, chunks: [Int] = []) -> [UInt8] {
        var hasher = SHA256(portable: portable)
        if chunks.isEmpty {
            hasher.update(bytes)
        } else {
            var start = 0
            var next = 0
            while start < bytes.count {
                let end = min(start + chunks[next % chunks.count], bytes.count)
                bytes[start..<end].withUnsafeBytes { hasher.update($0) }
                start = end
                next += 1
            }
        }
        return hasher.finalize()
    }

    @Test func reportsWhichPath() {
        // Not an assertion about the machine: records in the test log which path ran.
        print("SHA256.hardwareAccelerated = \(SHA256.hardwareAccelerated)")
        #expect(SHA256.hash([]) == Self.digest([], portable: true))
    }

    @Test func portablePathMatchesNISTVectors() {
        for (message, digest) in SHA256Tests.vectors {
            let hex = Self.digest(Array(message.utf8), portable: true)
                .map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            #expect(hex == digest)
        }
    }

    /// Every length 0...300 (all padding cases: one or two final blocks, 55/56/63/64 bytes of tail).
    @Test func fastEqualsPortableForShortInputs() {
        for length in 0...300 {
            let message = Self.randomBytes(length, seed: UInt64(length))
            let portable = Self.digest(message, portable: true)
            #expect(Self.digest(message, portable: false) == portable, "length \(length)")
            #expect(SHA256.hash(message) == portable, "length \(length)")
        }
    }

    /// A few MB, one shot and streamed in chunks that straddle block boundaries in every way.
    @Test(arguments: [1 << 20, 3 * (1 << 20) + 17, 4 * (1 << 20) - 1])
    func fastEqualsPortableForMegabytes(_ length: Int) {
        let message = Self.randomBytes(length, seed: 0xC0FFEE &+ UInt64(length))
        let portable = Self.digest(message, portable: true)
        #expect(Self.digest(message, portable: false) == portable)
        for chunks in [[1, 63, 64, 65, 4096 + 7], [55, 56, 129, 100_003], [64 * 1000], [1_000_003]] {
            #expect(Self.digest(message, portable: false, chunks: chunks) == portable, "chunks \(chunks)")
        }
        // The portable path streamed too (cheaper chunk set: it is the slow side).
        #expect(Self.digest(message, portable: true, chunks: [7, 64, 4097]) == portable)
    }
}
