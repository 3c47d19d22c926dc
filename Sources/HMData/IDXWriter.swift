/// Writing IDX files, plain or gzipped: for tests, and for users who convert their own data.
extension IDXArray {
    /// The complete file: header (magic and big-endian sizes) followed by the payload.
    public func encoded() -> [UInt8] {
        precondition(shape.count <= 255 && shape.allSatisfy { $0 <= Int(UInt32.max) },
                     "IDX: shape \(shape) cannot be written (at most 255 dimensions below 2^32)")
        var bytes: [UInt8] = [0, 0, elementType.rawValue, UInt8(shape.count)]
        for size in shape {
            bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
        }
        return bytes + payload
    }

    /// Writes the file to `path`, gzip-compressed when `gzip` is true (whatever the name says).
    public func write(to path: String, gzip: Bool = false) throws {
        let bytes = encoded()
        try FileBytes.write(gzip ? Gzip.compress(bytes) : bytes, to: path)
    }
}
