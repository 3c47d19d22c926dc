/// Reading IDX files (LeCun's MNIST format), plain or gzipped.
///
/// Layout: two zero bytes, a type byte, the number of dimensions d, d big-endian uint32 sizes,
/// then the elements row-major and big-endian. Everything is checked, because a wrong file
/// otherwise shows up much later as a silently wrong model: no dimension may be 0, and the data
/// must be exactly as long as the shape says (truncated and trailing bytes are both errors).
extension IDXArray {
    /// Reads the IDX file at `path`; gzip is detected by its 1f 8b magic, not by the name.
    public static func read(path: String) throws -> IDXArray {
        var bytes = try FileBytes.read(path)
        if Gzip.isCompressed(bytes) { bytes = try Gzip.decompress(bytes, path: path) }
        return try IDXArray(parsing: bytes, path: path)
    }

    /// Parses the bytes of an uncompressed IDX file; `path` only names the file in errors.
    public init(parsing bytes: [UInt8], path: String) throws {
        func failure(_ field: String, _ message: String) -> DataError {
            DataError(path: path, field: field, message)
        }
        guard bytes.count >= 4 else {
            throw failure("header", "file ends after \(bytes.count) of 4 magic bytes")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let found = bytes.prefix(4).map { hex($0) }.joined(separator: " ")
            throw failure("header", "expected magic 00 00 <type> <dims>, found \(found)")
        }
        guard let type = IDXElementType(rawValue: bytes[2]) else {
            let known = IDXElementType.allCases.map { hex($0.rawValue) }.joined(separator: ", ")
            throw failure("header", "expected type byte one of \(known), found \(hex(bytes[2]))")
        }
        let rank = Int(bytes[3])
        guard rank > 0 else { throw failure("header", "expected at least 1 dimension, found 0") }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw failure("header", "file ends after \(bytes.count) of \(headerSize) header bytes")
        }
        let shape = (0..<rank).map { k in
            bytes[(4 + 4 * k)..<(8 + 4 * k)].reduce(0) { $0 << 8 | Int($1) }
        }
        if let zero = shape.firstIndex(of: 0) {
            throw failure("header", "expected every dimension >= 1, found dimension \(zero + 1) of shape \(shape) = 0")
        }
        var dataSize = type.size
        for size in shape {
            let (product, overflow) = dataSize.multipliedReportingOverflow(by: size)
            guard !overflow else { throw failure("header", "shape \(shape) is too large to address") }
            dataSize = product
        }
        let found = bytes.count - headerSize
        guard found >= dataSize else {
            throw failure("data", "file ends after \(found) of \(dataSize) bytes (shape \(shape))")
        }
        guard found == dataSize else {
            throw failure("data", "expected \(dataSize) bytes for shape \(shape), found \(found - dataSize) trailing bytes")
        }
        self.init(elementType: type, shape: shape, payload: Array(bytes[headerSize...]))
    }
}

/// Two upper-case hex digits, as a hex dump shows a byte.
private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}
