import Foundation
import Testing
import HMComm

/// The in-process world (docs/training.md, `hm-dist train --ranks N`): MPI's collectives with
/// known answers on every rank, deterministic sums, and failures that end the world
/// promptly instead of hanging.
@Suite(.serialized)
struct InProcessWorldTests {
    static let sizes = [1, 2, 3, 4]

    // MARK: Known answers

    @Test(arguments: sizes)
    func allreduceSumsOfEveryTypeOnEveryRank(size n: Int) throws {
        let T = n * (n + 1) / 2
        // 0, 1, fewer than the ranks, and more than one block of the rank-order sum.
        let counts = [0, 1, 3, 4096, 10_001]
        let ok = try world(n) { comm -> Bool in
            let r = comm.rank
            var good = true
            for count in counts {
                var f = (0..<count).map { Float(r + 1) * Float($0 % 11) * 0.5 }
                try f.withBase { try comm.allreduceSum($0, count: count) }
                good = good && f == (0..<count).map { Float(T) * Float($0 % 11) * 0.5 }

                var d = (0..<count).map { Double(r + 1) * 0.25 + Double($0) }
                try d.withBase { try comm.allreduceSum($0, count: count) }
                good = good && d == (0..<count).map { Double(T) * 0.25 + Double(n * $0) }

                var i = (0..<count).map { (Int64(r + 1) << 40) - Int64($0) }
                try i.withBase { try comm.allreduceSum($0, count: count) }
                good = good && i == (0..<count).map { (Int64(T) << 40) - Int64(n * $0) }
            }
            // Integers wrap like MPI's C sum.
            var big: [Int64] = [Int64.max]
            try big.withBase { try comm.allreduceSum($0, count: 1) }
            good = good && big[0] == (0..<n).reduce(Int64(0)) { acc, _ in acc &+ Int64.max }
            return good
        }
        #expect(ok == Array(repeating: true, count: n))
    }

    @Test(arguments: sizes)
    func twoNonBlockingAllreducesInFlight(size n: Int) throws {
        let T = Float(n * (n + 1) / 2), R = Float(n * (n - 1) / 2)
        let ok = try world(n) { comm -> Bool in
            var a = [Float](repeating: Float(comm.rank + 1), count: 5000)
            var b = (0..<777).map { Float($0) * Float(comm.rank) }
            try a.withBase { pa in
                try b.withBase { pb in
                    let first = try comm.startAllreduceSum(pa, count: 5000)
                    let second = try comm.startAllreduceSum(pb, count: 777)
                    try first.wait()
                    try second.wait()
                    try first.wait()
                    #expect(first.isComplete && second.isComplete)
                }
            }
            return a.allSatisfy { $0 == T } && b == (0..<777).map { Float($0) * R }
        }
        #expect(ok == Array(repeating: true, count: n))
    }

