import Foundation
import Testing
import HMCore

@Suite(.serialized) struct RowParallelTests {
    /// Every row is visited once, parts start at multiples of `aligned`, small work stays whole.
    @Test(arguments: [(1000, 64, 1, 2), (1000, 64, 5, 3), (999, 100, 7, 4), (10, 10, 1, 2), (500, 200, 500, 2)])
    func partsCoverTheRowsOnceAtAlignedStarts(rows: Int, cols: Int, aligned: Int, threads: Int) {
        let saved = RowParallel.threads
        defer { RowParallel.threads = saved }
        RowParallel.threads = threads
        let lock = NSLock()
        var parts: [Range<Int>] = []
        RowParallel.run(rows: rows, cols: cols, aligned: aligned) { part in lock.lock(); parts.append(part); lock.unlock() }
        parts.sort { $0.lowerBound < $1.lowerBound }
        #expect(parts.flatMap { Array($0) } == Array(0..<rows))
        #expect(parts.allSatisfy { $0.lowerBound % aligned == 0 })
        let expected = min(threads, (rows + aligned - 1) / aligned, max(1, rows * cols / RowParallel.minimumElementsPerPart))
        #expect(parts.count == expected)
    }

    @Test func lcm() {
        #expect(RowParallel.lcm(5, 1) == 5 && RowParallel.lcm(4, 6) == 12 && RowParallel.lcm(500, 1) == 500)
    }
}
