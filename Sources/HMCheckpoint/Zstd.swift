import CZstd

/// zstd, one frame per buffer, with the content checksum and the content size in the frame
/// header: `zstd -d` then checks integrity on its own, and the decompressor can allocate
/// the output exactly once.
public enum Zstd {
    /// The first four bytes of every zstd frame.
    static let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    /// Compresses `input` as one frame with the content checksum flag on (in this thread).
    public static func compress(_ input: [UInt8], level: Int = 3) throws -> [UInt8] {
        var output: [UInt8] = []
        try input.withUnsafeBytes { source in
            try compress([source], level: level, workers: 0) { output += $0 }
        }
        return output
    }

    /// Compresses the concatenation of `parts` as one frame (content checksum and content size
    /// on, like `compress`), handing the compressed bytes to `sink` as they come.
    ///
    /// With `workers` ≥ 1 — when this libzstd is built multithreaded — zstd compresses on its
    /// own threads while `sink` runs, so that hashing and writing overlap the compression.
    /// With 0 it compresses in this thread straight from `parts` into the buffer `sink` is
    /// given, without the copy of the input that `ZSTD_compressStream2` makes.
    public static func compress(_ parts: [UnsafeRawBufferPointer], level: Int, workers: Int = 0,
                                into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let context = ZSTD_createCCtx() else {
            throw CheckpointError(.compression, path: "<zstd>", "ZSTD_createCCtx failed")
        }
        defer { ZSTD_freeCCtx(context) }
        let total = parts.reduce(0) { $0 + $1.count }
        if workers > 0 {
            try compressStreaming(parts, total: total, level: level, workers: workers, context: context, into: sink)
        } else {
            try compressInPlace(parts, total: total, level: level, context: context, into: sink)
        }
    }

    /// Buffer-less: zstd reads each part where it lies (earlier parts stay in memory, so
    /// matches may reach back into them) and writes whole blocks into `buffer`, sized for the
    /// worst case of one chunk as `ZSTD_compressContinue` requires. Chunks of 1 MB: each is
    /// one write of the caller's, and 256 KB writes cost the kernel measurably more.
    private static func compressInPlace(_ parts: [UnsafeRawBufferPointer], total: Int, level: Int,
                                        context: OpaquePointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var parameters = ZSTD_getParams(Int32(clamping: level), UInt64(total), 0)
        parameters.fParams.checksumFlag = 1
        parameters.fParams.contentSizeFlag = 1
        try check(ZSTD_compressBegin_advanced(context, nil, 0, parameters, UInt64(total)), "<zstd>", "ZSTD_compressBegin_advanced")
        let chunk = 1 << 20, capacity = ZSTD_compressBound(chunk)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        for part in parts where part.count > 0 {
            var start = 0
            while start < part.count {
                let count = min(chunk, part.count - start)
                let produced = try check(ZSTD_compressContinue(context, buffer, capacity, part.baseAddress! + start, count),
                                         "<zstd>", "ZSTD_compressContinue")
                if produced > 0 { try sink(UnsafeRawBufferPointer(start: buffer, count: produced)) }
                start += count
            }
        }
        // The last (empty) block and the checksum; with no input at all, the frame header too.
        let produced = try check(ZSTD_compressEnd(context, buffer, capacity, nil, 0), "<zstd>", "ZSTD_compressEnd")
        try sink(UnsafeRawBufferPointer(start: buffer, count: produced))
    }

    private static func compressStreaming(_ parts: [UnsafeRawBufferPointer], total: Int, level: Int, workers: Int,
                                          context: OpaquePointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        for (parameter, value) in [(ZSTD_c_compressionLevel, Int32(clamping: level)),
                                   (ZSTD_c_checksumFlag, 1), (ZSTD_c_contentSizeFlag, 1)] {
            try check(ZSTD_CCtx_setParameter(context, parameter, value), "<zstd>", "ZSTD_CCtx_setParameter")
        }
        // A libzstd without threads refuses the parameter: then it compresses in this thread.
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(clamping: workers))
        try check(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(total)), "<zstd>", "ZSTD_CCtx_setPledgedSrcSize")
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        func step(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
            var output = ZSTD_outBuffer(dst: buffer, size: capacity, pos: 0)
            let remaining = try check(ZSTD_compressStream2(context, &output, &input, mode), "<zstd>", "ZSTD_compressStream2")
            if output.pos > 0 { try sink(UnsafeRawBufferPointer(start: buffer, count: output.pos)) }
            return remaining
        }
        for part in parts where part.count > 0 {
            var input = ZSTD_inBuffer(src: part.baseAddress, size: part.count, pos: 0)
            while input.pos < input.size { _ = try step(&input, ZSTD_e_continue) }
        }
        var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&empty, ZSTD_e_end) > 0 {}
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
            // The header may claim any size, and is trusted for the allocation only within what
            // the frame can hold: a block gives at most 128 KiB and takes at least 4 bytes (an
            // RLE block; raw and compressed ones that give anything are longer).
            let bound = UInt64(compressed.count / 4) << 17
            guard contentSize <= bound else {
                throw fail("frame header claims \(contentSize) bytes, but \(compressed.count) bytes of frame hold at most \(bound)")
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