    @Test(arguments: sizes)
    func broadcastFromEveryRoot(size n: Int) throws {
        let ok = try world(n) { comm -> Bool in
            var good = true
            for root in 0..<n {
                let pattern = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7 + root) }
                var v = comm.rank == root ? pattern : [UInt8](repeating: 0, count: 1000)
                try v.withBase { try comm.broadcast($0, bytes: 1000, root: root) }
                good = good && v == pattern
            }
            var none: [UInt8] = []
            try none.withBase { try comm.broadcast($0, bytes: 0, root: n - 1) }
            return good
        }
        #expect(ok == Array(repeating: true, count: n))
    }

    @Test(arguments: sizes)
    func allgatherInRankOrder(size n: Int) throws {
        let gathered = try world(n) { comm -> [Int32] in
            let send = (0..<5).map { Int32(comm.rank * 100 + $0) }
            var recv = [Int32](repeating: -1, count: 5 * comm.size)
            try send.withUnsafeBytes { s in
                try recv.withBase { try comm.allgather(s.baseAddress!, bytes: 20, into: $0) }
            }
            return recv
        }
        let expected = (0..<n).flatMap { r in (0..<5).map { Int32(r * 100 + $0) } }
        #expect(gathered == Array(repeating: expected, count: n))
    }

    @Test(arguments: sizes)
    func barrierSeparatesPhases(size n: Int) throws {
        let arrivals = Shared(0)
        let seen = try world(n) { comm -> [Int] in
            var seen: [Int] = []
            for _ in 0..<50 {
                arrivals.update { $0 += 1 }
                try comm.barrier()
                seen.append(arrivals.current)
                try comm.barrier()
            }
            return seen
        }
        let expected = (1...50).map { $0 * n }
        #expect(seen == Array(repeating: expected, count: n))
    }

    @Test(arguments: sizes)
    func ranksSizesAndHostNames(size n: Int) throws {
        let ids = try world(n) { comm in [comm.rank, comm.size, comm.hostName.isEmpty ? 0 : 1, comm.ranksOnThisHost] }
        #expect(ids == (0..<n).map { [$0, n, 1, n] }, "every rank is a thread of this process, on this host")
    }

    // MARK: Determinism

    /// Values whose sum depends on the order: every rank ends with the bits of the sum in rank
    /// order 0, 1, …, N−1, and a second run gives the same bits.
    @Test(arguments: [2, 3, 4])
    func allreduceIsDeterministicInRankOrder(size n: Int) throws {
        let count = 9_000
        func values(_ rank: Int) -> [Float] {
            var state = UInt64(rank + 1) &* 0x9E37_79B9_7F4A_7C15
            return (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let scale: Float = [1e-4, 1, 1e4][Int(state >> 62) % 3]
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * scale
            }
        }
        var reference = values(0)
        for r in 1..<n {
            let v = values(r)
            for i in 0..<count { reference[i] += v[i] }
        }
        func run() throws -> [[UInt32]] {
            try world(n) { comm in
                var v = values(comm.rank)
                try v.withBase { try comm.allreduceSum($0, count: count) }
                return v.map(\.bitPattern)
            }
        }
        let first = try run(), second = try run()
        let bits = reference.map(\.bitPattern)
        #expect(first == Array(repeating: bits, count: n))
        #expect(second == first)
        // The inputs do round differently in another order, so the test can tell (with two
        // ranks both orders are a + b = b + a).
        guard n > 2 else { return }
        var reversed = values(n - 1)
        for r in stride(from: n - 2, through: 0, by: -1) {
            let v = values(r)
            for i in 0..<count { reversed[i] += v[i] }
        }
        #expect(reversed.map(\.bitPattern) != bits)
    }

    // MARK: Failures end the world

    /// Rank 1 throws while the others wait in an allreduce: they throw at once, naming rank 1,
    /// and `run` throws rank 1's error.
    @Test func aThrowingRankFailsTheWorldPromptly() throws {
        let others = Shared<[Int: CommunicatorError]>([:])
        let (result, elapsed) = withTimeout(5) {
            try InProcessWorld.run(size: 3) { comm in
                if comm.rank == 1 {
                    Thread.sleep(forTimeInterval: 0.05)
                    throw Boom()
                }
                var v = [Float](repeating: 1, count: 100)
                do {
                    try v.withBase { try comm.allreduceSum($0, count: 100) }
                } catch let error as CommunicatorError {
                    others.update { $0[comm.rank] = error }
                    throw error
                }
            }
        }
        let outcome = try #require(result, "the world hung")
        #expect(elapsed < 1)
        #expect(throws: CommunicatorError.self) { try outcome.get() }
        guard case .failure(let e) = outcome, let error = e as? CommunicatorError else { return }
        #expect(error.rank == 1 && error.kind == .rankFailed)
        #expect(error.description.hasPrefix("rank 1: "))
        #expect(error.description.contains("boom on purpose"))
        #expect(error.underlying is Boom)
        let seen = others.current
        #expect(Set(seen.keys) == [0, 2])
        for (rank, e) in seen {
            #expect(e.rank == rank && e.kind == .worldAborted(byRank: 1))
            #expect(e.description.contains("allreduceSum(Float × 100)"))
            #expect(e.description.contains("aborted by rank 1"))
        }
    }

    /// Rank 2 calls `abort` while the others wait in a barrier; the test process lives on.
    @Test func anAbortingRankFailsTheWorldPromptly() throws {
        let after = Shared(false)
        let (result, elapsed) = withTimeout(5) {
            try InProcessWorld.run(size: 4) { comm in
                if comm.rank == 2 {
                    Thread.sleep(forTimeInterval: 0.05)
                    comm.abort("gradient is NaN", code: 3)
                }
                try comm.barrier()
                after.update { $0 = true }
            }
        }
        let outcome = try #require(result, "the world hung")
        #expect(elapsed < 1)
        guard case .failure(let e) = outcome, let error = e as? CommunicatorError else {
            Issue.record("run did not throw CommunicatorError: \(outcome)")
            return
        }
        #expect(error.rank == 2 && error.kind == .rankFailed)
        #expect(error.description == "rank 2: abort(code 3): gradient is NaN")
        #expect(!after.current, "a rank passed a barrier that an aborted rank never reached")
    }

    /// After a failure, a rank that was not waiting throws at its next collective.
    @Test func laterCollectivesThrowAfterAFailure() throws {
        let seen = Shared<CommunicatorError?>(nil)
        let (result, _) = withTimeout(5) {
            try InProcessWorld.run(size: 2) { comm in
                if comm.rank == 0 { throw Boom() }
                Thread.sleep(forTimeInterval: 0.1)
                do { try comm.barrier() } catch let e as CommunicatorError { seen.update { $0 = e } }
            }
        }
        let outcome = try #require(result, "the world hung")
        #expect(throws: CommunicatorError.self) { try outcome.get() }
        #expect(seen.current?.kind == .worldAborted(byRank: 0))
        #expect(seen.current?.rank == 1)
    }

    /// A rank that returns while another waits in a collective: it can never complete.
    @Test func aRankThatLeavesEarlyDoesNotHangTheOthers() throws {
        let (result, elapsed) = withTimeout(5) {
            try InProcessWorld.run(size: 3) { comm in
                if comm.rank == 0 { return }
                try comm.barrier()
            }
        }
        let outcome = try #require(result, "the world hung")
        #expect(elapsed < 1)
        guard case .failure(let e) = outcome, let error = e as? CommunicatorError else {
            Issue.record("run did not throw: \(outcome)")
            return
        }
        #expect(error.kind == .mismatch)
        #expect(error.description.contains("rank 0 has left the world"))
    }

    @Test func ranksThatDisagreeAboutTheCollectiveThrow() throws {
        let (result, _) = withTimeout(5) {
            try InProcessWorld.run(size: 2) { comm in
                var v = [Float](repeating: 1, count: 8)
                try v.withBase { try comm.allreduceSum($0, count: 4 + comm.rank) }
            }
        }
        let outcome = try #require(result, "the world hung")
        guard case .failure(let e) = outcome, let error = e as? CommunicatorError else {
            Issue.record("run did not throw: \(outcome)")
            return
        }
        #expect(error.kind == .mismatch)
        #expect(error.message.contains("count 4") && error.message.contains("count 5"))

        let (other, _) = withTimeout(5) {
            try InProcessWorld.run(size: 2) { comm in
                if comm.rank == 0 { try comm.barrier() } else {
                    var b = [UInt8](repeating: 0, count: 4)
                    try b.withBase { try comm.broadcast($0, bytes: 4, root: 0) }
                }
            }
        }
        let second = try #require(other, "the world hung")
        #expect(throws: CommunicatorError.self) { try second.get() }
    }

    @Test func badArgumentsThrow() throws {
        #expect(throws: CommunicatorError.self) { try InProcessWorld.run(size: 0) { _ in } }
        let errors = try world(2) { comm -> [CommunicatorError.Kind] in
            var kinds: [CommunicatorError.Kind] = []
            var b = [UInt8](repeating: 0, count: 4)
            do { try b.withBase { try comm.broadcast($0, bytes: 4, root: 2) } }
            catch let e as CommunicatorError { kinds.append(e.kind) }
            var f = [Float](repeating: 0, count: 1)
            do { try f.withBase { try comm.allreduceSum($0, count: -1) } }
            catch let e as CommunicatorError { kinds.append(e.kind) }
            try comm.barrier()   // the world is still usable
            return kinds
        }
        #expect(errors == Array(repeating: [.invalidArgument, .invalidArgument], count: 2))
    }
}
