import HMCheckpoint
import Testing

/// Inputs that scripts/fuzz.sh found crashing a reader (Fuzz/README.md lists them): each must
/// now be refused with a CheckpointError.
@Suite struct FuzzRegressionTests {
    /// FuzzZstd: an 18-byte frame whose header claims 1.5 GB of content (single segment, 4-byte
    /// Frame_Content_Size 0x5E2025FD): the decompressor allocated that before looking at the
    /// blocks, and ran out of memory.
    @Test func zstdContentSizeBeyondItsBlocks() {
        let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xB5, 0x2F, 0xFD, 0x25, 0x20, 0x5E,
                              0x0B, 0x25, 0x20, 0x5E, 0x0B, 0x68, 0x6C, 0x4F]
        let error = #expect(throws: CheckpointError.self) { try Zstd.decompress(frame, source: "shard.zst") }
        #expect(error?.kind == .compression)
        #expect(error?.description.contains("claims 1579165181 bytes") == true)
        // The same with a window descriptor and one RLE block that says it is 1.7 MB long.
        let windowed: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x84, 0x00, 0x01, 0x00, 0x00, 0x99,
                                 0x23, 0xE9, 0xD8, 0x51, 0x99, 0xE9, 0xD8, 0x51]
        #expect(throws: CheckpointError.self) { try Zstd.decompress(windowed, source: "shard.zst") }
    }
}
