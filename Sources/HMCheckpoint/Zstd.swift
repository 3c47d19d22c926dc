import CZstd

/// zstd, one frame per buffer, with the content checksum and the content size in the frame
/// header: `zstd -d` then checks integrity on its own, and the decompressor can allocate
/// the output exactly once.
public enum Zstd {
    /// The first four bytes of every zstd frame.
    static let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    /// Compresses `input` as one frame with the content checksum flag on.
    public static func compress(_ input: [UInt8], level: Int = 3) throws -> [UInt8] {
        guard let context = ZSTD_createCCtx() else {
            throw CheckpointError(.compression, path: "<zstd>", "ZSTD_createCCtx failed")
        }
        defer { ZSTD_freeCCtx(context) }
        for (parameter, value) in [(ZSTD_c_compressionLevel, Int32(clamping: level)),
                                   (ZSTD_c_checksumFlag, 1), (ZSTD_c_contentSizeFlag, 1)] {
            try check(ZSTD_CCtx_setParameter(context, parameter, value), "<zstd>", "ZSTD_CCtx_setParameter")
        }
        let capacity = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: capacity)
        let written = try output.withUnsafeMutableBytes { destination in
            try input.withUnsafeBytes { source in
                try check(ZSTD_compress2(context, destination.baseAddress, capacity, source.baseAddress, source.count),
                          "<zstd>", "ZSTD_compress2")
            }
        }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses exactly one frame that carries its content size and a content checksum;
    /// `ZSTD_decompress` verifies the checksum. Errors name `source`.
    public static func decompress(_ input: [UInt8], source: String = "<memory>") throws -> [UInt8] {
        func fail(_ reason: String) -> CheckpointError {
            CheckpointError(.compression, path: source, field: "zstd frame", reason)
        }
        guard input.count >= 5, Array(input[0..<4]) == magic else { throw fail("no zstd frame magic number") }
        // Frame_Header_Descriptor bit 2: Content_Checksum_flag. Without it corruption could pass.
        guard input[4] & 0x04 != 0 else { throw fail("frame has no content checksum") }
        return try input.withUnsafeBytes { compressed in
            let frameSize = ZSTD_findFrameCompressedSize(compressed.baseAddress, compressed.count)
            if ZSTD_isError(frameSize) != 0 { throw fail(errorName(frameSize)) }
            guard frameSize == compressed.count else {
                throw fail("\(compressed.count - frameSize) bytes after the first frame")
            }
            let contentSize = ZSTD_getFrameContentSize(compressed.baseAddress, compressed.count)
            // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values.
            guard contentSize < UInt64.max - 1, contentSize <= UInt64(Int.max) else {
                throw fail("frame header carries no usable content size")
            }
            var output = [UInt8](repeating: 0, count: Int(contentSize))
            let produced = try output.withUnsafeMutableBytes { destination in
                try check(ZSTD_decompress(destination.baseAddress, destination.count,
                                          compressed.baseAddress, compressed.count), source, "zstd frame")
            }
            guard produced == output.count else {
                throw fail("decompressed to \(produced) bytes, header says \(output.count)")
            }
            return output
        }
    }

    /// Passes a size through, or turns a zstd error code into a `CheckpointError`.
    @discardableResult
    static func check(_ code: Int, _ path: String, _ field: String) throws -> Int {
        if ZSTD_isError(code) != 0 {
            throw CheckpointError(.compression, path: path, field: field, errorName(code))
        }
        return code
    }

    static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
