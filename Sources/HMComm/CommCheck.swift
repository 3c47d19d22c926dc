import Foundation

/// What `check-comm` found; every rank holds the same report (failures are gathered).
public struct CommCheckReport: Codable, Sendable {
    public struct Check: Codable, Sendable {
        public var name: String
        public var passed: Bool
        /// "rank R: what differed", one per failing rank.
        public var failures: [String]
    }
    public struct Timing: Codable, Sendable {
        public var bytes: Int
        public var medianMilliseconds: Double
        public var bestMilliseconds: Double
        public var gigabytesPerSecond: Double
    }
    public var mode: String
    public var worldSize: Int
    public var hosts: [String]
    public var threadLevel: Int?
    public var maxChunk: Int?
    public var checks: [Check]
    public var allreduce1MiB: Timing?
    /// With timing: the same measurement from 4 bytes to 4 MiB, for fitting a latency and a
    /// per-byte cost (the α-β model of the collectives).
    public var allreduceSweep: [Timing]?
    public var passed: Bool

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    public static func decode(json: Data) throws -> CommCheckReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(CommCheckReport.self, from: json)
    }
}

/// The checks. Each rank checks its own results; the outcomes are then allgathered, so that
/// every rank knows which ranks failed which check.
/// The communicator's self-test behind `hm-dist check-comm`: every collective against known
/// answers.
public enum CommCheck {
    /// Bytes per check and rank for the gathered failure text.
    static let detailBytes = 160

