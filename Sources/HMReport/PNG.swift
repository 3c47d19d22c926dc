import CZlib
import Foundation

/// A minimal 8-bit grayscale PNG writer for `hm-dist sample` and the report's images: signature, IHDR, one IDAT
/// (zlib `compress2`, filter type 0 on every row), IEND, each chunk with zlib's `crc32`.
/// Enough for every image viewer, without an image library.
public enum PNG {
    /// Row-major 8-bit gray pixels.
    public struct GrayImage: Equatable {
        public var width: Int
        public var height: Int
        public var pixels: [UInt8]

        public init(width: Int, height: Int, pixels: [UInt8]) {
            self.width = width
            self.height = height
            self.pixels = pixels
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG file of `image`.
    public static func encode(_ image: GrayImage) throws -> [UInt8] {
        guard image.width > 0, image.height > 0, image.width <= Int(Int32.max), image.height <= Int(Int32.max),
              image.pixels.count == image.width * image.height
        else {
            throw Failure(description: "PNG: \(image.pixels.count) pixels for \(image.width)×\(image.height)")
        }
        var header = bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height))
        header += [8, 0, 0, 0, 0]  // bit depth 8, gray, deflate, adaptive filtering, no interlace
        return signature + chunk("IHDR", header) + chunk("IDAT", try deflate(scanlines(image)))
            + chunk("IEND", [])
    }

    public static func write(_ image: GrayImage, to path: String) throws {
        do {
            try Data(try encode(image)).write(to: URL(fileURLWithPath: path))
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(path): cannot write PNG: \(error.localizedDescription)")
        }
    }

    /// The rows as PNG filters them: each prefixed with filter type 0 (None).
    static func scanlines(_ image: GrayImage) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity((image.width + 1) * image.height)
        for row in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(row * image.width)..<((row + 1) * image.width)]
        }
        return raw
    }

    /// Tiles `images` (each `rows`×`columns` values in [0, 1], row-major; 1 is white) into a
    /// grid `gridColumns` wide (default: as square as possible), each pixel scaled up
    /// `scale`×`scale`, with 1-pixel `separator` lines between tiles; empty cells are filled
    /// with the separator so that they do not read as black images.
    public static func tile(_ images: [[Float]], rows: Int, columns: Int, gridColumns: Int? = nil,
                     scale: Int = 1, separator: UInt8 = 128) -> GrayImage {
        precondition(!images.isEmpty && rows > 0 && columns > 0 && scale > 0, "PNG.tile: nothing to tile")
        precondition(images.allSatisfy { $0.count == rows * columns }, "PNG.tile: images of \(rows)×\(columns)")
        let across = max(1, gridColumns ?? Int(Double(images.count).squareRoot().rounded(.up)))
        let down = (images.count + across - 1) / across
        let (tileWidth, tileHeight) = (columns * scale, rows * scale)
        var image = GrayImage(width: across * (tileWidth + 1) - 1, height: down * (tileHeight + 1) - 1, pixels: [])
        image.pixels = [UInt8](repeating: separator, count: image.width * image.height)
        for (index, values) in images.enumerated() {
            let left = (index % across) * (tileWidth + 1)
            let top = (index / across) * (tileHeight + 1)
            for y in 0..<tileHeight {
                for x in 0..<tileWidth {
                    let value = values[(y / scale) * columns + x / scale]
                    image.pixels[(top + y) * image.width + left + x] = gray(value)
                }
            }
        }
        return image
    }

    /// [0, 1] to 0…255, rounded; out-of-range and NaN values are clamped (NaN to 0).
    static func gray(_ value: Float) -> UInt8 {
        value.isNaN ? 0 : UInt8(min(255, max(0, (value * 255).rounded())))
    }

    /// Length, type, data, CRC-32 of type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc(typed))
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static func deflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &capacity, source.baseAddress, uLong(source.count), 6)
            }
        }
        guard status == Z_OK else { throw Failure(description: "PNG: zlib compress2 failed (\(status))") }
        return Array(output.prefix(Int(capacity)))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
