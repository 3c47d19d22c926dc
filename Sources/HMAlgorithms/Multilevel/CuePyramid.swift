import HMCore

/// How a cue level pools 2×2 blocks of the level below (Ramos, Sa-Couto & Wichert): their
/// mean, or their maximum (an OR on 0/1 images, so that thin strokes survive).
public enum CuePool: String, CaseIterable, Sendable, Codable {
    case mean, max
}

/// How a pooled level is made 0/1 again: at 0.5, or by one Bernoulli draw per unit of the
/// pooled value (counter-based, so a cue depends on the step and the point, not on the rank).
public enum CueBinarization: String, CaseIterable, Sendable, Codable {
    case threshold, sample
}

/// The cue pyramid of an image: c_0 = x and c_l = B(pool(c_{l−1})), each level a 2×2 pooling
/// of the one below (an edge block of an odd side holds the pixels there are: 7×7 → 4×4).
/// Level l is the cue of hidden layer l. When a layer's width w differs from its level's n
/// pixels, unit j takes pixel ⌊j·n / w⌋ — a fixed map that subsamples a level evenly
/// (w < n) or repeats each pixel in consecutive units (w > n); docs/training.md.
public struct CuePyramid: Sendable {
    public let pool: CuePool
    public let binarization: CueBinarization
    /// The image's rows and columns, level 0 first.
    public let shapes: [(rows: Int, cols: Int)]
    /// The hidden layers' widths, layer 1 first.
    public let widths: [Int]

    /// For images of `rows × cols` and hidden layers of `widths` (one level per layer).
    public init(rows: Int, cols: Int, widths: [Int], pool: CuePool, binarization: CueBinarization) {
        var shapes = [(rows: rows, cols: cols)]
        for _ in widths {
            let s = shapes.last!
            shapes.append(((s.rows + 1) / 2, (s.cols + 1) / 2))
        }
        self.shapes = shapes
        self.widths = widths
        self.pool = pool
        self.binarization = binarization
    }

    /// Pixels of level l.
    public func pixels(_ l: Int) -> Int { shapes[l].rows * shapes[l].cols }

    /// Level l from level l − 1 (both row-major images), before binarization.
    public func pooled(_ below: UnsafePointer<Float>, level l: Int, into out: UnsafeMutablePointer<Float>) {
        let (r0, c0) = shapes[l - 1], (r1, c1) = shapes[l]
        for i in 0..<r1 {
            for j in 0..<c1 {
                var sum: Float = 0, most: Float = -.infinity, n: Float = 0
                for a in 2 * i..<min(2 * i + 2, r0) {
                    for b in 2 * j..<min(2 * j + 2, c0) {
                        let v = below[a * c0 + b]
                        sum += v
                        most = Swift.max(most, v)
                        n += 1
                    }
                }
                out[i * c1 + j] = pool == .mean ? sum / n : most
            }
        }
    }

    /// The cues of one image for every hidden layer: `layers[l - 1]` (width `widths[l - 1]`)
    /// receives level l through the unit map. `uniform(l, count, into)` gives the Bernoulli
    /// draws of level l (only called for `.sample`).
    public func cues(of x: UnsafePointer<Float>, into layers: [UnsafeMutablePointer<Float>],
                     uniform: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let largest = shapes.dropFirst().map { $0.rows * $0.cols }.max() ?? 0
        var below = Array(UnsafeBufferPointer(start: x, count: pixels(0)))
        var level = [Float](repeating: 0, count: largest)
        var u = [Float](repeating: 0, count: largest)
        for l in 1..<shapes.count {
            let n = pixels(l)
            below.withUnsafeBufferPointer { pooled($0.baseAddress!, level: l, into: &level) }
            if binarization == .sample { uniform(l, n, &u) }
            for i in 0..<n {
                level[i] = binarization == .sample ? (u[i] < level[i] ? 1 : 0) : (level[i] >= 0.5 ? 1 : 0)
            }
            let w = widths[l - 1], out = layers[l - 1]
            for j in 0..<w { out[j] = level[j * n / w] }
            below = Array(level[..<n])
        }
    }
}