    public static func run(_ comm: Communicator, mode: String, timing: Bool,
                    abortRank: Int? = nil) throws -> CommCheckReport {
        let n = comm.size, r = comm.rank
        if let abortRank, abortRank == r {
            Thread.sleep(forTimeInterval: 0.2)   // the others are waiting in the allreduce by now
            comm.abort("check-comm: abort requested on rank \(r) (--abort-rank)", code: 3)
        }
        let T = n * (n + 1) / 2          // Σ (rank + 1)
        let R = n * (n - 1) / 2          // Σ rank
        var local: [(name: String, failure: String?)] = []
        func record(_ name: String, _ failure: String?) { local.append((name, failure)) }

        // Float: small multiples of 0.5 are exact in any summation order.
        do {
            let count = 1001
            var v = (0..<count).map { Float(r + 1) * Float($0 % 13 + 1) * 0.5 }
            try v.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: count) }
            record("allreduceSum Float × \(count)",
                   firstMismatch(v) { Float(T) * Float($0 % 13 + 1) * 0.5 })
        }
        do {
            let count = 131_075
            var v = (0..<count).map { Float(($0 + r) % 64) }
            try v.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: count) }
            record("allreduceSum Float × \(count)", firstMismatch(v) { i in
                Float((0..<n).reduce(0) { $0 + (i + $1) % 64 })
            })
        }
        do {
            let count = 777
            var v = (0..<count).map { Double(r + 1) * 0.25 + Double($0) }
            try v.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: count) }
            record("allreduceSum Double × \(count)",
                   firstMismatch(v) { Double(T) * 0.25 + Double(n * $0) })
        }
        do {
            // Values beyond 32 bits, and negative ones.
            let count = 333
            var v = (0..<count).map { (Int64(r + 1) << 40) - Int64($0) * Int64(r + 1) }
            try v.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: count) }
            record("allreduceSum Int64 × \(count)",
                   firstMismatch(v) { (Int64(T) << 40) - Int64($0) * Int64(T) })
        }
        do {
            // Two in flight, started and waited for in order.
            let na = 50_000, nb = 1234
            var a = [Float](repeating: Float(r + 1), count: na)
            var b = (0..<nb).map { Float($0 % 5) * Float(r) - 1 }
            try a.withUnsafeMutableBufferPointer { pa in
                try b.withUnsafeMutableBufferPointer { pb in
                    let first = try comm.startAllreduceSum(pa.baseAddress!, count: na)
                    let second = try comm.startAllreduceSum(pb.baseAddress!, count: nb)
                    try first.test()
                    try first.wait()
                    try second.wait()
                    try second.wait()   // idempotent
                }
            }
            record("startAllreduceSum Float × \(na) and × \(nb) overlapping",
                   firstMismatch(a) { _ in Float(T) } ?? firstMismatch(b) { Float($0 % 5) * Float(R) - Float(n) })
        }
        do {
            let root = n > 1 ? 1 : 0
            let bytes = 10_007
            let pattern = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var v = r == root ? pattern : [UInt8](repeating: 0xAA, count: bytes)
            try v.withUnsafeMutableBytes { try comm.broadcast($0.baseAddress!, bytes: bytes, root: root) }
            record("broadcast \(bytes) bytes from rank \(root)", firstMismatch(v) { pattern[$0] })
        }
        do {
            let bytes = 37
            let send = (0..<bytes).map { UInt8(truncatingIfNeeded: r &* 41 &+ $0) }
            var recv = [UInt8](repeating: 0, count: n * bytes)
            try send.withUnsafeBytes { s in
                try recv.withUnsafeMutableBytes { d in
                    try comm.allgather(s.baseAddress!, bytes: bytes, into: d.baseAddress!)
                }
            }
            record("allgather \(bytes) bytes", firstMismatch(recv) { i in
                UInt8(truncatingIfNeeded: (i / bytes) &* 41 &+ i % bytes)
            })
        }
        do {
            for _ in 0..<3 { try comm.barrier() }
            record("barrier", nil)
        }
        do {
            // Values that round differently in different orders: every rank must still end
            // with the same bits.
            let count = 4099
            var v = (0..<count).map { i -> Float in
                let h = UInt32(truncatingIfNeeded: (i &* 2_654_435_761) ^ (r &* 40_503) ^ 0x9E37_79B9)
                return (Float(h % 1_000_003) / 997.0 - 500.0) * (i % 3 == 0 ? 1e-3 : 1)
            }
            try v.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: count) }
            var digest = fnv1a(v)
            var digests = [UInt64](repeating: 0, count: n)
            try withUnsafeBytes(of: &digest) { s in
                try digests.withUnsafeMutableBytes { d in
                    try comm.allgather(s.baseAddress!, bytes: 8, into: d.baseAddress!)
                }
            }
            let other = digests.firstIndex { $0 != digest }
            record("allreduceSum gives the same bits on every rank",
                   other.map { "result differs from rank \($0)'s" })
        }

        // Gather every rank's outcomes and host name.
        var mine = [UInt8](repeating: 0, count: local.count * detailBytes + 256)
        for (k, c) in local.enumerated() {
            let text = c.failure.map { "FAIL " + $0 } ?? ""
            for (j, byte) in text.utf8.prefix(detailBytes - 1).enumerated() { mine[k * detailBytes + j] = byte }
        }
        for (j, byte) in comm.hostName.utf8.prefix(255).enumerated() { mine[local.count * detailBytes + j] = byte }
        var all = [UInt8](repeating: 0, count: n * mine.count)
        try mine.withUnsafeBytes { s in
            try all.withUnsafeMutableBytes { d in
                try comm.allgather(s.baseAddress!, bytes: mine.count, into: d.baseAddress!)
            }
        }
        func text(_ offset: Int, _ length: Int) -> String {
            let bytes = all[offset..<offset + length].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        var checks: [CommCheckReport.Check] = []
        for (k, c) in local.enumerated() {
            var failures: [String] = []
            for q in 0..<n {
                let t = text(q * mine.count + k * detailBytes, detailBytes)
                if t.hasPrefix("FAIL ") { failures.append("rank \(q): " + t.dropFirst(5)) }
            }
            checks.append(.init(name: c.name, passed: failures.isEmpty, failures: failures))
        }
        let hosts = (0..<n).map { text($0 * mine.count + local.count * detailBytes, 256) }

        return CommCheckReport(mode: mode, worldSize: n, hosts: hosts, threadLevel: nil, maxChunk: nil,
                               checks: checks, allreduce1MiB: timing ? try time(comm, count: (1 << 20) / 4) : nil,
                               allreduceSweep: timing ? try sweepCounts.map { try time(comm, count: $0) } : nil,
                               passed: checks.allSatisfy(\.passed))
    }

    /// Float counts of the sweep: 4 bytes to 4 MiB by factors of 4.
    static let sweepCounts = (0...10).map { 1 << (2 * $0) }

    /// Median and best of 20 allreduces of `count` floats after 3 warm-ups, each after a
    /// barrier; the slowest rank's time counts (a max over ranks via allgather).
    static func time(_ comm: Communicator, count: Int) throws -> CommCheckReport.Timing {
        var v = [Float](repeating: 1, count: count)
        var seconds: [Double] = []
        for rep in 0..<23 {
            try comm.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try v.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: count) }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if rep >= 3 { seconds.append(elapsed) }
        }
        var all = [Double](repeating: 0, count: seconds.count * comm.size)
        try seconds.withUnsafeBytes { s in
            try all.withUnsafeMutableBytes { d in
                try comm.allgather(s.baseAddress!, bytes: s.count, into: d.baseAddress!)
            }
        }
        let slowest = (0..<seconds.count).map { i in
            (0..<comm.size).map { all[$0 * seconds.count + i] }.max()!
        }.sorted()
        let median = slowest[slowest.count / 2], best = slowest[0]
        return .init(bytes: count * 4, medianMilliseconds: median * 1e3, bestMilliseconds: best * 1e3,
                     gigabytesPerSecond: Double(count * 4) / median / 1e9)
    }

    static func firstMismatch<E: Equatable>(_ got: [E], expected: (Int) -> E) -> String? {
        for i in got.indices where got[i] != expected(i) {
            return "element \(i): got \(got[i]), expected \(expected(i))"
        }
        return nil
    }

    static func fnv1a(_ values: [Float]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<4 {
                h = (h ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3
                bits >>= 8
            }
        }
        return h
    }
}
