/// Turns the elements of an IDX images file into grey levels in [0, 1].
///
/// Scales differ between sources (MNIST bytes are 0..255, binarized MNIST bytes are 0/1, patches
/// are float32 in [0, 1]), so the rule looks at the values: ubyte data whose maximum is above 1
/// is divided by 255; other integer data must already be 0/1; float data is used as it is but
/// may be any finite value (a Gaussian data layer takes it as it is; binarization wants
/// [0, 1]). Anything else is an error rather than a guess.
enum PixelScale {
    static func greyLevels(of images: IDXArray, path: String) throws -> [Float] {
        if images.elementType == .uint8 { return bytesToGreyLevels(images.payload) }
        let pixels = images.floats()
        if let bad = pixels.firstIndex(where: { !$0.isFinite }) {
            let width = images.shape.dropFirst().reduce(1, *)
            throw DataError(path: path, field: "data", "item \(bad / max(width, 1)), pixel \(bad % max(width, 1)): expected a finite value, found \(pixels[bad])")
        }
        if images.elementType.isInteger {
            let (low, high) = range(pixels)
            guard low >= 0, high <= 1 else {
                throw DataError(path: path, field: "data", "expected ubyte 0..255 or integer 0/1 pixels, found values from \(low) to \(high)")
            }
        }
        // Float data is real-valued: any finite value (binarization checks its own range).
        return pixels
    }

    /// Ubyte pixels in one pass through a 256-entry table (v / 255 when any byte is above 1,
    /// else v), the hot path of loading MNIST.
    private static func bytesToGreyLevels(_ bytes: [UInt8]) -> [Float] {
        let scaled = (bytes.max() ?? 0) > 1
        let table = (0..<256).map { scaled ? Float($0) / 255 : Float($0) }
        return bytes.withUnsafeBufferPointer { source in
            table.withUnsafeBufferPointer { table in
                [Float](unsafeUninitializedCapacity: source.count) { out, initialized in
                    for i in 0..<source.count { out[i] = table[Int(source[i])] }
                    initialized = source.count
                }
            }
        }
    }

    /// Minimum and maximum; NaN makes both NaN so the range check above fails.
    private static func range(_ pixels: [Float]) -> (Float, Float) {
        pixels.withUnsafeBufferPointer { buffer in
            var low = Float.infinity, high = -Float.infinity, nan = false
            for v in buffer {
                low = min(low, v)
                high = max(high, v)
                nan = nan || v.isNaN
            }
            return nan ? (.nan, .nan) : (low, high)
        }
    }
}
