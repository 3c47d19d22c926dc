import CZlib

/// gzip (RFC 1952) in memory, through zlib's inflate/deflate with the gzip wrapper.
///
/// In memory rather than with gzread, because gzread silently ignores trailing garbage and
/// reports truncation vaguely; here a corrupt, truncated or padded file is a clear error.
enum Gzip {
    /// Whether `bytes` start with the gzip magic 1f 8b (an IDX file starts with 00 00).
    static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates every gzip member of `bytes`; `path` only names the file in errors.
    static func decompress(_ bytes: [UInt8], path: String) throws -> [UInt8] {
        func failure(_ message: String) -> DataError { DataError(path: path, field: "gzip", message) }
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw failure("zlib could not start inflating") }
        defer { inflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: sizeHint(bytes))
        var produced = 0
        try bytes.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                if produced == out.count { out += repeatElement(0, count: max(out.count, 1 << 16)) }
                let status = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    let room = min(buffer.count - produced, Int(UInt32.max))
                    stream.next_out = buffer.baseAddress! + produced
                    stream.avail_out = uInt(room)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                    return status
                }
                switch status {
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw failure("file ends inside the compressed stream (truncated .gz) after \(produced) bytes")
                case Z_BUF_ERROR:
                    continue
                case Z_STREAM_END:
                    let rest = Int(stream.avail_in)
                    if rest == 0 { return }
                    let next = input.count - rest
                    guard rest >= 2, input[next] == 0x1F, input[next + 1] == 0x8B else {
                        throw failure("expected end of file or another gzip member, found \(rest) trailing bytes")
                    }
                    inflateReset(&stream)
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw failure("corrupt compressed data (\(reason))")
                }
            }
        }
        out.removeSubrange(produced...)
        return out
    }

    /// Deflates `bytes` into one gzip member (default level, no file name, mtime 0).
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                    Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK, "zlib could not start deflating")
        defer { deflateEnd(&stream) }
        precondition(bytes.count <= Int(UInt32.max), "gzip: input over 4 GiB")
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let status = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { buffer in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "gzip: deflate returned \(status)")
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }

    /// The uncompressed size from the last member's trailer (ISIZE, little-endian, mod 2^32),
    /// capped by deflate's best ratio so a corrupt trailer cannot make us allocate gigabytes.
    private static func sizeHint(_ bytes: [UInt8]) -> Int {
        guard bytes.count >= 18 else { return 1 << 16 }
        let n = bytes.count
        let isize = Int(bytes[n - 4]) | Int(bytes[n - 3]) << 8 | Int(bytes[n - 2]) << 16 | Int(bytes[n - 1]) << 24
        return max(1, min(isize, 1032 * n))
    }
}
