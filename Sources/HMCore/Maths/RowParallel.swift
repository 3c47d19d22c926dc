import Dispatch

/// Element-wise work split by rows over a rank's threads (`--threads`), as BLAS splits its
/// products. Every row is computed exactly as on one thread, so the bits do not depend on the
/// thread count; parts start at multiples of `aligned` (rows sharing an operand row stay
/// together), and work too small to pay for a hand-off stays on the calling thread.
public enum RowParallel {
    /// Threads per rank for element-wise work; set once at start-up with the BLAS threads.
    nonisolated(unsafe) public static var threads = 1
    /// Below this many elements per part a second thread costs more than it saves.
    public static let minimumElementsPerPart = 16_384

    public static func run(rows: Int, cols: Int, aligned: Int = 1, _ body: (Range<Int>) -> Void) {
        let units = aligned > 0 ? (rows + aligned - 1) / aligned : 1   // groups of `aligned` rows
        let parts = min(threads, units, max(1, rows * cols / minimumElementsPerPart))
        guard parts > 1 else { body(0..<rows); return }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let lo = min(rows, units * p / parts * aligned), hi = min(rows, units * (p + 1) / parts * aligned)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Least common multiple of two row strides (`every` arguments), for `aligned`.
    public static func lcm(_ a: Int, _ b: Int) -> Int {
        func gcd(_ x: Int, _ y: Int) -> Int { y == 0 ? x : gcd(y, x % y) }
        return a / gcd(a, b) * b
    }
}
